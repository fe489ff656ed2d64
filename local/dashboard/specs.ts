// Vega-Lite specs for the dashboard's charts, built from the config's chart definitions and already-aggregated rows.
import { GRAINS, measureTitle, type ChartData, type Grain } from './model';

/** A Vega-Lite spec as plain JSON (the page hands it to vega-embed). */
export type VegaLiteSpec = Record<string, unknown>;

const PALETTE = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#14b8a6', '#f97316', '#64748b', '#ec4899', '#84cc16'];

const BASE = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 'container',
  height: 240,
  autosize: { type: 'fit', contains: 'padding' },
  background: 'transparent',
  config: {
    view: { stroke: null },
    axis: {
      labelColor: '#475569',
      titleColor: '#475569',
      gridColor: '#e2e8f0',
      domainColor: '#cbd5e1',
      tickColor: '#cbd5e1',
      labelFontSize: 11,
      titleFontSize: 11,
      titleFontWeight: 500,
    },
    legend: { labelColor: '#475569', titleColor: '#475569' },
    font: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  },
};

const AXIS_FORMAT: Record<Grain, string> = { DAY: '%b %d', WEEK: '%b %d', MONTH: '%b %Y' };
const TOOLTIP_TITLE: Record<Grain, string> = { DAY: 'day', WEEK: 'week starting', MONTH: 'month starting' };

/** Ticks on the periods themselves (at most 8), so a week tick sits on its Monday and no day shows twice. */
export function tickValues(values: readonly { period: string }[], maxTicks = 8): number[] {
  const step = Math.max(1, Math.ceil(values.length / maxTicks));
  return values.filter((_v, i) => i % step === 0).map((v) => Date.parse(`${v.period}T00:00:00Z`));
}

/** A line over time for one grain; dates are UTC calendar days, so no time zone shifts a point. */
export function timeSpec(chart: Extract<ChartData, { kind: 'time' }>, grain: Grain): VegaLiteSpec {
  const values = chart.series[grain];
  const yTitle = measureTitle(chart.config);
  return {
    ...BASE,
    data: { values },
    mark: { type: chart.config.type === 'bar' ? 'bar' : 'line', point: { filled: true, size: 48 }, strokeWidth: 2.5, color: PALETTE[0] },
    encoding: {
      x: {
        field: 'period',
        type: 'temporal',
        scale: { type: 'utc' },
        title: null,
        axis: { format: AXIS_FORMAT[grain], labelAngle: 0, values: tickValues(values), grid: false },
      },
      y: { field: 'value', type: 'quantitative', title: yTitle, axis: { tickMinStep: 1 } },
      tooltip: [
        { field: 'period', type: 'nominal', title: TOOLTIP_TITLE[grain] },
        { field: 'value', type: 'quantitative', title: yTitle, format: ',.2~f' },
      ],
    },
  };
}

/** A bar chart (largest first) or a donut of a breakdown. */
export function categorySpec(chart: Extract<ChartData, { kind: 'category' }>): VegaLiteSpec {
  const title = measureTitle(chart.config);
  const tooltip = [
    { field: 'category', type: 'nominal', title: chart.config.category },
    { field: 'value', type: 'quantitative', title, format: ',.2~f' },
  ];
  if (chart.config.type === 'pie') {
    return {
      ...BASE,
      data: { values: chart.rows },
      mark: { type: 'arc', innerRadius: 55, stroke: '#fff', strokeWidth: 2 },
      encoding: {
        theta: { field: 'value', type: 'quantitative', stack: true },
        color: { field: 'category', type: 'nominal', title: chart.config.category, scale: { range: PALETTE }, sort: { field: 'value', order: 'descending' } },
        order: { field: 'value', type: 'quantitative', sort: 'descending' },
        tooltip,
      },
    };
  }
  return {
    ...BASE,
    height: Math.max(150, chart.rows.length * 28),
    data: { values: chart.rows },
    layer: [
      { mark: { type: 'bar', color: chart.config.source === 'rejects' ? PALETTE[3] : PALETTE[0], cornerRadiusEnd: 3, height: { band: 0.7 } } },
      {
        mark: { type: 'text', align: 'left', dx: 4, color: '#334155', fontSize: 11 },
        encoding: { text: { field: 'value', type: 'quantitative', format: ',.2~f' } },
      },
    ],
    encoding: {
      // Rows arrive largest first from DuckDB; keep that order.
      y: { field: 'category', type: 'nominal', sort: null, title: null, axis: { labelLimit: 180 } },
      x: { field: 'value', type: 'quantitative', title, axis: { tickMinStep: 1 } },
      tooltip,
    },
  };
}

/** Every spec of a chart: one per grain for time charts, one otherwise. */
export function chartSpecs(chart: ChartData): Partial<Record<Grain | 'ALL', VegaLiteSpec>> {
  if (chart.kind === 'category') return { ALL: categorySpec(chart) };
  const specs: Partial<Record<Grain, VegaLiteSpec>> = {};
  for (const grain of GRAINS) specs[grain] = timeSpec(chart, grain);
  return specs;
}
