// Where each stage reads and writes, and what the tables are called: one place for every key layout and name.
import { type PartitionField, partitionFields } from './partition';
import { DECIMAL_DEFAULT, type DecimalSqlType, decimalSqlType } from './decimal';
import type { CAST_TYPES, ColumnConfig, ColumnType, DatasetConfig } from './schema';

export { DECIMAL_DEFAULT, DECIMAL_MAX_PRECISION, type DecimalSqlType, decimalParts, decimalSqlType } from './decimal';
export type SqlType = (typeof CAST_TYPES)[number] | DecimalSqlType;

/** Top-level prefixes, the same in S3 and in the local object store. */
export const PREFIXES = {
  raw: 'raw/',
  processed: 'processed/',
  quarantine: 'quarantine/',
  reports: 'reports/',
  /** Files under no configured dataset prefix, written normalised with inferred columns. */
  inferred: 'inferred/',
  final: 'final_output/',
  /** Per-dataset state of the Glue job (its ledger of merged processed files), in the final bucket beside final_output/. */
  jobState: 'job_state/',
} as const;

/** The Glue job's ledger object under a dataset's jobStatePrefix: outside the table location, so no table maintenance deletes it. */
export const LEDGER_FILE = 'ledger.json';

/** Lineage columns the transform adds to every final row; dataset columns may not use these names. */
export const LINEAGE_COLUMNS: readonly FinalColumn[] = [
  { name: 'source_file', type: 'string' },
  { name: 'ingested_at', type: 'timestamp' },
];

/**
 * Columns of the rejected-rows files (quarantine/<dataset>/rows/*.jsonl, JSON Lines: one object per row
 * with these keys, in this order; `line` a JSON number), and of the <dataset>_rejects table over them.
 */
export const REJECT_COLUMNS: readonly FinalColumn[] = [
  { name: 'source_file', type: 'string' },
  { name: 'line', type: 'bigint' },
  { name: 'reason_code', type: 'string' },
  { name: 'column_name', type: 'string' },
  { name: 'reason', type: 'string' },
  { name: 'raw_record', type: 'string' },
];

/** Extension of the rejected-rows files: JSON Lines (see lambda/core/rejects-jsonl.ts). */
export const REJECTS_FILE_EXTENSION = '.jsonl';

export interface FinalColumn {
  readonly name: string;
  readonly type: SqlType;
}

export interface DatasetLayout {
  /** Prefix in the raw bucket that routes objects to this dataset. */
  readonly rawPrefix: string;
  /** Valid rows, as RFC 4180 CSV, in the processed bucket. */
  readonly processedPrefix: string;
  /** Rejected rows (REJECT_COLUMNS), in the processed bucket. */
  readonly rejectedRowsPrefix: string;
  /** Whole files that could not be read, with a .reason.json beside each, in the processed bucket. */
  readonly quarantinedFilesPrefix: string;
  /** One JSON report per raw file, in the processed bucket. */
  readonly reportsPrefix: string;
  /** The final Iceberg table's location (data/ and metadata/), in the final bucket. */
  readonly finalPrefix: string;
  /** The Glue job's state (LEDGER_FILE), in the final bucket. */
  readonly jobStatePrefix: string;
  /** Catalog table the crawler makes over processed data (crawler table prefix + dataset name). */
  readonly processedTable: string;
  /** Catalog table over the final Parquet data. */
  readonly finalTable: string;
  /** Catalog table over the rejected rows. */
  readonly rejectsTable: string;
}

/** Table prefix the crawler puts before the folder name under processed/. */
export const PROCESSED_TABLE_PREFIX = 'processed_';

export function datasetLayout(dataset: Pick<DatasetConfig, 'name' | 'rawPrefix'>): DatasetLayout {
  const name = dataset.name;
  return {
    rawPrefix: dataset.rawPrefix ?? `${PREFIXES.raw}${name}/`,
    processedPrefix: `${PREFIXES.processed}${name}/`,
    rejectedRowsPrefix: `${PREFIXES.quarantine}${name}/rows/`,
    quarantinedFilesPrefix: `${PREFIXES.quarantine}${name}/files/`,
    reportsPrefix: `${PREFIXES.reports}${name}/`,
    finalPrefix: `${PREFIXES.final}${name}/`,
    jobStatePrefix: `${PREFIXES.jobState}${name}/`,
    processedTable: `${PROCESSED_TABLE_PREFIX}${name}`,
    finalTable: name,
    rejectsTable: `${name}_rejects`,
  };
}

/** The SQL type each config column type is stored as once cast; a decimal column's own precision and scale: columnSqlType. */
export const SQL_TYPE_OF: Record<ColumnType, SqlType> = {
  string: 'string',
  integer: 'bigint',
  decimal: decimalSqlType(DECIMAL_DEFAULT.precision, DECIMAL_DEFAULT.scale),
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  email: 'string',
  enum: 'string',
};

/** The SQL type a config column is cast to: SQL_TYPE_OF, and for a decimal column DECIMAL(precision, scale) with the config's defaults. */
export function columnSqlType(column: Pick<ColumnConfig, 'type' | 'precision' | 'scale'>): SqlType {
  if (column.type !== 'decimal') return SQL_TYPE_OF[column.type];
  return decimalSqlType(column.precision ?? DECIMAL_DEFAULT.precision, column.scale ?? DECIMAL_DEFAULT.scale);
}

export interface FinalSchema {
  /** Data columns of the final table, in order (identity partition columns excluded). */
  readonly columns: readonly FinalColumn[];
  /** Identity partition columns, in order: the Hive-style folders of a layout that has them (`columns` keeps the sources of transforms). */
  readonly partitionColumns: readonly FinalColumn[];
  /** The Iceberg partition spec: every `partitionBy` entry parsed (config/partition.ts), identity and transforms, in order. */
  readonly partitionSpec: readonly PartitionField[];
}

/**
 * The final table's columns as the transform produces them: config types and casts, then renames,
 * then derived columns, then select, then lineage; partition columns moved out, as Hive tables need.
 * Unknown names are skipped here; `loadPipelineConfig` reports them.
 */
export function finalSchema(dataset: DatasetConfig): FinalSchema {
  const t = dataset.transforms;
  let columns: FinalColumn[] = dataset.columns.map((c) => ({
    name: t.rename[c.name] ?? c.name,
    type: t.cast[c.name] ?? columnSqlType(c),
  }));
  columns = columns.concat(t.derive.map((d) => ({ name: d.name, type: d.type })));
  if (t.select) {
    const byName = new Map(columns.map((c) => [c.name, c]));
    columns = t.select.flatMap((name) => (byName.has(name) ? [byName.get(name)!] : []));
  }
  columns = columns.concat(LINEAGE_COLUMNS);
  const partitionSpec = partitionFields(t.partitionBy);
  const identity = partitionSpec.filter((f) => f.transform === 'identity').map((f) => f.source);
  return {
    columns: columns.filter((c) => !identity.includes(c.name)),
    partitionColumns: identity.flatMap((p) => columns.filter((c) => c.name === p)),
    partitionSpec,
  };
}

/** Placeholders a configured query may use, as {{name}}. */
export const QUERY_PLACEHOLDERS = ['database', 'table', 'rejects_table'] as const;
/** A {{placeholder}} in a configured query (spaces inside the braces allowed); group 1 is its name. */
export const QUERY_PLACEHOLDER_PATTERN = /\{\{\s*([^}\s]*)\s*\}\}/g;

/** Replaces {{database}}, {{table}} and {{rejects_table}} in a configured query; anything else is left as written. */
export function renderQuery(sql: string, names: { database: string; table: string; rejectsTable: string }): string {
  const values: Record<(typeof QUERY_PLACEHOLDERS)[number], string> = { database: names.database, table: names.table, rejects_table: names.rejectsTable };
  return sql.replace(QUERY_PLACEHOLDER_PATTERN, (placeholder, name: string) =>
    Object.hasOwn(values, name) ? values[name as keyof typeof values] : placeholder,
  );
}
