// The whole pipeline on one machine: raw files through the Lambda's core, the crawler, the transform, the queries and the dashboard.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { datasetForKey } from '../config/load';
import { datasetLayout, renderQuery, PREFIXES } from '../config/layout';
import type { DatasetConfig, PipelineConfig } from '../config/schema';
import { outputKeysFor } from '../lambda/core/keys';
import { defaultThreads, preprocessFile } from './parallel-preprocess';
import type { PreprocessReport } from '../lambda/core/report';
import { crawlProcessed } from './crawler';
import { acquireWorkdirLock, isProcessAlive, type LockOptions } from './lock';
import { generateDashboard } from './dashboard/generate';
import { transformWithDuckDb, type TransformRunResult } from './duckdb-transform';
import { formatRate, PipelineStageError, silentProgress, type ProgressSink, type StageName } from './progress';
import { transformWithSpark } from './spark-transform';
import { contentTag, LocalObjectStore, UNROUTED_RAW_PREFIX } from './store';
import { openLocalTables } from './tables';

export type TransformEngine = 'duckdb' | 'spark';

export interface LocalRunOptions {
  readonly config: PipelineConfig;
  /** The local object store (default `.pipeline/`). */
  readonly workdir: string;
  /** Files to copy into raw/ and process; when empty, every file under raw/ not processed yet. */
  readonly files?: readonly string[];
  /** Route every given file to this dataset instead of by file name. */
  readonly dataset?: string;
  readonly engine?: TransformEngine;
  readonly progress?: ProgressSink;
  /** Skip the dashboard stage (watch cycles and benchmarks may want that). */
  readonly skipDashboard?: boolean;
  /** Where the workdir lock's messages go (waiting for another run, stale lock taken over, stale temp files removed). Default: progress.warn. */
  readonly notice?: (message: string) => void;
}

/** What happened to one raw file. */
export interface FileRunResult {
  readonly rawKey: string;
  readonly dataset: string | null;
  /** "skipped": this exact content was processed before (its report exists). */
  readonly status: 'processed' | 'quarantined' | 'skipped';
  readonly report?: PreprocessReport;
  readonly reportKey: string;
}

export interface QueryRunResult {
  readonly dataset: string;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
  readonly columns: string[];
  readonly rows: unknown[][];
}

export interface LocalRunResult {
  readonly workdir: string;
  readonly startedAt: Date;
  readonly files: readonly FileRunResult[];
  readonly transforms: readonly (TransformRunResult & { dataset: string })[];
  readonly queries: readonly QueryRunResult[];
  /** The dashboard page, when generated. */
  readonly dashboardFile?: string;
  /** Milliseconds per stage. */
  readonly timings: Readonly<Partial<Record<StageName, number>>>;
}

/**
 * The raw key a local file is copied to: under the given dataset's raw prefix, else under the dataset
 * named like the file's stem or the stem's first word ("signups-2024.csv" -> signups), else unrouted.
 */
export function rawKeyForFile(config: PipelineConfig, file: string, datasetName?: string): string {
  const base = path.basename(file);
  if (datasetName) {
    const dataset = config.datasets.find((d) => d.name === datasetName);
    if (!dataset) {
      throw new Error(`--dataset "${datasetName}" is not configured; configured datasets: ${config.datasets.map((d) => d.name).join(', ')}`);
    }
    return datasetLayout(dataset).rawPrefix + base;
  }
  const stem = base.replace(/\.[^.]*$/, '').toLowerCase();
  const firstWord = stem.split(/[^a-z0-9]+/)[0];
  const dataset = config.datasets.find((d) => d.name === stem) ?? config.datasets.find((d) => d.name === firstWord);
  return dataset ? datasetLayout(dataset).rawPrefix + base : UNROUTED_RAW_PREFIX + base;
}

/** Counts lines in the chunks written to a sink so progress can show rows while a file streams. */
function countingFileSink(file: string, onBytes: (newlines: number) => void): Writable {
  const stream = fs.createWriteStream(file);
  const write = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let n = 0;
      for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
      onBytes(n);
    }
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  return stream;
}

function finished(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.writableFinished) return resolve();
    stream.once('finish', () => resolve());
    stream.once('error', reject);
  });
}

/** Local mode reads raw files in chunks of this size. */
const READ_CHUNK_BYTES = 1 << 20;

/** Content tags by raw key, valid while the file's size and mtime stay the same (so no run or watch scan hashes a file twice). */
export type TagCache = Map<string, { size: number; mtimeMs: number; tag: string }>;

/** A raw file's stat and content tag; the tag is taken from `tags` while the file's size and mtime are unchanged. */
async function statAndTag(file: string, key: string, tags: TagCache): Promise<{ stat: fs.Stats; tag: string }> {
  const stat = fs.statSync(file);
  let cached = tags.get(key);
  if (!cached || cached.size !== stat.size || cached.mtimeMs !== stat.mtimeMs) {
    cached = { size: stat.size, mtimeMs: stat.mtimeMs, tag: await contentTag(file) };
    tags.set(key, cached);
  }
  return { stat, tag: cached.tag };
}

export interface PreprocessedFile extends FileRunResult {
  readonly processedKey?: string;
}

/**
 * Preprocesses one raw object of the store as the Lambda does for one S3 event: same core, same output
 * keys (version tag = content hash), processed/rejects/report committed by rename; a quarantined file is
 * copied whole under its quarantine key with a .reason.json. A file whose report exists is skipped.
 * `tags`: content tags already computed (by `pendingRawKeys`), so the file is not hashed again.
 */
export async function preprocessRawObject(
  store: LocalObjectStore,
  config: PipelineConfig,
  rawKey: string,
  onProgress: (rows: number, bytes: number) => void = () => undefined,
  tags: TagCache = new Map(),
  threads: number = defaultThreads(),
): Promise<PreprocessedFile> {
  const rawFile = store.pathOf(rawKey);
  const { stat, tag } = await statAndTag(rawFile, rawKey, tags);
  const keys = outputKeysFor(config, rawKey, tag);
  if (store.exists(keys.reportKey)) {
    return { rawKey, dataset: keys.dataset, status: 'skipped', reportKey: keys.reportKey };
  }
  const dataset: DatasetConfig | undefined = datasetForKey(config, rawKey);
  const validTemp = store.tempPath(keys.processedKey);
  const rejectsTemp = store.tempPath(keys.rejectsKey);
  let rows = 0;
  let bytes = 0;
  const valid = countingFileSink(validTemp, (n) => {
    rows += n;
    onProgress(rows, bytes);
  });
  const rejects = countingFileSink(rejectsTemp, (n) => (rows += n));
  const done = Promise.all([finished(valid), finished(rejects)]);
  done.catch(() => undefined); // awaited below; on the error path the streams are destroyed instead
  let report: PreprocessReport;
  try {
    // Both cores (worker threads on record-aligned blocks; the outputs are those of one thread), read in 1 MiB chunks.
    const job = { file: rawFile, config, dataset, source: rawKey, sizeBytes: stat.size, sampleChunkBytes: READ_CHUNK_BYTES };
    report = await preprocessFile(
      job,
      { valid, rejects },
      {
        threads,
        onBytes: (n) => {
          bytes = n;
          onProgress(rows, bytes);
        },
      },
    );
    await done;
  } catch (err) {
    valid.destroy();
    rejects.destroy();
    store.discard(validTemp);
    store.discard(rejectsTemp);
    throw err;
  }
  if (report.outcome === 'quarantined') {
    store.discard(validTemp);
    store.discard(rejectsTemp);
    await store.putFile(keys.quarantinedFileKey, rawFile);
    store.put(
      keys.quarantineReasonKey,
      `${JSON.stringify({ source: rawKey, dataset: keys.dataset, ...report.fileError, quarantinedAt: new Date().toISOString() }, null, 2)}\n`,
    );
  } else {
    // Written also with no valid row (a header only), as the Lambda writes it: both engines count it as an input file.
    store.commit(validTemp, keys.processedKey);
    if (report.rowsRejected > 0) store.commit(rejectsTemp, keys.rejectsKey);
    else store.discard(rejectsTemp);
  }
  // The report goes last: its presence marks the raw file as done.
  store.put(keys.reportKey, `${JSON.stringify(report, null, 2)}\n`);
  return { rawKey, dataset: keys.dataset, status: report.outcome, report, reportKey: keys.reportKey, processedKey: keys.processedKey };
}

/** Raw keys that have no report yet (the files a run without FILES processes). */
export async function pendingRawKeys(store: LocalObjectStore, config: PipelineConfig, cache: TagCache = new Map()): Promise<string[]> {
  const pending: string[] = [];
  for (const key of store.list(PREFIXES.raw)) {
    let tag: string;
    try {
      ({ tag } = await statAndTag(store.pathOf(key), key, cache));
    } catch {
      continue; // removed while listing
    }
    if (!store.exists(outputKeysFor(config, key, tag).reportKey)) pending.push(key);
  }
  return pending;
}

/** Stage timer: runs a stage, reports its start and end, and wraps failures with what to do. */
async function timed<T>(
  timings: Partial<Record<StageName, number>>,
  progress: ProgressSink,
  stage: StageName,
  describe: (result: T) => string,
  body: () => Promise<T>,
): Promise<T> {
  progress.stageStarted(stage);
  const start = performance.now();
  const result = await body();
  const ms = performance.now() - start;
  timings[stage] = (timings[stage] ?? 0) + ms;
  progress.stageFinished(stage, describe(result), ms);
  return result;
}

const HINTS: Record<StageName, string> = {
  'stage-in': 'check that the file exists and is readable, and that the workdir is writable',
  preprocess: 'check that the file is readable and the disk is not full; bad rows and unreadable files are quarantined, not errors',
  crawl: "look at the processed/ files of the dataset; delete the workdir's catalog/ folder and run again",
  transform:
    'check the dataset\'s "transforms" section in the config (expressions, filter, partitionBy); try `csv-pipeline transform` on processed/<dataset>/ to see the engine\'s error',
  queries: 'fix the query\'s SQL in the config ("queries" of the dataset); try it with `csv-pipeline query "..."`',
  dashboard: 'check the dataset\'s "dashboard" section in the config; run `npm ci` if the chart library is missing',
};

async function inStage<T>(stage: StageName, subject: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof PipelineStageError) throw err;
    throw new PipelineStageError(stage, subject, err, HINTS[stage]);
  }
}

export interface DownstreamOptions {
  readonly config: PipelineConfig;
  readonly store: LocalObjectStore;
  readonly engine: TransformEngine;
  readonly progress: ProgressSink;
  readonly timings: Partial<Record<StageName, number>>;
  readonly skipDashboard?: boolean;
  /** Report keys written by this run, shown as the dashboard's last run. */
  readonly runReportKeys: readonly string[];
  readonly runStartedAt: Date;
}

/** Crawl, transform every dataset with processed data, run the configured queries, generate the dashboard. */
export async function runDownstream(o: DownstreamOptions): Promise<Pick<LocalRunResult, 'transforms' | 'queries' | 'dashboardFile'>> {
  const { config, store, progress, timings } = o;
  await timed(
    timings,
    progress,
    'crawl',
    (tables: unknown[]) => `${tables.length} table${tables.length === 1 ? '' : 's'} written to catalog/`,
    () => inStage('crawl', 'processed/', () => crawlProcessed(config, store.root)),
  );

  const transforms: (TransformRunResult & { dataset: string })[] = [];
  await timed(
    timings,
    progress,
    'transform',
    () =>
      transforms
        .map(
          (t) =>
            `${t.dataset}: ${t.files.toLocaleString('en-US')} file(s), ${t.rowsIn.toLocaleString('en-US')} -> ${t.rowsOut.toLocaleString('en-US')} rows, ${t.partitions.length} partition(s)`,
        )
        .join('; ') || 'no processed data',
    async () => {
      for (const dataset of config.datasets) {
        const layout = datasetLayout(dataset);
        if (store.list(layout.processedPrefix).length === 0) continue;
        // The engines merge into the final folder partition by partition (a re-processed file replaces its rows), as the Glue job does.
        const options = { config, dataset, inputDir: store.pathOf(layout.processedPrefix), outputDir: store.pathOf(layout.finalPrefix) };
        const result = await inStage('transform', `dataset ${dataset.name} (${o.engine})`, () =>
          o.engine === 'spark' ? transformWithSpark(options) : transformWithDuckDb(options),
        );
        transforms.push({ ...result, dataset: dataset.name });
      }
    },
  );

  const queries = await timed(
    timings,
    progress,
    'queries',
    (q: QueryRunResult[]) => `${q.length} configured quer${q.length === 1 ? 'y' : 'ies'} run`,
    () => runConfiguredQueries(config, store.root),
  );

  let dashboardFile: string | undefined;
  if (!o.skipDashboard) {
    dashboardFile = await timed(
      timings,
      progress,
      'dashboard',
      (file: string) => `written to ${file}`,
      () =>
        inStage('dashboard', 'dashboard/index.html', () =>
          generateDashboard({ config, workdir: store.root, lastRun: { startedAt: o.runStartedAt, reportKeys: o.runReportKeys } }),
        ),
    );
  }
  return { transforms, queries, dashboardFile };
}

/** Runs every dataset's configured queries on DuckDB over the local tables. */
export async function runConfiguredQueries(config: PipelineConfig, workdir: string): Promise<QueryRunResult[]> {
  const tables = await inStage('queries', 'local tables', () => openLocalTables(workdir, config));
  try {
    const results: QueryRunResult[] = [];
    for (const dataset of config.datasets) {
      const layout = datasetLayout(dataset);
      for (const q of dataset.queries) {
        const sql = renderQuery(q.sql, { database: 'main', table: layout.finalTable, rejectsTable: layout.rejectsTable });
        const { columns, rows } = await inStage('queries', `query ${dataset.name}.${q.name}`, () => tables.query(sql));
        results.push({ dataset: dataset.name, name: q.name, description: q.description, sql, columns, rows });
      }
    }
    return results;
  } finally {
    tables.close();
  }
}

/** Who asks for a folder lock and where its messages go (see LockOptions). */
export type LockRequest = Pick<LockOptions, 'command' | 'signal' | 'place' | 'elsewhere'> & { readonly notice: (message: string) => void };

/** Runs `body` holding the lock of `root` (waiting while another live process or run holds it; see local/lock.ts); `recover` runs first, under the lock. */
async function withFolderLock<T>(root: string, o: LockRequest, body: () => Promise<T>, recover: () => void = () => undefined): Promise<T> {
  const lock = await acquireWorkdirLock(root, o);
  try {
    recover();
    return await body();
  } finally {
    lock.release();
  }
}

/**
 * Runs `body` holding the workdir lock (waiting while another live process or run holds it; see
 * local/lock.ts), after removing the temp files and staging folders killed processes left behind.
 */
export function withWorkdirLock<T>(store: LocalObjectStore, o: LockRequest, body: () => Promise<T>): Promise<T> {
  return withFolderLock(store.root, o, body, () => {
    const removed = store.removeStaleTemp((pid) => isProcessAlive(pid));
    if (removed.length) o.notice(`removed ${removed.length} temp file(s) left by stopped processes: ${removed.map((f) => store.keyOf(f)).join(', ')}`);
  });
}

/**
 * The folder whose lock a transform writing `outputDir` takes: for <workdir>/final_output/<name>/ the workdir (the
 * lock `run` and `watch` take, so a transform and a run never write it at once), else the output's parent folder
 * (where the DuckDB engine stages a run and the Spark engine's catalog lives), so two transforms of one folder take turns.
 */
export function transformLockFolder(outputDir: string): { readonly root: string; readonly workdir: boolean } {
  const parent = path.dirname(path.resolve(outputDir));
  return path.basename(parent) === PREFIXES.final.replace(/\/$/, '') ? { root: path.dirname(parent), workdir: true } : { root: parent, workdir: false };
}

/** Runs `body`, a transform writing `outputDir`, holding the lock of transformLockFolder (created if missing), as `run` holds its workdir's. */
export function withTransformLock<T>(outputDir: string, o: Omit<LockRequest, 'place'>, body: () => Promise<T>): Promise<T> {
  const { root, workdir } = transformLockFolder(outputDir);
  fs.mkdirSync(root, { recursive: true });
  return workdir ? withWorkdirLock(new LocalObjectStore(root), { ...o, place: 'workdir' }, body) : withFolderLock(root, { ...o, place: 'folder' }, body);
}

/**
 * `csv-pipeline run`: stage the given files into raw/ (or pick up pending ones), preprocess each, then the
 * downstream stages; one run at a time per workdir (a second one waits for the lock, saying for whom).
 */
export async function runLocalPipeline(options: LocalRunOptions): Promise<LocalRunResult> {
  const store = new LocalObjectStore(options.workdir);
  store.init();
  const progress = options.progress ?? silentProgress;
  const notice = options.notice ?? ((m: string) => progress.warn(m));
  return withWorkdirLock(store, { command: 'csv-pipeline run', notice }, () => runLocked(options, store));
}

/** Copies the given files into raw/ under their datasets' prefixes; returns their raw keys. */
async function stageIn(
  options: LocalRunOptions,
  store: LocalObjectStore,
  timings: Partial<Record<StageName, number>>,
  progress: ProgressSink,
): Promise<string[]> {
  const files = options.files ?? [];
  return timed(
    timings,
    progress,
    'stage-in',
    (k: string[]) => `${k.length} file(s) copied into raw/`,
    async () => {
      const keys = files.map((file) => rawKeyForFile(options.config, file, options.dataset));
      // Checked before anything is copied: two files with one raw key would overwrite each other.
      keys.forEach((key, i) => {
        if (keys.indexOf(key) !== i) {
          throw new PipelineStageError(
            'stage-in',
            files[i],
            new Error(`${files[keys.indexOf(key)]} also goes to ${key}`),
            'rename one of the files: files with the same name in one run would overwrite each other in raw/',
          );
        }
      });
      for (const [i, file] of files.entries()) {
        await inStage('stage-in', file, async () => {
          if (!fs.statSync(file).isFile()) throw new Error(`${file} is not a file`);
          await store.putFile(keys[i], file);
        });
      }
      return keys;
    },
  );
}

async function runLocked(options: LocalRunOptions, store: LocalObjectStore): Promise<LocalRunResult> {
  const { config } = options;
  const progress = options.progress ?? silentProgress;
  const engine = options.engine ?? 'duckdb';
  const startedAt = new Date();
  const timings: Partial<Record<StageName, number>> = {};
  const tags: TagCache = new Map();
  const rawKeys = options.files && options.files.length > 0 ? await stageIn(options, store, timings, progress) : await pendingRawKeys(store, config, tags);

  const files: FileRunResult[] = [];
  const stageStart = performance.now();
  let totalRows = 0;
  let totalBytes = 0;
  await timed(
    timings,
    progress,
    'preprocess',
    () => {
      const count = (s: string) => files.filter((f) => f.status === s).length;
      const rows = files.reduce((n, f) => n + (f.report?.rowsIn ?? 0), 0);
      const valid = files.reduce((n, f) => n + (f.report?.rowsValid ?? 0), 0);
      const n = (x: number) => x.toLocaleString('en-US');
      return `${files.length} file(s): ${count('processed')} processed, ${count('quarantined')} quarantined, ${count('skipped')} already done; ${n(rows)} rows in, ${n(valid)} valid, ${n(rows - valid)} rejected, ${formatRate(totalBytes, performance.now() - stageStart)}`;
    },
    async () => {
      for (const [i, rawKey] of rawKeys.entries()) {
        let fileRows = 0;
        let fileBytes = 0;
        const result = await inStage('preprocess', rawKey, () =>
          preprocessRawObject(
            store,
            config,
            rawKey,
            (rows, bytes) => {
              fileRows = rows;
              fileBytes = bytes;
              progress.fileProgress(rawKey, {
                files: i + 1,
                filesTotal: rawKeys.length,
                rows: totalRows + rows,
                bytes: totalBytes + bytes,
                elapsedMs: performance.now() - stageStart,
              });
            },
            tags,
          ),
        );
        totalRows += fileRows;
        totalBytes += fileBytes;
        files.push(result);
        if (result.status === 'quarantined') {
          progress.warn(
            `${rawKey} quarantined (${result.report?.fileError?.code}: ${result.report?.fileError?.reason}); the file is kept under quarantine/ with a .reason.json`,
          );
        }
      }
    },
  );

  const downstream = await runDownstream({
    config,
    store,
    engine,
    progress,
    timings,
    skipDashboard: options.skipDashboard,
    runReportKeys: files.map((f) => f.reportKey),
    runStartedAt: startedAt,
  });
  return { workdir: store.root, startedAt, files, timings, ...downstream };
}
