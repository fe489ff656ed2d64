// Pure builders of the DuckDB SQL that implements the transform spec (glue-scripts/TRANSFORMS.md): no I/O here.
//
// `transforms.derive[].expr` and `transforms.filter` are never pasted: config/expression parses and types them
// (the config loader rejects bad ones), and the SQL here is printed from their trees by toDuckDbSql, with
// every identifier quoted and each function defined as in glue-scripts/TRANSFORMS.md, "Expressions".
import type { DatasetConfig } from '../../config/schema';
import { columnSqlType, decimalSqlType, LINEAGE_COLUMNS, type FinalColumn, type SqlType } from '../../config/layout';
import {
  type CompiledDerive,
  compileDatasetExpressions,
  duckdbType,
  compileExpression,
  type Expr,
  renamedColumnTypes,
  typeOf,
  toDuckDbSql,
} from '../../config/expression';

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

/** Internal column names; a leading "__" keeps them apart from dataset columns (identifiers start with a letter). */
export const INTERNAL = {
  path: '__source_path',
  row: '__row',
  mtime: '__mtime',
  file: '__file',
  stale: '__stale',
} as const;

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

/** One input file of a run, as the SQL sees it. */
export interface InputFile {
  readonly path: string;
  readonly baseName: string;
  /** Modification time in microseconds since the epoch (file system time). */
  readonly mtimeMicros: bigint;
}

/** A VALUES table of the input files with their modification time and base name. */
export function filesValuesSql(files: readonly InputFile[]): string {
  const rows = files.map((f) => `(${literal(f.path)}, ${f.mtimeMicros.toString()}::BIGINT, ${literal(f.baseName)})`);
  return `SELECT * FROM (VALUES ${rows.join(', ')}) AS t(${INTERNAL.path}, ${INTERNAL.mtime}, ${INTERNAL.file})`;
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

export interface TransformPlan {
  /** Every column after cast, rename and derive (before select), with its origin. */
  readonly columns: readonly PlannedColumn[];
  /** The data columns written, in order (partition columns excluded): finalSchema's non-lineage columns,
   *  undeclared columns sorted by name (only when there is no select), then source_file, ingested_at. */
  readonly dataColumns: readonly FinalColumn[];
  readonly partitionColumns: readonly FinalColumn[];
  /** Key columns, renamed. */
  readonly key: readonly string[];
  /** The derived columns' typed trees (each already cast to its column's type), in order. */
  readonly derive: readonly CompiledDerive[];
  /** The filter's typed tree. */
  readonly filter?: Expr;
}

/** A problem in the spec found before any data is read or written. */
export class TransformSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransformSpecError';
  }
}

const LINEAGE_NAMES = LINEAGE_COLUMNS.map((c) => c.name);

/**
 * The typed trees of the derive expressions and the filter. The config loader has checked them already; a
 * DatasetConfig that did not come through it fails here, with the key, the expression and a caret.
 */
function compileExpressions(dataset: DatasetConfig, at: string): Pick<TransformPlan, 'derive' | 'filter'> {
  const { expressions, problems } = compileDatasetExpressions(dataset);
  const [first] = problems;
  if (!first) return expressions;
  const filter = dataset.transforms.filter;
  if (first.key === 'filter' && filter !== undefined) {
    // A filter that parses and types but is no condition: say what it gives, in DuckDB's words.
    const columns = renamedColumnTypes(dataset);
    for (const d of dataset.transforms.derive) columns.set(d.name, d.type);
    const type = tryType(filter, columns);
    if (type)
      throw new TransformSpecError(`${at}: transforms.filter ${JSON.stringify(filter)} gives ${type}, not a boolean; write a condition such as "amount > 0"`);
  }
  const i = /^derive\[(\d+)\]/.exec(first.key)?.[1];
  const column = i === undefined ? '' : ` (column "${dataset.transforms.derive[Number(i)].name}")`;
  throw new TransformSpecError(`${at}: transforms.${first.key} ${JSON.stringify(first.text)}${column} is not a valid SQL expression here: ${first.message}`);
}

/** The DuckDB type of an expression that compiles, or undefined. */
function tryType(text: string, columns: ReadonlyMap<string, SqlType>): string | undefined {
  try {
    const type = typeOf(compileExpression(text, columns));
    return type === 'null' ? undefined : duckdbType(type);
  } catch {
    return undefined;
  }
}

/** The columns before any step: the config columns, then the files' other columns in header order. */
function inputColumnNames(dataset: DatasetConfig, fileColumns: readonly string[]): string[] {
  const declared = new Set(dataset.columns.map((c) => c.name));
  return [...declared, ...fileColumns.filter((c) => !declared.has(c) && c !== INTERNAL.path)];
}

/**
 * Works out the columns of each step from the config and the files' header union, and checks every
 * name the spec uses (glue-scripts/TRANSFORMS.md, "Errors"). `fileColumns`: the processed files' columns.
 */
export function planTransform(dataset: DatasetConfig, fileColumns: readonly string[]): TransformPlan {
  const t = dataset.transforms;
  const declared = new Set(dataset.columns.map((c) => c.name));
  const at = `dataset "${dataset.name}"`;
  const inputNames = inputColumnNames(dataset, fileColumns);
  for (const [key, what] of [
    ['rename', t.rename],
    ['cast', t.cast],
  ] as const) {
    for (const name of Object.keys(what)) {
      if (!inputNames.includes(name)) {
        throw new TransformSpecError(
          `${at}: transforms.${key} names column "${name}", which is neither a config column nor a column of the processed files; known columns: ${inputNames.join(', ')}`,
        );
      }
    }
  }
  const typed: PlannedColumn[] = inputNames.map((name) => ({
    name: t.rename[name] ?? name,
    type: t.cast[name] ?? (declared.has(name) ? columnSqlType(dataset.columns.find((c) => c.name === name)!) : 'string'),
    origin: declared.has(name) ? 'config' : 'undeclared',
  }));
  const seen = new Set<string>();
  for (const c of typed) {
    if (seen.has(c.name)) throw new TransformSpecError(`${at}: transforms.rename makes two columns called "${c.name}"; pick another new name`);
    if (LINEAGE_NAMES.includes(c.name)) throw new TransformSpecError(`${at}: column "${c.name}" is reserved for lineage; rename it with transforms.rename`);
    seen.add(c.name);
  }
  const derived: PlannedColumn[] = t.derive.map((d, i) => {
    if (seen.has(d.name) || LINEAGE_NAMES.includes(d.name)) {
      throw new TransformSpecError(`${at}: transforms.derive[${i}].name is "${d.name}", which is already a column; pick another name`);
    }
    seen.add(d.name);
    return { name: d.name, type: d.type, origin: 'derived' };
  });
  const all = [...typed, ...derived];
  const byName = new Map(all.map((c) => [c.name, c]));
  const names = all.map((c) => c.name);
  (t.select ?? []).forEach((s, i) => {
    if (!byName.has(s))
      throw new TransformSpecError(`${at}: transforms.select[${i}] is "${s}", which is not a column after rename and derive; available: ${names.join(', ')}`);
  });
  // finalSchema order: config columns renamed, derived; then undeclared columns by name (no select only).
  const selected = t.select
    ? t.select.map((s) => byName.get(s)!)
    : [
        ...all.filter((c) => c.origin !== 'undeclared'),
        ...all.filter((c) => c.origin === 'undeclared').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      ];
  const selectedNames = selected.map((c) => c.name);
  const key = dataset.key.map((k) => t.rename[k] ?? k);
  key.forEach((k, i) => {
    if (!selectedNames.includes(k))
      throw new TransformSpecError(
        `${at}: key[${i}] is "${dataset.key[i]}" ("${k}" after rename), which is not among the selected columns; selected: ${selectedNames.join(', ')}`,
      );
  });
  t.partitionBy.forEach((p, i) => {
    if (!selectedNames.includes(p))
      throw new TransformSpecError(
        `${at}: transforms.partitionBy[${i}] is "${p}", which is not among the selected columns; selected: ${selectedNames.join(', ')}`,
      );
  });
  if (t.partitionBy.length && t.partitionBy.length >= new Set(selectedNames).size) {
    throw new TransformSpecError(`${at}: transforms.partitionBy ${JSON.stringify(t.partitionBy)} takes every selected column; leave at least one data column`);
  }
  const final = [...selected.map((c) => ({ name: c.name, type: c.type })), ...LINEAGE_COLUMNS];
  return {
    columns: all,
    dataColumns: final.filter((c) => !t.partitionBy.includes(c.name)),
    partitionColumns: t.partitionBy.map((p) => final.find((c) => c.name === p)!),
    key,
    ...compileExpressions(dataset, at),
  };
}

/** CTEs from the raw table `source` (all strings + path + row) to the typed, renamed, derived relation `derived_<n>`. */
export function typedAndDerivedCtes(
  dataset: DatasetConfig,
  plan: TransformPlan,
  sourceTable: string,
  fileColumns: readonly string[],
): { ctes: string[]; last: string } {
  const present = new Set(fileColumns);
  // plan.columns starts with one entry per input column, in this order.
  const typedSelect = inputColumnNames(dataset, fileColumns).map((name, i) => {
    const planned = plan.columns[i];
    const type = duckdbType(planned.type);
    const value = !present.has(name) ? `CAST(NULL AS ${type})` : planned.type === 'string' ? `s.${ident(name)}` : `TRY_CAST(s.${ident(name)} AS ${type})`;
    return `${value} AS ${ident(planned.name)}`;
  });
  typedSelect.push(`s.${INTERNAL.row}`, `f.${INTERNAL.mtime}`, `f.${INTERNAL.file}`);
  const ctes = [`typed AS (SELECT ${typedSelect.join(', ')} FROM ${sourceTable} s JOIN input_files f ON s.${INTERNAL.path} = f.${INTERNAL.path})`];
  let last = 'typed';
  plan.derive.forEach((d, i) => {
    const name = `derived_${i}`;
    ctes.push(`${name} AS (SELECT *, ${toDuckDbSql(d.tree)} AS ${ident(d.name)} FROM ${last})`);
    last = name;
  });
  return { ctes, last };
}

/**
 * The full transform of this run's rows: cast, rename, derive, filter, dedupe (latest file wins,
 * then the last row in it), select, lineage. Output columns: data columns then partition columns.
 */
export function transformSql(dataset: DatasetConfig, plan: TransformPlan, sourceTable: string, fileColumns: readonly string[], ingestedAtIso: string): string {
  const { ctes, last } = typedAndDerivedCtes(dataset, plan, sourceTable, fileColumns);
  const filter = plan.filter ? `WHERE ${toDuckDbSql(plan.filter)}` : '';
  const dedupe = plan.key.length
    ? `QUALIFY row_number() OVER (PARTITION BY ${plan.key.map(ident).join(', ')} ORDER BY ${INTERNAL.mtime} DESC, ${INTERNAL.file} DESC, ${INTERNAL.row} DESC) = 1`
    : '';
  ctes.push(`filtered AS (SELECT * FROM ${last} ${filter} ${dedupe})`);
  const lineage: Record<string, string> = {
    source_file: `${INTERNAL.file}`,
    ingested_at: `CAST(${literal(ingestedAtIso)} AS TIMESTAMP)`,
  };
  const out = [...plan.dataColumns, ...plan.partitionColumns].map((c) => `${lineage[c.name] ?? ident(c.name)} AS ${ident(c.name)}`);
  return `WITH ${ctes.join(',\n')}\nSELECT ${out.join(', ')} FROM filtered`;
}

/** Spark's timestamp literal text (UTC, microseconds) for the run's ingestion time. */
export function ingestedAtLiteral(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
