// Collects the dashboard's numbers: every KPI and chart aggregated in DuckDB over the local tables, plus the last run's reports.
import * as fs from 'node:fs';
import { datasetLayout } from '../../config/layout';
import type { DatasetConfig, PipelineConfig } from '../../config/schema';
import type { PreprocessReport } from '../../lambda/core/report';
import type { LocalTables } from '../tables';
import { LocalObjectStore } from '../store';
import {
  categorySql,
  changePct,
  GRAINS,
  MAX_CATEGORIES,
  measureSql,
  periodsEndingAt,
  quoteIdent,
  timeSeriesSql,
  type ChartData,
  type DashboardData,
  type DatasetDashboard,
  type Grain,
  type KpiData,
  type LastRunFile,
  type SeriesPoint,
} from './model';

export { MAX_CATEGORIES } from './model';

/** Which reports make up "the last run": the run's report keys, else every report. */
export interface LastRunInput {
  readonly startedAt?: Date | string;
  readonly reportKeys?: readonly string[];
}

function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value === null || value === undefined) return 0;
  return Number(String(value));
}

function str(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

async function scalar(tables: LocalTables, sql: string): Promise<unknown> {
  const { rows } = await tables.query(sql);
  return rows[0]?.[0];
}

async function kpiData(tables: LocalTables, dataset: DatasetConfig, table: string, latest: string | null): Promise<KpiData[]> {
  const dash = dataset.dashboard!;
  const out: KpiData[] = [];
  for (const kpi of dash.kpis) {
    const value = num(await scalar(tables, `SELECT ${measureSql(kpi)} FROM ${quoteIdent(table)}`));
    let comparison: KpiData['comparison'];
    if (kpi.compareToPreviousPeriod && dash.dateColumn && latest) {
      const grain = kpi.period as Grain;
      const { current, previous } = periodsEndingAt(latest, grain);
      const day = `CAST(${quoteIdent(dash.dateColumn)} AS DATE)`;
      const within = (p: { start: string; end: string }) =>
        `SELECT ${measureSql(kpi)} FROM ${quoteIdent(table)} WHERE ${day} BETWEEN DATE '${p.start}' AND DATE '${p.end}'`;
      const cur = num(await scalar(tables, within(current)));
      const prev = num(await scalar(tables, within(previous)));
      comparison = { grain, current: { ...current, value: cur }, previous: { ...previous, value: prev }, changePct: changePct(cur, prev) };
    }
    out.push({ id: kpi.id, title: kpi.title, aggregate: kpi.aggregate, column: kpi.column, value, comparison });
  }
  return out;
}

async function chartData(tables: LocalTables, dataset: DatasetConfig): Promise<ChartData[]> {
  const layout = datasetLayout(dataset);
  const out: ChartData[] = [];
  for (const chart of dataset.dashboard!.charts) {
    const table = chart.source === 'rejects' ? layout.rejectsTable : layout.finalTable;
    if (chart.time) {
      const series = {} as Record<Grain, SeriesPoint[]>;
      for (const grain of GRAINS) {
        const { rows } = await tables.query(timeSeriesSql(table, chart.time, grain, chart));
        series[grain] = rows.map((r) => ({ period: str(r[0]), value: num(r[1]) }));
      }
      out.push({ kind: 'time', config: chart, defaultGrain: chart.granularity as Grain, series });
    } else {
      const { rows } = await tables.query(categorySql(table, chart.category!, chart, MAX_CATEGORIES));
      out.push({
        kind: 'category',
        config: chart,
        rows: rows.slice(0, MAX_CATEGORIES).map((r) => ({ category: str(r[0]), value: num(r[1]) })),
        truncated: rows.length > MAX_CATEGORIES,
      });
    }
  }
  return out;
}

async function datasetDashboard(tables: LocalTables, dataset: DatasetConfig): Promise<DatasetDashboard> {
  const layout = datasetLayout(dataset);
  const dash = dataset.dashboard!;
  const finalRows = num(await scalar(tables, `SELECT count(*) FROM ${quoteIdent(layout.finalTable)}`));
  const rejectedRows = num(await scalar(tables, `SELECT count(*) FROM ${quoteIdent(layout.rejectsTable)}`));
  const latest = dash.dateColumn
    ? str(await scalar(tables, `SELECT strftime(max(CAST(${quoteIdent(dash.dateColumn)} AS DATE)), '%Y-%m-%d') FROM ${quoteIdent(layout.finalTable)}`)) || null
    : null;
  return {
    name: dataset.name,
    title: dash.title,
    description: dataset.description,
    dateColumn: dash.dateColumn,
    finalRows,
    rejectedRows,
    kpis: await kpiData(tables, dataset, layout.finalTable, latest),
    charts: await chartData(tables, dataset),
  };
}

/** Reads the reports of the last run from reports/ (newest first when no run is given). */
export function lastRunFiles(store: LocalObjectStore, run: LastRunInput): LastRunFile[] {
  const keys = run.reportKeys ?? store.list('reports/');
  const files: LastRunFile[] = [];
  for (const key of keys) {
    let report: PreprocessReport;
    let writtenAt: string;
    try {
      report = JSON.parse(store.readText(key)) as PreprocessReport;
      writtenAt = fs.statSync(store.pathOf(key)).mtime.toISOString();
    } catch {
      continue;
    }
    files.push({
      rawKey: report.source,
      dataset: report.dataset,
      outcome: report.outcome,
      rowsIn: report.rowsIn,
      rowsValid: report.rowsValid,
      rowsRejected: report.rowsRejected,
      durationMs: report.durationMs,
      fileError: report.fileError,
      writtenAt,
    });
  }
  return files.sort((a, b) => (a.writtenAt < b.writtenAt ? 1 : a.writtenAt > b.writtenAt ? -1 : a.rawKey.localeCompare(b.rawKey)));
}

/** Everything the page shows, aggregated; the page never sees a final row. */
export async function collectDashboardData(config: PipelineConfig, workdir: string, tables: LocalTables, run: LastRunInput = {}): Promise<DashboardData> {
  const store = new LocalObjectStore(workdir);
  const datasets: DatasetDashboard[] = [];
  for (const dataset of config.datasets) {
    if (dataset.dashboard) datasets.push(await datasetDashboard(tables, dataset));
  }
  const startedAt = run.startedAt === undefined ? undefined : new Date(run.startedAt).toISOString();
  return { generatedAt: new Date().toISOString(), lastRun: { startedAt, files: lastRunFiles(store, run) }, datasets };
}
