// The columns QuickSight sees in the final and rejects tables, with the QuickSight type of each: one mapping from SQL types.
import type { DatasetConfig } from '../../config/schema';
import { datasetLayout, type DecimalSqlType, decimalParts, finalSchema, REJECT_COLUMNS, type FinalColumn, type SqlType } from '../../config/layout';

/** QuickSight input column types the pipeline's SQL types map to (AWS::QuickSight::DataSet InputColumn Type). */
export type QuickSightColumnType = 'STRING' | 'INTEGER' | 'DECIMAL' | 'DATETIME' | 'BOOLEAN';

/**
 * Booleans are BOOLEAN: an allowed InputColumn Type (STRING | INTEGER | DECIMAL | DATETIME | BIT | BOOLEAN | JSON in
 * the AWS::QuickSight::DataSet InputColumn reference), and what Athena returns for a Parquet boolean column.
 */
export const QUICKSIGHT_TYPE_OF: Readonly<Record<Exclude<SqlType, DecimalSqlType>, QuickSightColumnType>> = {
  string: 'STRING',
  int: 'INTEGER',
  bigint: 'INTEGER',
  double: 'DECIMAL',
  boolean: 'BOOLEAN',
  date: 'DATETIME',
  timestamp: 'DATETIME',
};

/** The QuickSight type of a SQL type: QUICKSIGHT_TYPE_OF, and DECIMAL for an exact decimal(p,s) (QuickSight reads Athena's DECIMAL as fixed point). */
export function quickSightTypeOf(type: SqlType): QuickSightColumnType {
  return decimalParts(type) ? 'DECIMAL' : QUICKSIGHT_TYPE_OF[type as Exclude<SqlType, DecimalSqlType>];
}

/** How a column can be used in a visual: dimension/measure fields come in categorical, numerical and date kinds. */
export type FieldKind = 'categorical' | 'numerical' | 'date';

export function fieldKindOf(type: QuickSightColumnType): FieldKind {
  // true / false are categories to break down by, not numbers to sum.
  if (type === 'STRING' || type === 'BOOLEAN') return 'categorical';
  if (type === 'DATETIME') return 'date';
  return 'numerical';
}

export interface QuickSightColumn {
  readonly name: string;
  readonly type: QuickSightColumnType;
}

function toQuickSight(columns: readonly FinalColumn[]): QuickSightColumn[] {
  return columns.map((c) => ({ name: c.name, type: quickSightTypeOf(c.type) }));
}

/** Which of the dataset's two tables a visual or data set reads. */
export type TableSource = 'final' | 'rejects';

export interface QuickSightTable {
  /** Catalog table name (`<ds>` or `<ds>_rejects`). */
  readonly tableName: string;
  /** Data columns then partition columns, as Athena exposes them. */
  readonly columns: readonly QuickSightColumn[];
}

/** The final Parquet table: data columns, then partition columns (Athena shows both as ordinary columns). */
export function finalTable(dataset: DatasetConfig): QuickSightTable {
  const schema = finalSchema(dataset);
  return {
    tableName: datasetLayout(dataset).finalTable,
    columns: toQuickSight(schema.columns.concat(schema.partitionColumns)),
  };
}

/** The rejected-rows table over quarantine/<ds>/rows/ (REJECT_COLUMNS). */
export function rejectsTable(dataset: DatasetConfig): QuickSightTable {
  return { tableName: datasetLayout(dataset).rejectsTable, columns: toQuickSight(REJECT_COLUMNS) };
}

export function tableOf(dataset: DatasetConfig, source: TableSource): QuickSightTable {
  return source === 'final' ? finalTable(dataset) : rejectsTable(dataset);
}

/**
 * The column every row of both tables carries and that is never empty (lineage on final rows, the file name on
 * rejected rows): counting it counts rows.
 */
export const ROW_COUNT_COLUMN = 'source_file';
