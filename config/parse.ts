// Validates a pipeline config (already parsed JSON) and cross-checks its names, failing with the key, the value and the fix.
// No file access here: the Lambda bundle imports this module, not the fs-based loader (config/load.ts).
import type { z } from 'zod';
import { type PipelineConfig, PipelineConfigSchema, type DatasetConfig } from './schema';
import { compileDatasetExpressions } from './expression';
import { partitionProblems } from './partition';
import { LINEAGE_NAMES, normaliseHeaderName, reservedColumnNames } from './column-names';
import { datasetLayout, finalSchema, LINEAGE_COLUMNS, QUERY_PLACEHOLDER_PATTERN, QUERY_PLACEHOLDERS, REJECT_COLUMNS } from './layout';

/** Where the config is read from when no path is given (`-c config=...` overrides it). */
export const DEFAULT_CONFIG_PATH = 'pipeline.config.json';

/** One problem in a config: where it is, what was found, and how to fix it. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
  readonly value?: unknown;
}

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `Invalid pipeline config ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.path}: ${withValue(p)}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** The message with "(got value)" after its first line (an expression problem's caret lines follow it). */
function withValue(p: ConfigProblem): string {
  if (p.value === undefined) return p.message;
  const [first, ...rest] = p.message.split('\n');
  return [`${first} (got ${show(p.value)})`, ...rest].join('\n');
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '') || '(root)';
}

function problemFromIssue(issue: z.core.$ZodIssue): ConfigProblem {
  const path = pathOf(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return { path, message: `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or correct the spelling` };
    case 'invalid_value':
      return { path, message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`, value: issue.input };
    case 'invalid_type':
      return issue.input === undefined
        ? { path, message: `is required: add a ${issue.expected} here` }
        : { path, message: `must be a ${issue.expected}`, value: issue.input };
    default:
      return { path, message: issue.message, value: issue.input };
  }
}

/** Sets `a.b.c` style overrides (from CDK context) on a plain object, parsing "true"/"false"/numbers. */
export function applyOverrides(raw: unknown, overrides: Record<string, unknown>): unknown {
  const copy = structuredClone(raw) as Record<string, unknown>;
  for (const [dotted, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const keys = dotted.split('.');
    let node = copy;
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = coerce(value);
  }
  return copy;
}

function coerce(value: unknown): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

/** Validates an already-parsed config object; `source` names it in errors. */
export function parsePipelineConfig(raw: unknown, source = DEFAULT_CONFIG_PATH): PipelineConfig {
  const result = PipelineConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(source, result.error.issues.map(problemFromIssue));
  const problems = crossCheck(result.data);
  if (problems.length) throw new ConfigError(source, problems);
  return result.data;
}

/** Finds a dataset by name, or says which names exist. */
export function findDataset(config: PipelineConfig, name: string): DatasetConfig {
  const dataset = config.datasets.find((d) => d.name === name);
  if (!dataset) {
    throw new Error(`No dataset "${name}" in the pipeline config; configured datasets: ${config.datasets.map((d) => d.name).join(', ')}`);
  }
  return dataset;
}

/** Finds the dataset whose raw prefix holds an object key, if any. */
export function datasetForKey(config: PipelineConfig, key: string): DatasetConfig | undefined {
  return config.datasets.find((d) => key.startsWith(datasetLayout(d).rawPrefix));
}

function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

/** Checks that go across keys: names that must refer to columns, uniqueness, combinations. */
function crossCheck(config: PipelineConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, message: string, value?: unknown) => problems.push({ path, message, value });

  for (const name of duplicates(config.datasets.map((d) => d.name))) {
    add('datasets', `dataset name "${name}" is used twice; give each dataset its own name`);
  }
  const prefixes = config.datasets.map((d) => datasetLayout(d).rawPrefix);
  for (const [i, p] of prefixes.entries()) {
    for (const [j, q] of prefixes.entries()) {
      if (i < j && (p.startsWith(q) || q.startsWith(p))) {
        add(`datasets[${j}].rawPrefix`, `overlaps the raw prefix "${p}" of datasets[${i}]; each file must route to one dataset`, q);
      }
    }
  }

  for (const [d, dataset] of config.datasets.entries()) checkDataset(dataset, `datasets[${d}]`, add);

  // Files a running job has written but not yet committed look orphaned: the orphan-file optimizer must not reach them.
  const orphanMinutes = config.catalog.orphanFileRetentionDays * 24 * 60;
  if (orphanMinutes <= config.transform.timeoutMinutes) {
    add(
      'catalog.orphanFileRetentionDays',
      `keeps unreferenced files ${config.catalog.orphanFileRetentionDays} day(s), not longer than a job may run (transform.timeoutMinutes ${config.transform.timeoutMinutes}): the orphan-file optimizer could delete the files of a run before it commits them; raise orphanFileRetentionDays above ${Math.ceil(config.transform.timeoutMinutes / 1440)} or lower transform.timeoutMinutes`,
      config.catalog.orphanFileRetentionDays,
    );
  }
  if (config.quicksight.enabled && !config.quicksight.principalArn) {
    add(
      'quicksight.principalArn',
      'is required when quicksight.enabled is true: set the QuickSight user or group ARN (e.g. -c quicksight.principalArn=arn:aws:quicksight:IDENTITY_REGION:ACCOUNT:user/default/NAME, where IDENTITY_REGION is the QuickSight identity region, which may differ from the deploy region)',
    );
  }
  return problems;
}

/**
 * The problems of one dataset, as the loader reports them (config/transform-plan.ts refuses to plan a dataset that
 * has any): the one place a transform spec is checked.
 */
export function datasetProblems(dataset: DatasetConfig, at = `datasets[name=${dataset.name}]`): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  checkDataset(dataset, at, (path, message, value) => problems.push({ path, message, value }));
  return problems;
}

type AddProblem = (path: string, message: string, value?: unknown) => void;

/** Declared names and aliases (glue-scripts/TRANSFORMS.md, "Column names"): a header must map to one column, never to a reserved name. */
function checkColumnNames(dataset: DatasetConfig, at: string, add: AddProblem): void {
  const owner = new Map<string, string>();
  dataset.columns.forEach((c, i) => {
    [c.name, ...c.aliases].forEach((n, k) => {
      const key = normaliseHeaderName(n);
      const other = owner.get(key);
      const p = k === 0 ? `${at}.columns[${i}].name` : `${at}.columns[${i}].aliases[${k - 1}]`;
      if (other !== undefined && other !== c.name)
        add(
          p,
          `a header ${JSON.stringify(n)} would match both column "${other}" and column "${c.name}" (headers compare case-, space- and underscore-insensitively); keep it on one column`,
          n,
        );
      if (other === undefined) owner.set(key, c.name);
    });
    if (LINEAGE_NAMES.includes(c.name))
      add(
        `${at}.columns[${i}].name`,
        `"${c.name}" is reserved for lineage (the transform adds it to every row); name the column otherwise, e.g. "${c.name}_in_file" with "aliases": ["${c.name}"]`,
        c.name,
      );
  });
  const reserved = reservedColumnNames(undefined);
  for (const [from, to] of Object.entries(dataset.transforms.rename)) {
    if (reserved.has(to)) add(`${at}.transforms.rename.${from}`, `renames "${from}" to "${to}", which is ${reserved.get(to)}; pick another new name`, to);
  }
}

/** The key must stay among the final columns: with transforms.select, its renamed names must be selected. */
function checkKeyInSelect(dataset: DatasetConfig, at: string, add: AddProblem): void {
  const t = dataset.transforms;
  const columnNames = dataset.columns.map((c) => c.name);
  dataset.key.forEach((k, i) => {
    const renamedKey = t.rename[k] ?? k;
    if (t.select && columnNames.includes(k) && !t.select.includes(renamedKey))
      add(`${at}.key[${i}]`, `is "${k}" ("${renamedKey}" after rename), which transforms.select leaves out; add "${renamedKey}" to transforms.select`, k);
  });
}

/** Named queries: known placeholders only, unique names. */
function checkQueries(dataset: DatasetConfig, at: string, add: AddProblem): void {
  dataset.queries.forEach((q, i) => {
    for (const m of q.sql.matchAll(QUERY_PLACEHOLDER_PATTERN)) {
      if (!(QUERY_PLACEHOLDERS as readonly string[]).includes(m[1])) {
        add(`${at}.queries[${i}].sql`, `unknown placeholder {{${m[1]}}}; use ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`, m[0]);
      }
    }
  });
  for (const name of duplicates(dataset.queries.map((q) => q.name))) add(`${at}.queries`, `query name "${name}" is used twice`);
}

function checkDataset(dataset: DatasetConfig, at: string, add: AddProblem): void {
  const columnNames = dataset.columns.map((c) => c.name);
  const known = (list: readonly string[]) => `known columns: ${list.join(', ')}`;
  for (const name of duplicates(columnNames)) add(`${at}.columns`, `column "${name}" is declared twice`);
  checkColumnNames(dataset, at, add);
  checkKeyInSelect(dataset, at, add);

  dataset.columns.forEach((c, i) => {
    const p = `${at}.columns[${i}]`;
    if (c.type === 'enum' && !c.values) add(`${p}.values`, `is required for enum column "${c.name}": list the allowed values`);
    if (c.type !== 'enum' && c.values && c.type !== 'string') add(`${p}.values`, `only applies to enum and string columns; "${c.name}" is ${c.type}`);
    if (c.formats && c.type !== 'date' && c.type !== 'timestamp') add(`${p}.formats`, `only applies to date and timestamp columns; "${c.name}" is ${c.type}`);
  });
  dataset.key.forEach((k, i) => {
    if (!columnNames.includes(k)) add(`${at}.key[${i}]`, `is not a column of the dataset; ${known(columnNames)}`, k);
  });

  const t = dataset.transforms;
  for (const [from] of Object.entries(t.rename)) {
    if (!columnNames.includes(from)) add(`${at}.transforms.rename.${from}`, `renames a column that does not exist; ${known(columnNames)}`, from);
  }
  for (const [name] of Object.entries(t.cast)) {
    if (!columnNames.includes(name)) add(`${at}.transforms.cast.${name}`, `casts a column that does not exist; ${known(columnNames)}`, name);
  }
  const renamed = columnNames.map((n) => t.rename[n] ?? n);
  for (const name of duplicates(renamed)) add(`${at}.transforms.rename`, `two columns would be called "${name}" after renaming`);
  const available = renamed.concat(t.derive.map((x) => x.name));
  t.derive.forEach((x, i) => {
    if (renamed.includes(x.name)) add(`${at}.transforms.derive[${i}].name`, `"${x.name}" is already a column; pick another name`, x.name);
    if (LINEAGE_NAMES.includes(x.name))
      add(`${at}.transforms.derive[${i}].name`, `"${x.name}" is reserved for lineage (the transform adds it to every row); pick another name`, x.name);
  });
  // The one check of the expressions: they parse, name existing columns and functions, and type-check.
  for (const p of compileDatasetExpressions(dataset).problems) add(`${at}.transforms.${p.key}`, p.message, p.text);
  (t.select ?? []).forEach((s, i) => {
    if (!available.includes(s)) add(`${at}.transforms.select[${i}]`, `is not a column after rename and derive; ${known(available)}`, s);
  });
  const schema = finalSchema(dataset);
  const finalColumns = schema.columns.concat(schema.partitionColumns);
  const finalNames = finalColumns.map((c) => c.name);
  const partitionTypes = new Map<string, string>(finalColumns.map((c) => [c.name, c.type]));
  for (const p of partitionProblems(t.partitionBy, partitionTypes)) add(`${at}.transforms.partitionBy[${p.index}]`, p.message, t.partitionBy[p.index]);
  if (schema.partitionColumns.length && schema.columns.length === LINEAGE_COLUMNS.length) {
    add(`${at}.transforms.partitionBy`, 'leaves no data column outside the partitions; partition by fewer columns');
  }

  checkQueries(dataset, at, add);

  const dash = dataset.dashboard;
  if (!dash) return;
  const rejectNames = REJECT_COLUMNS.map((c) => c.name);
  if (dash.dateColumn && !finalNames.includes(dash.dateColumn))
    add(`${at}.dashboard.dateColumn`, `is not a final column; ${known(finalNames)}`, dash.dateColumn);
  dash.kpis.forEach((k, i) => {
    if (k.aggregate !== 'count' && !k.column) add(`${at}.dashboard.kpis[${i}].column`, `is required for aggregate "${k.aggregate}"`);
    if (k.column && !finalNames.includes(k.column)) add(`${at}.dashboard.kpis[${i}].column`, `is not a final column; ${known(finalNames)}`, k.column);
    if (k.compareToPreviousPeriod && !dash.dateColumn)
      add(
        `${at}.dashboard.dateColumn`,
        `is required by kpis[${i}].compareToPreviousPeriod; name the final date column or set compareToPreviousPeriod to false`,
      );
  });
  dash.charts.forEach((c, i) => {
    const p = `${at}.dashboard.charts[${i}]`;
    const names = c.source === 'rejects' ? rejectNames : finalNames;
    if (c.type === 'line' && !c.time) add(`${p}.time`, 'is required for a line chart: name a date column');
    if (c.type !== 'line' && !c.category) add(`${p}.category`, `is required for a ${c.type} chart: name the column to break down by`);
    for (const key of ['time', 'category', 'column'] as const) {
      const value = c[key];
      if (value && !names.includes(value)) add(`${p}.${key}`, `is not a column of the ${c.source} table; ${known(names)}`, value);
    }
    if (c.aggregate !== 'count' && !c.column) add(`${p}.column`, `is required for aggregate "${c.aggregate}"`);
  });
  for (const id of duplicates(dash.kpis.map((k) => k.id).concat(dash.charts.map((c) => c.id)))) add(`${at}.dashboard`, `id "${id}" is used twice`);
}
