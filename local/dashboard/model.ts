// The dashboard's data model and its pure parts: the SQL each KPI and chart aggregates with, and period arithmetic.
import type { ChartConfig, KpiConfig } from '../../config/schema';

export type Grain = 'DAY' | 'WEEK' | 'MONTH';
export const GRAINS: readonly Grain[] = ['DAY', 'WEEK', 'MONTH'];

/** Breakdowns show at most this many categories (the largest). */
export const MAX_CATEGORIES = 20;

export interface PeriodValue {
  /** Human label of the period, e.g. "November 2024" or "week of 2024-11-04". */
  readonly label: string;
  /** First day, inclusive (YYYY-MM-DD). */
  readonly start: string;
  /** Last day, inclusive (YYYY-MM-DD). */
  readonly end: string;
  readonly value: number;
}

export interface KpiData {
  readonly id: string;
  readonly title: string;
  readonly aggregate: string;
  readonly column?: string;
  /** Over all final rows. */
  readonly value: number;
  /** The latest period with data and the one before it, when the KPI compares periods and there is data. */
  readonly comparison?: {
    readonly grain: Grain;
    readonly current: PeriodValue;
    readonly previous: PeriodValue;
    /** Percent change; null when the previous period is 0. */
    readonly changePct: number | null;
  };
}

export interface SeriesPoint {
  readonly period: string;
  readonly value: number;
}

export interface CategoryPoint {
  readonly category: string;
  readonly value: number;
}

export type ChartData =
  | { readonly kind: 'time'; readonly config: ChartConfig; readonly defaultGrain: Grain; readonly series: Readonly<Record<Grain, SeriesPoint[]>> }
  | { readonly kind: 'category'; readonly config: ChartConfig; readonly rows: CategoryPoint[]; readonly truncated: boolean };

export interface LastRunFile {
  readonly rawKey: string;
  readonly dataset: string | null;
  readonly outcome: string;
  readonly rowsIn: number;
  readonly rowsValid: number;
  readonly rowsRejected: number;
  readonly durationMs: number;
  readonly fileError?: { code: string; reason: string };
  /** When the report was written (ISO). */
  readonly writtenAt: string;
}

export interface DatasetDashboard {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly dateColumn?: string;
  readonly finalRows: number;
  readonly rejectedRows: number;
  readonly kpis: readonly KpiData[];
  readonly charts: readonly ChartData[];
}

export interface DashboardData {
  readonly generatedAt: string;
  readonly lastRun: { readonly startedAt?: string; readonly files: readonly LastRunFile[] };
  readonly datasets: readonly DatasetDashboard[];
}

/** Quotes a column name for DuckDB (config names are already safe identifiers; this keeps it so). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The SQL aggregate of a KPI or chart, as DOUBLE so every engine returns a plain number. */
export function measureSql(m: Pick<KpiConfig, 'aggregate' | 'column'>): string {
  const col = m.column ? quoteIdent(m.column) : '*';
  switch (m.aggregate) {
    case 'count':
      return m.column ? `CAST(count(${col}) AS DOUBLE)` : 'CAST(count(*) AS DOUBLE)';
    case 'count_distinct':
      return `CAST(count(DISTINCT ${col}) AS DOUBLE)`;
    case 'sum':
      return `CAST(coalesce(sum(${col}), 0) AS DOUBLE)`;
    case 'avg':
      return `CAST(avg(${col}) AS DOUBLE)`;
  }
}

/** A words-only title of a measure, for axes: "count", "sum of amount". */
export function measureTitle(m: Pick<KpiConfig, 'aggregate' | 'column'>): string {
  switch (m.aggregate) {
    case 'count':
      return m.column ? `rows with ${m.column}` : 'rows';
    case 'count_distinct':
      return `distinct ${m.column}`;
    case 'sum':
      return `sum of ${m.column}`;
    case 'avg':
      return `average ${m.column}`;
  }
}

const TRUNC: Record<Grain, string> = { DAY: 'day', WEEK: 'week', MONTH: 'month' };

/** Aggregates a measure per period of a date or timestamp column; weeks start on Monday (ISO), as in DuckDB and Athena. */
export function timeSeriesSql(table: string, dateColumn: string, grain: Grain, measure: Pick<KpiConfig, 'aggregate' | 'column'>): string {
  const day = `CAST(${quoteIdent(dateColumn)} AS DATE)`;
  return (
    `SELECT strftime(CAST(date_trunc('${TRUNC[grain]}', ${day}) AS DATE), '%Y-%m-%d') AS period, ${measureSql(measure)} AS value ` +
    `FROM ${quoteIdent(table)} WHERE ${quoteIdent(dateColumn)} IS NOT NULL GROUP BY 1 ORDER BY 1`
  );
}

/** The largest categories of a breakdown; one extra row tells whether more were cut. */
export function categorySql(table: string, category: string, measure: Pick<KpiConfig, 'aggregate' | 'column'>, limit: number): string {
  return (
    `SELECT coalesce(CAST(${quoteIdent(category)} AS VARCHAR), '(empty)') AS category, ${measureSql(measure)} AS value ` +
    `FROM ${quoteIdent(table)} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${limit + 1}`
  );
}

function utcDate(iso: string): Date {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * The calendar period (day, ISO week from Monday, or month) that holds `latest`, and the one before it.
 * Periods are calendar periods, so the current one may be partial; the page says so.
 */
export function periodsEndingAt(latest: string, grain: Grain): { current: Omit<PeriodValue, 'value'>; previous: Omit<PeriodValue, 'value'> } {
  const day = utcDate(latest);
  const startOf = (d: Date): Date => {
    if (grain === 'DAY') return d;
    if (grain === 'WEEK') return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86400000);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  };
  const next = (start: Date): Date => {
    if (grain === 'DAY') return new Date(start.getTime() + 86400000);
    if (grain === 'WEEK') return new Date(start.getTime() + 7 * 86400000);
    return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  };
  const label = (start: Date): string => {
    if (grain === 'DAY') return isoDay(start);
    if (grain === 'WEEK') return `week of ${isoDay(start)}`;
    return `${MONTHS[start.getUTCMonth()]} ${start.getUTCFullYear()}`;
  };
  const curStart = startOf(day);
  const prevStart = startOf(new Date(curStart.getTime() - 86400000));
  const lastDay = (start: Date): string => isoDay(new Date(next(start).getTime() - 86400000));
  return {
    current: { label: label(curStart), start: isoDay(curStart), end: lastDay(curStart) },
    previous: { label: label(prevStart), start: isoDay(prevStart), end: lastDay(prevStart) },
  };
}

export function changePct(current: number, previous: number): number | null {
  return previous === 0 ? null : ((current - previous) / previous) * 100;
}
