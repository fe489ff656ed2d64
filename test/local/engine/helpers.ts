// Shared fixtures of the engine tests: processed CSV folders with chosen modification times, configs, Parquet read-back.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePipelineConfig } from '../../../config/load';
import type { DatasetConfig, PipelineConfig } from '../../../config/schema';
import { openDatabase } from '../../../local/engine/duckdb';

export function tempDir(prefix = 'engine-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes processed CSV files; each gets its own modification time (seconds since the epoch, in order given). */
export function writeProcessed(dir: string, files: Record<string, string>, firstMtime = 1_700_000_000): void {
  fs.mkdirSync(dir, { recursive: true });
  Object.entries(files).forEach(([name, content], i) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    fs.utimesSync(p, firstMtime + i * 60, firstMtime + i * 60);
  });
}

export function configWith(datasets: unknown[]): PipelineConfig {
  return parsePipelineConfig({ datasets }, 'test config');
}

export function datasetOf(config: PipelineConfig, name?: string): DatasetConfig {
  return name ? config.datasets.find((d) => d.name === name)! : config.datasets[0];
}

/** Reads every Parquet row under a final folder (hive partitions as strings) as plain objects, sorted for comparison. */
export async function readFinal(dir: string, orderBy: string): Promise<Record<string, unknown>[]> {
  const db = await openDatabase();
  try {
    const result = await db.all(
      `SELECT * FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false, union_by_name = true) ORDER BY ${orderBy}`,
    );
    return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
  } finally {
    db.close();
  }
}

/** Partition folders (relative) holding Parquet files. */
export function partitionFolders(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), rel ? `${rel}/${e.name}` : e.name);
      else if (e.name.endsWith('.parquet') && !out.includes(rel)) out.push(rel);
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out.sort();
}

/** The signups dataset of the example in glue-scripts/TRANSFORMS.md. */
export const SIGNUPS = {
  name: 'signups',
  key: ['id'],
  columns: [
    { name: 'id', type: 'integer', required: true },
    { name: 'name', type: 'string', required: true },
    { name: 'email', type: 'email', required: true },
    { name: 'signup_date', type: 'date', required: true },
    { name: 'status', type: 'enum', required: true, values: ['active', 'inactive', 'pending'] },
  ],
  transforms: {
    rename: { id: 'user_id', name: 'full_name' },
    derive: [{ name: 'signup_month', expr: 'substr(cast(signup_date as string), 1, 7)', type: 'string' }],
    filter: "signup_date >= DATE '2000-01-01'",
    select: ['user_id', 'full_name', 'email', 'signup_date', 'status', 'signup_month'],
    partitionBy: ['signup_month'],
  },
};
