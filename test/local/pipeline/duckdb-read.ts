// Reads the pipeline's output files with a fresh in-memory DuckDB, independent of local/tables.ts.
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export async function readWithDuckDb(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** `SELECT <columns> FROM <the dataset's final Parquet files, hive partitions as columns> ORDER BY ...`. */
export async function finalRows(workdir: string, dataset: string, columns: string, orderBy: string): Promise<Record<string, unknown>[]> {
  const glob = path.join(workdir, 'final_output', dataset, '**', '*.parquet');
  return readWithDuckDb(`SELECT ${columns} FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY ${orderBy}`);
}

/** Every rejected row of a dataset (JSON Lines files), read with the types DuckDB infers. */
export async function rejectRows(workdir: string, dataset: string): Promise<Record<string, unknown>[]> {
  const glob = path.join(workdir, 'quarantine', dataset, 'rows', '*.jsonl');
  return readWithDuckDb(`SELECT * FROM read_json('${glob}', format = 'newline_delimited') ORDER BY source_file, line`);
}
