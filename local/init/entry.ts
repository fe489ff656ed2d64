// Builds the rest of a generated dataset entry from its inferred columns: the key, the month partitioning, two named queries and the dashboard.
import type { ColumnGuess } from './columns';
import type { ColumnInput, DatasetInput } from './run-core';

/** Names that say "identifier": id, user_id, order_no, customer_number, sku_code, uuid... */
const ID_LIKE = /(^|_)(id|uuid|guid|key|no|nr|num|number|code|ref)$|^id_/;
/** Types that may be a key (dates, decimals, booleans and enums identify nothing). */
const KEY_TYPES = new Set(['integer', 'string', 'email']);

export interface KeyChoice {
  readonly key: string[];
  /** Every unique, never-empty column of a key type, in column order. */
  readonly candidates: string[];
  readonly why: string;
}

/** The first unique, never-empty column, preferring one named like an id. */
export function chooseKey(guesses: readonly ColumnGuess[], rowCount: number): KeyChoice {
  const candidates = guesses
    .filter((g) => KEY_TYPES.has(g.column.type) && g.column.required && rowCount > 0 && new Set(g.cleaned).size === g.cleaned.length)
    .map((g) => g.column.name);
  if (candidates.length === 0) return { key: [], candidates, why: 'no column is unique and never empty in the sample: no key (duplicate rows are kept)' };
  const idLike = candidates.find((c) => ID_LIKE.test(c));
  const chosen = idLike ?? candidates[0];
  const others = candidates.filter((c) => c !== chosen);
  const reason = idLike ? 'named like an id, unique and never empty' : 'the first column that is unique and never empty (none named like an id is)';
  return { key: [chosen], candidates, why: `${chosen}: ${reason}${others.length ? `; other candidates: ${others.join(', ')}` : '; no other candidate'}` };
}

/** A name not yet taken: `base`, else base_2, base_3... */
function freeName(base: string, taken: readonly string[]): string {
  let name = base.slice(0, 128);
  for (let k = 2; taken.includes(name); k++) name = `${base.slice(0, 120)}_${k}`;
  return name;
}

export interface TimeChoice {
  /** The date or timestamp column partitioned on, if any. */
  readonly source?: ColumnInput;
  readonly transforms: NonNullable<DatasetInput['transforms']>;
  /** The final table's date column (the source, or a date derived from a timestamp). */
  readonly dateColumn?: string;
  /** The derived month column partitioned by. */
  readonly monthColumn?: string;
  readonly why: string;
}

/** Partitioning by month of the first date (else timestamp) column, preferring one never empty; none without such a column. */
export function choosePartitioning(guesses: readonly ColumnGuess[]): TimeChoice {
  const timed = guesses.filter((g) => g.column.type === 'date' || g.column.type === 'timestamp');
  const rank = (g: ColumnGuess) => (g.column.required ? 0 : 2) + (g.column.type === 'date' ? 0 : 1);
  const source = [...timed].sort((a, b) => rank(a) - rank(b))[0]?.column;
  if (!source) return { transforms: {}, why: 'no date or timestamp column: not partitioned, no time chart' };
  const taken = guesses.map((g) => g.column.name);
  const monthColumn = freeName(`${source.name}_month`, taken);
  const derive: NonNullable<NonNullable<DatasetInput['transforms']>['derive']> = [
    { name: monthColumn, expr: `substr(cast(${source.name} as string), 1, 7)`, type: 'string' },
  ];
  let dateColumn = source.name;
  if (source.type === 'timestamp') {
    dateColumn = freeName(`${source.name}_day`, [...taken, monthColumn]);
    derive.push({ name: dateColumn, expr: `cast(${source.name} as date)`, type: 'date' });
  }
  const empty = source.required ? '' : ' (it has empty cells: their rows go to the partition of no month)';
  const day = source.type === 'timestamp' ? `; ${dateColumn} = its date, for the dashboard` : '';
  return {
    source,
    transforms: { derive, partitionBy: [monthColumn] },
    dateColumn,
    monthColumn,
    why: `by ${monthColumn} = the YYYY-MM of ${source.type} column ${source.name}${empty}${day}`,
  };
}

/** The first enum column (else boolean) a breakdown groups by. */
export function chooseCategory(guesses: readonly ColumnGuess[]): ColumnInput | undefined {
  return guesses.find((g) => g.column.type === 'enum')?.column ?? guesses.find((g) => g.column.type === 'boolean')?.column;
}

/** Two named queries: rows per month (else per category, else the row count), and rejected rows per reason. */
export function namedQueries(name: string, time: TimeChoice, category: ColumnInput | undefined): NonNullable<DatasetInput['queries']> {
  const rejects = {
    name: 'rejected_rows_by_reason',
    description: 'Rows the preprocessing rejected, per reason.',
    sql: 'SELECT reason_code, count(*) AS rejected_rows FROM {{rejects_table}} GROUP BY reason_code ORDER BY rejected_rows DESC, reason_code',
  };
  if (time.monthColumn) {
    const m = time.monthColumn;
    return [
      {
        name: `${name}_by_month`.slice(0, 128),
        description: `Rows per month of ${time.source!.name}.`,
        sql: `SELECT ${m}, count(*) AS row_count FROM {{table}} GROUP BY ${m} ORDER BY ${m}`,
      },
      rejects,
    ];
  }
  if (category) {
    const c = category.name;
    return [
      {
        name: `${name}_by_${c}`.slice(0, 128),
        description: `Rows per ${c}.`,
        sql: `SELECT ${c}, count(*) AS row_count FROM {{table}} GROUP BY ${c} ORDER BY row_count DESC, ${c}`,
      },
      rejects,
    ];
  }
  return [{ name: `${name}_row_count`.slice(0, 128), description: 'Rows in the final table.', sql: 'SELECT count(*) AS row_count FROM {{table}}' }, rejects];
}

/** DAY for a sample spanning up to two months, WEEK up to a year, else MONTH. */
export function granularityFor(isoValues: readonly string[]): 'DAY' | 'WEEK' | 'MONTH' {
  const days = isoValues
    .filter((v) => v !== '')
    .map((v) => Date.parse(v.slice(0, 10)) / 86_400_000)
    .filter((d) => !Number.isNaN(d));
  if (days.length === 0) return 'DAY';
  const span = days.reduce((a, b) => Math.max(a, b)) - days.reduce((a, b) => Math.min(a, b));
  return span <= 62 ? 'DAY' : span <= 366 ? 'WEEK' : 'MONTH';
}

/** Title case of a dataset name: "order_lines" -> "Order lines". */
export function titleOf(name: string): string {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The dashboard: a row-count KPI, rows over time, a breakdown by the category, rejected rows by reason. */
export function dashboardFor(
  name: string,
  time: TimeChoice,
  category: ColumnInput | undefined,
  granularity: 'DAY' | 'WEEK' | 'MONTH',
): { dashboard: NonNullable<DatasetInput['dashboard']>; why: string } {
  const title = titleOf(name);
  const charts: NonNullable<NonNullable<DatasetInput['dashboard']>['charts']> = [];
  const why: string[] = [`KPI ${name}_rows (row count${time.dateColumn ? ', against the previous month' : ''})`];
  if (time.dateColumn) {
    charts.push({ id: 'rows_over_time', title: `${title} over time`, type: 'line', time: time.dateColumn, granularity });
    why.push(`rows per ${granularity.toLowerCase()} of ${time.dateColumn} (line)`);
  } else why.push('no time chart (no date column)');
  if (category) {
    charts.push({
      id: `rows_by_${category.name}`.slice(0, 128),
      title: `${title} by ${category.name.replace(/_/g, ' ')}`,
      type: 'bar',
      category: category.name,
    });
    why.push(`rows by ${category.type} column ${category.name} (bar)`);
  } else why.push('no breakdown (no enum or boolean column)');
  charts.push({ id: 'rejects_by_reason', title: 'Rejected rows by reason', type: 'bar', source: 'rejects', category: 'reason_code' });
  why.push('rejected rows by reason (bar)');
  const kpi = {
    id: `${name}_rows`.slice(0, 128),
    title: `${title}: rows`,
    aggregate: 'count' as const,
    compareToPreviousPeriod: time.dateColumn !== undefined,
  };
  return {
    dashboard: { title, ...(time.dateColumn ? { dateColumn: time.dateColumn } : {}), kpis: [kpi], charts },
    why: why.join('; '),
  };
}
