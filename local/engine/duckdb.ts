// A thin layer over @duckdb/node-api: open an in-process database, run SQL, get plain JS values back.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface PlainResult {
  readonly columns: string[];
  /** DuckDB's type names, e.g. "BIGINT", "DATE", "TIMESTAMP". */
  readonly types: string[];
  readonly rows: unknown[][];
}

export interface Database {
  readonly connection: DuckDBConnection;
  /** Runs SQL and returns its rows as plain JS values (see `toPlain`). */
  all(sql: string): Promise<PlainResult>;
  /** Runs SQL for its effect. */
  run(sql: string): Promise<void>;
  close(): void;
}

/**
 * Opens an in-memory DuckDB (no server, no file) with insertion order kept, so row order follows the files.
 * `tempDirectory`: where it spills what does not fit in memory (DuckDB's default is .tmp/ in the current folder,
 * which nothing cleans after a kill -9); the transform gives its staging folder.
 */
export async function openDatabase(options: { readonly tempDirectory?: string } = {}): Promise<Database> {
  const settings: Record<string, string> = { preserve_insertion_order: 'true' };
  if (options.tempDirectory) settings.temp_directory = options.tempDirectory;
  const instance = await DuckDBInstance.create(':memory:', settings);
  const connection = await instance.connect();
  // Every engine runs its SQL in UTC (glue-scripts/TRANSFORMS.md), whatever the machine's zone.
  await connection.run(`SET TimeZone = 'UTC'`);
  return {
    connection,
    async all(sql) {
      const reader = await connection.runAndReadAll(sql);
      const types = reader.columnTypes().map((t) => String(t));
      const rows = reader.getRowsJS().map((row) => row.map((v, i) => toPlain(v, types[i])));
      return { columns: reader.columnNames(), types, rows };
    },
    async run(sql) {
      await connection.run(sql);
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/**
 * A DuckDB value as plain JSON-friendly JS: BIGINT/HUGEINT become numbers when safe (strings
 * otherwise), DATE becomes "YYYY-MM-DD", TIMESTAMP an ISO string, lists and structs recursively.
 */
export function toPlain(value: unknown, type = ''): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    return type === 'DATE' ? value.toISOString().slice(0, 10) : value.toISOString();
  }
  if (Array.isArray(value)) return value.map((v) => toPlain(v));
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

/** The first line of a DuckDB error, without its "LINE 1: ..." pointer. */
export function duckDbMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].trim();
}
