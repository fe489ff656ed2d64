// Pure builders of the DuckDB SQL that implements the transform spec (glue-scripts/TRANSFORMS.md): no I/O here.
//
// The SQL executes the dataset's TransformPlan (config/transform-plan.ts): `transforms.derive[].expr` and
// `transforms.filter` are never pasted, the plan carries the DuckDB SQL generated from their checked trees, with
// every identifier quoted and each function defined as in glue-scripts/TRANSFORMS.md, "Expressions".
import { INTERNAL_COLUMNS, INTERNAL_PREFIX } from '../../config/column-names';
import { duckdbType } from '../../config/expression';
import { decimalSqlType, type FinalColumn, LINEAGE_COLUMNS, type SqlType } from '../../config/layout';
import type { TransformPlan as DatasetPlan } from '../../config/transform-plan';

/** DuckDB's name for each transform SQL type (defined with the DuckDB SQL generator). */
export { duckdbType };

/** The transform SQL type a DuckDB column type reads back as (for schema checks against existing Parquet). */
export function sqlTypeOfDuckDb(duckdbType: string): SqlType | undefined {
  const t = duckdbType.toUpperCase();
  if (t === 'VARCHAR') return 'string';
  if (t === 'INTEGER' || t === 'INT') return 'int';
  if (t === 'BIGINT') return 'bigint';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'double';
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return decimalSqlType(Number(decimal[1]), Number(decimal[2]));
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  return undefined;
}

/** Internal column names (config/column-names.ts): their "__" prefix is unreachable for data columns. */
export const INTERNAL = INTERNAL_COLUMNS;

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A file path as a DuckDB SQL literal that names exactly that file. DuckDB reads `*`, `?` and `[` in the
 * paths given to read_csv/read_parquet/read_json as a glob (a workdir called "a*b" would read "aXb"'s
 * files), and has no option to turn that off; each one is written as a one-character class ("[*]"),
 * which matches only itself. Use it for every path DuckDB reads; COPY ... TO paths are not globbed.
 */
export function pathLiteral(file: string): string {
  return literal(file.replace(/[*?[]/g, (c) => `[${c}]`));
}

/** The input files' column with each row's raw object key (what source_file holds), as pipeline_transforms.py's SOURCE_KEY_COLUMN. */
export const SOURCE_KEY_COLUMN = `${INTERNAL_PREFIX}source_raw_key`;

/** One input file of a run, as the SQL sees it. */
export interface InputFile {
  readonly path: string;
  readonly baseName: string;
  /** The raw object's key from the file's preprocessing report, else the file's base name (source_file). */
  readonly sourceFile: string;
  /** Modification time in microseconds since the epoch (file system time). */
  readonly mtimeMicros: bigint;
  /** 0 bytes: an input file like any other (counted, its source's rows replaced), with no header to read. */
  readonly empty: boolean;
}

/** A VALUES table of the input files with their modification time, base name and raw key. */
export function filesValuesSql(files: readonly InputFile[]): string {
  const rows = files.map((f) => `(${literal(f.path)}, ${f.mtimeMicros.toString()}::BIGINT, ${literal(f.baseName)}, ${literal(f.sourceFile)})`);
  return `SELECT * FROM (VALUES ${rows.join(', ')}) AS t(${INTERNAL.path}, ${INTERNAL.mtime}, ${INTERNAL.file}, ${SOURCE_KEY_COLUMN})`;
}

/**
 * The final Parquet files as one relation (columns matched by name), with the partition columns read
 * from the Hive folders and typed as planned; `filenameColumn` adds each row's file path.
 */
export function finalParquetSql(plan: TransformPlan, files: readonly string[], filenameColumn?: string): string {
  const hive = plan.partitionColumns.length ? 'hive_partitioning = true, hive_types_autocast = false' : 'hive_partitioning = false';
  const casts = plan.partitionColumns.map((c) => `CAST(${ident(c.name)} AS ${duckdbType(c.type)}) AS ${ident(c.name)}`);
  const star = casts.length ? `* REPLACE (${casts.join(', ')})` : '*';
  const filename = filenameColumn ? `, filename = ${literal(filenameColumn)}` : '';
  return `SELECT ${star} FROM read_parquet([${files.map(pathLiteral).join(', ')}], ${hive}, union_by_name = true${filename})`;
}

/** Reads processed CSV files as they are written: RFC 4180, header first, every value a string, empty = null. */
export function readCsvSql(paths: readonly string[]): string {
  // No file with a header (every input file is 0 bytes): no rows and no columns, as Spark reads them.
  if (!paths.length) return `(SELECT CAST(NULL AS VARCHAR) AS ${INTERNAL.path} WHERE false)`;
  return (
    `read_csv([${paths.map(pathLiteral).join(', ')}], all_varchar = true, header = true, union_by_name = true, ` +
    `filename = ${literal(INTERNAL.path)}, delim = ',', quote = '"', escape = '"', strict_mode = true, ` +
    `null_padding = false, parallel = true)`
  );
}

/** The columns of the transformed relation, before select: what each one is and where it comes from. */
export interface PlannedColumn {
  readonly name: string;
  readonly type: SqlType;
  readonly origin: 'config' | 'undeclared' | 'derived';
}

/** The config's TransformPlan (config/transform-plan.ts) fitted to this run's files: what the DuckDB SQL executes. */
export interface DuckDbPlan {
  /** The TransformPlan the config loader's checks stand behind; nothing here checks it again. */
  readonly spec: DatasetPlan;
  /** The input columns in order: the declared columns, then the files' undeclared columns in header order. */
  readonly inputNames: readonly string[];
  /** Every column after cast, rename and derive (before select), with its origin; starts with one entry per input column. */
  readonly columns: readonly PlannedColumn[];
  /** The data columns written, in order (partition columns excluded): finalSchema's non-lineage columns,
   *  undeclared columns sorted by name (only when there is no select), then source_file, ingested_at. */
  readonly dataColumns: readonly FinalColumn[];
  readonly partitionColumns: readonly FinalColumn[];
  /** Key columns, renamed. */
  readonly key: readonly string[];
}

/** @deprecated the name before the config's TransformPlan existed; use DuckDbPlan. */
export type TransformPlan = DuckDbPlan;

/** A problem found before any data is read or written (a type conflict with the existing final data). */
export class TransformSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransformSpecError';
  }
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Fits the dataset's TransformPlan to the files' header union (`fileColumns`): the undeclared columns (extraColumns
 * "keep") join as strings. No name is checked here: the config loader checked the plan, and the Lambda
 * quarantines a file whose columns would collide with a reserved name (config/column-names.ts).
 */
export function planTransform(spec: DatasetPlan, fileColumns: readonly string[]): DuckDbPlan {
  const declared = new Set(spec.columns.map((c) => c.name));
  const undeclared = fileColumns.filter((c) => !declared.has(c) && !c.startsWith(INTERNAL_PREFIX));
  const typed: PlannedColumn[] = [
    ...spec.columns.map((c): PlannedColumn => ({ name: c.finalName, type: c.type, origin: 'config' })),
    ...undeclared.map((name): PlannedColumn => ({ name, type: spec.names.undeclaredType, origin: 'undeclared' })),
  ];
  const all = [...typed, ...spec.derive.map((d): PlannedColumn => ({ name: d.name, type: d.type, origin: 'derived' }))];
  const columnOf = new Map(all.map((c) => [c.name, c]));
  // finalSchema order: config columns renamed, derived; then undeclared columns by name (no select only).
  const selected = spec.select
    ? spec.select.map((s) => columnOf.get(s)!)
    : [...all.filter((c) => c.origin !== 'undeclared'), ...all.filter((c) => c.origin === 'undeclared').sort(byName)];
  const final = [...selected.map((c) => ({ name: c.name, type: c.type })), ...LINEAGE_COLUMNS];
  // Hive folders for the identity partition fields only; Iceberg transforms (month(c), bucket(N, c)) are the Spark table's.
  const identity = spec.finalSchema.partitionColumns.map((c) => c.name);
  return {
    spec,
    inputNames: [...spec.columns.map((c) => c.name), ...undeclared],
    columns: all,
    dataColumns: final.filter((c) => !identity.includes(c.name)),
    partitionColumns: identity.map((p) => final.find((c) => c.name === p)!),
    key: spec.finalKey,
  };
}

/** CTEs from the raw table `source` (all strings + path + row) to the typed, renamed, derived relation `derived_<n>`. */
export function typedAndDerivedCtes(plan: DuckDbPlan, sourceTable: string, fileColumns: readonly string[]): { ctes: string[]; last: string } {
  const present = new Set(fileColumns);
  const typedSelect = plan.inputNames.map((name, i) => {
    const planned = plan.columns[i];
    const type = duckdbType(planned.type);
    const value = !present.has(name) ? `CAST(NULL AS ${type})` : planned.type === 'string' ? `s.${ident(name)}` : `TRY_CAST(s.${ident(name)} AS ${type})`;
    return `${value} AS ${ident(planned.name)}`;
  });
  typedSelect.push(`s.${INTERNAL.row}`, `f.${INTERNAL.mtime}`, `f.${INTERNAL.file}`, `f.${SOURCE_KEY_COLUMN}`);
  const ctes = [`typed AS (SELECT ${typedSelect.join(', ')} FROM ${sourceTable} s JOIN input_files f ON s.${INTERNAL.path} = f.${INTERNAL.path})`];
  let last = 'typed';
  plan.spec.derive.forEach((d, i) => {
    const name = `derived_${i}`;
    ctes.push(`${name} AS (SELECT *, ${d.sql.duckdb} AS ${ident(d.name)} FROM ${last})`);
    last = name;
  });
  return { ctes, last };
}

/**
 * The full transform of this run's rows: cast, rename, derive, filter, dedupe (latest file wins,
 * then the last row in it), select, lineage (source_file: the file's raw key). Output columns: data columns then partition columns.
 */
export function transformSql(plan: DuckDbPlan, sourceTable: string, fileColumns: readonly string[], ingestedAtIso: string): string {
  const { ctes, last } = typedAndDerivedCtes(plan, sourceTable, fileColumns);
  const filter = plan.spec.filter ? `WHERE ${plan.spec.filter.sql.duckdb}` : '';
  const dedupe = plan.key.length
    ? `QUALIFY row_number() OVER (PARTITION BY ${plan.key.map(ident).join(', ')} ORDER BY ${INTERNAL.mtime} DESC, ${INTERNAL.file} DESC, ${INTERNAL.row} DESC) = 1`
    : '';
  ctes.push(`filtered AS (SELECT * FROM ${last} ${filter} ${dedupe})`);
  const { sourceFile, ingestedAt } = plan.spec.names.lineage;
  const lineage: Record<string, string> = {
    [sourceFile]: SOURCE_KEY_COLUMN,
    [ingestedAt]: `CAST(${literal(ingestedAtIso)} AS TIMESTAMP)`,
  };
  const out = [...plan.dataColumns, ...plan.partitionColumns].map((c) => `${lineage[c.name] ?? ident(c.name)} AS ${ident(c.name)}`);
  return `WITH ${ctes.join(',\n')}\nSELECT ${out.join(', ')} FROM filtered`;
}

/** Spark's timestamp literal text (UTC, microseconds) for the run's ingestion time. */
export function ingestedAtLiteral(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
