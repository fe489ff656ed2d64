// Renders the self-contained dashboard page: aggregated data, chart specs and the bundled chart library in one HTML file.
import { formatDuration } from '../progress';
import { GRAINS, MAX_CATEGORIES, type ChartData, type DashboardData, type DatasetDashboard, type Grain, type KpiData, type LastRunFile } from './model';
import { chartSpecs } from './specs';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function formatNumber(value: number, aggregate?: string): string {
  const digits = aggregate === 'count' || aggregate === 'count_distinct' ? 0 : 2;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

const GRAIN_WORD: Record<Grain, string> = { DAY: 'day', WEEK: 'week (Monday to Sunday)', MONTH: 'calendar month' };

function kpiCard(kpi: KpiData): string {
  let change = '';
  if (kpi.comparison) {
    const c = kpi.comparison;
    const pct = c.changePct;
    const cls = pct === null ? 'flat' : pct > 0 ? 'up' : pct < 0 ? 'down' : 'flat';
    const arrow = pct === null ? '' : pct > 0 ? '▲' : pct < 0 ? '▼' : '■';
    const pctText = pct === null ? `new: no data in ${c.previous.label}` : `${arrow} ${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
    change =
      `<div class="kpi-change ${cls}" data-change-pct="${pct === null ? '' : pct.toFixed(4)}">${escapeHtml(pctText)}</div>` +
      `<div class="kpi-period">${escapeHtml(c.current.label)}: <b>${formatNumber(c.current.value, kpi.aggregate)}</b> vs ` +
      `${escapeHtml(c.previous.label)}: <b>${formatNumber(c.previous.value, kpi.aggregate)}</b></div>`;
  }
  return (
    `<div class="card kpi" data-kpi-id="${escapeHtml(kpi.id)}" data-value="${kpi.value}">` +
    `<div class="kpi-title">${escapeHtml(kpi.title)}</div>` +
    `<div class="kpi-value">${formatNumber(kpi.value, kpi.aggregate)}</div>${change}</div>`
  );
}

function chartCard(dataset: string, chart: ChartData): string {
  const id = `${dataset}--${chart.config.id}`;
  const empty = chart.kind === 'time' ? chart.series.DAY.length === 0 : chart.rows.length === 0;
  const emptyText = chart.config.source === 'rejects' ? 'No rejected rows.' : 'No data yet.';
  const switcher =
    chart.kind === 'time'
      ? `<div class="grain-switch" role="group" aria-label="Time grain">${GRAINS.map(
          (g) =>
            `<button type="button" data-grain="${g}" class="${g === chart.defaultGrain ? 'active' : ''}" aria-pressed="${g === chart.defaultGrain}">${g[0]}${g.slice(1).toLowerCase()}</button>`,
        ).join('')}</div>`
      : '';
  const note = chart.kind === 'category' && chart.truncated ? `<div class="note">Largest ${MAX_CATEGORIES} categories shown.</div>` : '';
  const source = chart.config.source === 'rejects' ? 'rejected rows' : 'final table';
  return (
    `<div class="card chart ${chart.kind}" data-chart-id="${escapeHtml(chart.config.id)}" data-chart-kind="${chart.kind}">` +
    `<div class="chart-head"><div><div class="chart-title">${escapeHtml(chart.config.title)}</div><div class="chart-sub">${source}</div></div>${switcher}</div>` +
    (empty ? `<div class="empty">${emptyText}</div>` : `<div class="vis" id="${escapeHtml(id)}" data-spec-key="${escapeHtml(id)}"></div>`) +
    `${note}</div>`
  );
}

function periodNote(ds: DatasetDashboard): string {
  const compared = ds.kpis.find((k) => k.comparison);
  if (!compared?.comparison) return '';
  const c = compared.comparison;
  return (
    `<p class="period-note">Change = the latest ${GRAIN_WORD[c.grain]} with data in <code>${escapeHtml(ds.dateColumn ?? '')}</code> ` +
    `(${escapeHtml(c.current.start)} to ${escapeHtml(c.current.end)}, possibly partial) against the ${GRAIN_WORD[c.grain]} before it ` +
    `(${escapeHtml(c.previous.start)} to ${escapeHtml(c.previous.end)}).</p>`
  );
}

function datasetSection(ds: DatasetDashboard): string {
  return (
    `<section class="dataset" id="ds-${escapeHtml(ds.name)}" data-dataset="${escapeHtml(ds.name)}">` +
    `<div class="section-head"><h2>${escapeHtml(ds.title)}</h2><div class="section-meta">table <code>${escapeHtml(ds.name)}</code> · ` +
    `${ds.finalRows.toLocaleString('en-US')} final rows · ${ds.rejectedRows.toLocaleString('en-US')} rejected rows</div></div>` +
    (ds.description ? `<p class="desc">${escapeHtml(ds.description)}</p>` : '') +
    `<div class="kpis">${ds.kpis.map(kpiCard).join('')}</div>${periodNote(ds)}` +
    `<div class="charts">${ds.charts.map((c) => chartCard(ds.name, c)).join('')}</div></section>`
  );
}

function lastRunSection(run: DashboardData['lastRun']): string {
  if (run.files.length === 0) return '<section class="card lastrun"><h2>Last run</h2><p class="empty">No files processed yet.</p></section>';
  const sum = (f: (x: LastRunFile) => number) => run.files.reduce((n, x) => n + f(x), 0);
  const when = run.startedAt ?? run.files[0].writtenAt;
  const rows = run.files
    .map(
      (f) =>
        `<tr class="${f.outcome === 'quarantined' ? 'bad' : ''}"><td><code>${escapeHtml(f.rawKey)}</code></td><td>${escapeHtml(f.dataset ?? '(inferred)')}</td>` +
        `<td>${escapeHtml(f.outcome)}${f.fileError ? `: ${escapeHtml(f.fileError.code)}` : ''}</td>` +
        `<td class="n">${f.rowsIn.toLocaleString('en-US')}</td><td class="n">${f.rowsValid.toLocaleString('en-US')}</td>` +
        `<td class="n">${f.rowsRejected.toLocaleString('en-US')}</td><td class="n">${formatDuration(f.durationMs)}</td></tr>`,
    )
    .join('');
  return (
    `<section class="card lastrun" data-last-run-files="${run.files.length}"><div class="section-head"><h2>Last run</h2>` +
    `<div class="section-meta">started <time datetime="${escapeHtml(when)}">${escapeHtml(when.replace('T', ' ').slice(0, 19))} UTC</time></div></div>` +
    `<div class="run-totals"><div><span>${run.files.length}</span>files</div><div><span>${sum((f) => f.rowsIn).toLocaleString('en-US')}</span>rows in</div>` +
    `<div><span>${sum((f) => f.rowsValid).toLocaleString('en-US')}</span>valid</div><div><span>${sum((f) => f.rowsRejected).toLocaleString('en-US')}</span>rejected</div>` +
    `<div><span>${run.files.filter((f) => f.outcome === 'quarantined').length}</span>files quarantined</div></div>` +
    `<table><thead><tr><th>file</th><th>dataset</th><th>outcome</th><th class="n">rows in</th><th class="n">valid</th><th class="n">rejected</th><th class="n">time</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></section>`
  );
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f1f5f9;color:#0f172a;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{background:#0f172a;color:#e2e8f0;padding:18px 32px;display:flex;align-items:baseline;gap:24px;flex-wrap:wrap}
header h1{margin:0;font-size:19px;font-weight:600;color:#fff}
header nav a{color:#93c5fd;text-decoration:none;margin-right:16px;font-weight:500}
header .gen{margin-left:auto;color:#94a3b8;font-size:12px}
main{max-width:1240px;margin:0 auto;padding:24px 32px 48px}
h2{margin:0;font-size:17px;font-weight:600}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:10px;padding:16px 18px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.section-head{display:flex;align-items:baseline;gap:14px;flex-wrap:wrap;margin-bottom:10px}
.section-meta{color:#64748b;font-size:12.5px}
.dataset{margin-top:32px}
.desc{color:#475569;margin:0 0 14px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
.kpi-title{color:#64748b;font-size:12.5px;font-weight:500;text-transform:uppercase;letter-spacing:.04em}
.kpi-value{font-size:34px;font-weight:650;margin:2px 0 4px;font-variant-numeric:tabular-nums}
.kpi-change{font-weight:600;font-size:13px}
.kpi-change.up{color:#059669}.kpi-change.down{color:#dc2626}.kpi-change.flat{color:#64748b}
.kpi-period{color:#64748b;font-size:12px;margin-top:2px}
.period-note{color:#64748b;font-size:12px;margin:8px 2px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:16px;margin-top:16px}
.chart.time{grid-column:1/-1}
.chart-head{display:flex;justify-content:space-between;align-items:flex-start;gap:8px;margin-bottom:8px}
.chart-title{font-weight:600}
.chart-sub{color:#94a3b8;font-size:12px}
.vis{width:100%}
.grain-switch{display:inline-flex;border:1px solid #cbd5e1;border-radius:7px;overflow:hidden}
.grain-switch button{border:0;background:#fff;color:#334155;padding:4px 11px;font:inherit;font-size:12.5px;cursor:pointer}
.grain-switch button+button{border-left:1px solid #cbd5e1}
.grain-switch button.active{background:#2563eb;color:#fff}
.empty{color:#94a3b8;padding:28px 0;text-align:center}
.note{color:#94a3b8;font-size:12px;margin-top:4px}
.lastrun table{width:100%;border-collapse:collapse;margin-top:12px;font-size:13px}
.lastrun th{text-align:left;color:#64748b;font-weight:500;border-bottom:1px solid #e2e8f0;padding:6px 8px}
.lastrun td{border-bottom:1px solid #f1f5f9;padding:6px 8px}
.lastrun .n{text-align:right;font-variant-numeric:tabular-nums}
.lastrun tr.bad td{color:#b91c1c}
.run-totals{display:flex;gap:28px;flex-wrap:wrap;color:#64748b;font-size:12px}
.run-totals span{display:block;color:#0f172a;font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f5f9;padding:1px 4px;border-radius:4px}
footer{color:#94a3b8;font-size:12px;text-align:center;padding:0 0 32px}
`;

/** The browser side: embeds each chart and swaps the time grain on the switch; no data is computed here. */
const CLIENT = `
(function () {
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  var views = {};
  function render(el, spec, grain) {
    if (views[el.id]) { views[el.id].finalize(); }
    return window.vegaEmbed(el, spec, { actions: false, renderer: 'svg', mode: 'vega-lite' }).then(function (result) {
      views[el.id] = result.view;
      el.setAttribute('data-grain', grain);
      el.setAttribute('data-points', String(spec.data.values.length));
      el.setAttribute('data-rendered', 'true');
    }).catch(function (err) {
      el.textContent = 'Chart failed: ' + err.message;
      console.error(err);
    });
  }
  var pending = [];
  document.querySelectorAll('.vis').forEach(function (el) {
    var chartSpecs = specs[el.getAttribute('data-spec-key')];
    var card = el.closest('.chart');
    var active = card.querySelector('.grain-switch button.active');
    var grain = active ? active.getAttribute('data-grain') : 'ALL';
    pending.push(render(el, chartSpecs[grain], grain));
    card.querySelectorAll('.grain-switch button').forEach(function (button) {
      button.addEventListener('click', function () {
        var g = button.getAttribute('data-grain');
        card.querySelectorAll('.grain-switch button').forEach(function (b) {
          b.classList.toggle('active', b === button);
          b.setAttribute('aria-pressed', String(b === button));
        });
        render(el, chartSpecs[g], g);
      });
    });
  });
  Promise.all(pending).then(function () { document.body.setAttribute('data-charts-ready', 'true'); });
})();
`;

/** The whole page; `chartLibrary` is the bundled vega-embed script. */
export function renderDashboardPage(data: DashboardData, chartLibrary: string): string {
  const specs: Record<string, unknown> = {};
  for (const ds of data.datasets) for (const chart of ds.charts) specs[`${ds.name}--${chart.config.id}`] = chartSpecs(chart);
  const nav = data.datasets.map((d) => `<a href="#ds-${escapeHtml(d.name)}">${escapeHtml(d.title)}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'">
<title>CSV pipeline dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>CSV pipeline · local dashboard</h1><nav>${nav}</nav><div class="gen">generated ${escapeHtml(data.generatedAt.replace('T', ' ').slice(0, 19))} UTC from the local final tables (DuckDB)</div></header>
<main>
${lastRunSection(data.lastRun)}
${data.datasets.map(datasetSection).join('\n')}
</main>
<footer>Aggregated with DuckDB over final_output/ and quarantine/; charts by Vega-Lite, bundled into this file (no network).</footer>
<script type="application/json" id="chart-specs">${scriptJson(specs)}</script>
<script>${chartLibrary.replace(/<\/script/gi, '<\\/script')}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
}
