// File-system helpers of the local engines: input listing with modification times, Parquet listing, Spark's partition folder names.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InputFile } from './sql';

/** Names Spark, Hive and Glue skip when they read a folder: hidden and underscore-prefixed entries. */
export function isHiddenName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/** Every file under `dir` (recursively, hidden entries skipped) whose name ends with `extension`, sorted. */
export function listFiles(dir: string, extension: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (isHiddenName(e.name)) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.toLowerCase().endsWith(extension)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * The processed CSV files of a dataset folder with their modification times. Empty files (0 bytes, or a header
 * only) are input files like any other, as in the Glue job: counted in `files`, no rows; a 0-byte one is not read.
 */
export function listInputFiles(inputDir: string): InputFile[] {
  return listFiles(path.resolve(inputDir), '.csv').map((p) => {
    const stat = fs.statSync(p, { bigint: true });
    return { path: p, baseName: path.basename(p), mtimeMicros: stat.mtimeNs / 1000n, empty: stat.size === 0n };
  });
}

/** The partition folder (relative to the output root, '' for unpartitioned data) holding a Parquet file. */
export function partitionOf(outputDir: string, file: string): string {
  const rel = path.relative(outputDir, path.dirname(file));
  return rel.split(path.sep).join('/');
}

/** Characters Spark/Hive escape in partition folder values (ExternalCatalogUtils.charToEscape). */
const SPARK_ESCAPED = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\u007f', '{', '[', ']', '^']);

/** A partition value as Spark writes it in a folder name: only Hive's special characters %-escaped (spaces and Unicode kept). */
export function escapePartitionValue(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    out += SPARK_ESCAPED.has(ch) || (code >= 0x01 && code <= 0x1f) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/** One `col=value` folder name as Spark names it, from DuckDB's (which URL-encodes every non-ASCII byte). */
export function sparkFolderName(duckdbName: string): string {
  const eq = duckdbName.indexOf('=');
  if (eq < 0) return duckdbName;
  const raw = duckdbName.slice(eq + 1);
  if (raw === '__HIVE_DEFAULT_PARTITION__') return duckdbName;
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    return duckdbName;
  }
  return `${duckdbName.slice(0, eq)}=${escapePartitionValue(value)}`;
}

/** Renames the partition folders DuckDB wrote under `root` to Spark's names, so both engines give the same S3 keys. */
export function renameToSparkFolders(root: string): void {
  if (!fs.existsSync(root)) return;
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const name = sparkFolderName(e.name);
    const target = path.join(root, name);
    if (name !== e.name) fs.renameSync(path.join(root, e.name), target);
    renameToSparkFolders(target);
  }
}

/** The folder of one partition: `col=value` per partition column, null and '' as __HIVE_DEFAULT_PARTITION__ (as Spark). */
export function partitionFolder(columns: readonly string[], values: readonly (string | null)[]): string {
  return columns.map((c, i) => `${c}=${values[i] === null || values[i] === '' ? '__HIVE_DEFAULT_PARTITION__' : escapePartitionValue(values[i]!)}`).join('/');
}
