// File-system helpers of the local engines: input listing with modification times and raw keys, Parquet listing, Spark's partition folder names.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetLayout } from '../../config/layout';
import type { DatasetConfig } from '../../config/schema';
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
    const baseName = path.basename(p);
    return { path: p, baseName, sourceFile: baseName, mtimeMicros: stat.mtimeNs / 1000n, empty: stat.size === 0n };
  });
}

/**
 * The preprocessing reports of the processed files in `inputDir` when it is a workdir's processed/<ds>/
 * (reports/<ds>/<name>.json holds the raw key of processed/<ds>/<name>.csv); null for a bare folder of processed
 * files (tests), or when the workdir has no reports folder yet. Both engines take source_file from there.
 */
export function reportsDirOf(inputDir: string, dataset: DatasetConfig): string | null {
  const layout = datasetLayout(dataset);
  const input = path.resolve(inputDir);
  const suffix = path.join(...layout.processedPrefix.split('/').filter(Boolean));
  if (!input.endsWith(path.sep + suffix)) return null;
  const reports = path.join(input.slice(0, -suffix.length), ...layout.reportsPrefix.split('/').filter(Boolean));
  return fs.existsSync(reports) ? reports : null;
}

/** reports/<ds>/<name>.json is the report of processed/<ds>/<name>.csv (lambda/core/keys.ts outputKeysFor). */
export function reportName(processedName: string): string {
  return `${processedName.endsWith('.csv') ? processedName.slice(0, -'.csv'.length) : processedName}.json`;
}

/** The raw key (`source`) of a preprocessing report's JSON text (pipeline_batch.py report_source). */
export function reportSource(text: string, where: string): string {
  let source: unknown;
  try {
    source = (JSON.parse(text) as { source?: unknown } | null)?.source;
  } catch {
    throw new Error(`${where}: not a preprocessing report (JSON object with source): ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (typeof source !== 'string' || source === '') {
    throw new Error(`${where}: the report has no "source" (the raw key); got ${JSON.stringify(source ?? null)}. Re-run its preprocessing.`);
  }
  return source;
}

/**
 * The processed files of a run with their raw keys, as the Glue job describes them (pipeline_batch.py
 * describe_local_files): with a reports folder, source_file is the report's raw key and a file without a report
 * is left out (its preprocessing has not finished it; a later run reads it); without one, the file's name.
 */
export function describeInputFiles(inputDir: string, reportsDir: string | null): InputFile[] {
  const files = listInputFiles(inputDir);
  if (reportsDir === null) return files;
  return files.flatMap((f) => {
    const report = path.join(reportsDir, reportName(f.baseName));
    let text: string;
    try {
      text = fs.readFileSync(report, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return [{ ...f, sourceFile: reportSource(text, report) }];
  });
}

/**
 * Of each raw object (sourceFile), only its newest file (modification time, then name), sorted by name
 * (pipeline_batch.py newest_per_source): a re-upload replaces what the object sent before, whole.
 */
export function newestPerSource<F extends InputFile>(files: readonly F[]): F[] {
  const newest = new Map<string, F>();
  for (const f of files) {
    const seen = newest.get(f.sourceFile);
    if (!seen || f.mtimeMicros > seen.mtimeMicros || (f.mtimeMicros === seen.mtimeMicros && f.baseName > seen.baseName)) newest.set(f.sourceFile, f);
  }
  return [...newest.values()].sort((a, b) => (a.baseName < b.baseName ? -1 : a.baseName > b.baseName ? 1 : 0));
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
