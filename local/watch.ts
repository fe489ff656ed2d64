// Watch mode: files dropped into <workdir>/raw/ are processed once each when their size is stable, then the downstream stages re-run.
import * as fs from 'fs';
import type { PipelineConfig } from '../lib/config/schema';
import { PREFIXES } from '../lib/config/layout';
import { pendingRawKeys, preprocessRawObject, runDownstream, type FileRunResult, type LocalRunResult, type TagCache, type TransformEngine } from './pipeline';
import { PipelineStageError, silentProgress, type ProgressSink, type StageName } from './progress';
import { LocalObjectStore } from './store';

export interface WatchOptions {
  readonly config: PipelineConfig;
  readonly workdir: string;
  readonly engine?: TransformEngine;
  readonly progress?: ProgressSink;
  /** Quiet time after the last file event before a cycle starts (default 300 ms). */
  readonly debounceMs?: number;
  /** A file is taken when its size and mtime did not change over this interval (default 500 ms). */
  readonly stableMs?: number;
  /** A full scan of raw/ at this interval catches events fs.watch missed (default 2000 ms; 0 disables). */
  readonly rescanMs?: number;
  /** Called after each cycle that processed at least one file. */
  readonly onCycle?: (cycle: WatchCycle) => void;
  /** Called when a cycle fails; the watcher keeps running. Default: progress.warn. */
  readonly onError?: (err: unknown) => void;
}

export interface WatchCycle {
  readonly files: readonly FileRunResult[];
  readonly result: Pick<LocalRunResult, 'transforms' | 'queries' | 'dashboardFile' | 'timings'>;
}

export interface Watcher {
  /** Resolves when the current cycle (if any) has finished and the watcher is closed. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Snapshot {
  size: number;
  mtimeMs: number;
}

function snapshot(file: string): Snapshot | undefined {
  try {
    const s = fs.statSync(file);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts watching <workdir>/raw/. Pending files (no report yet) are processed at start; then every file
 * that appears or changes is processed once its size is stable. Cycles never overlap: events during a
 * cycle schedule the next one. A file with content already processed is skipped (its report exists).
 */
export function watchRawFolder(options: WatchOptions): Watcher {
  const { config } = options;
  const progress = options.progress ?? silentProgress;
  const debounceMs = options.debounceMs ?? 300;
  const stableMs = options.stableMs ?? 500;
  const rescanMs = options.rescanMs ?? 2000;
  const onError = options.onError ?? ((err: unknown) => progress.warn(err instanceof Error ? err.message : String(err)));
  const store = new LocalObjectStore(options.workdir);
  store.init();
  const rawDir = store.pathOf(PREFIXES.raw);

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const tags: TagCache = new Map();
  /** Files that failed, by size and mtime: retried only once they change. */
  const failed = new Map<string, string>();
  const signature = (key: string): string => {
    const s = snapshot(store.pathOf(key));
    return s ? `${s.size}:${s.mtimeMs}` : '';
  };

  const cycle = async (): Promise<void> => {
    const candidates = (await pendingRawKeys(store, config, tags)).filter((k) => failed.get(k) !== signature(k));
    if (candidates.length === 0) return;
    // Size-stable check: a file still being copied in is left for the next cycle.
    const before = new Map(candidates.map((k) => [k, snapshot(store.pathOf(k))]));
    await sleep(stableMs);
    const ready = candidates.filter((k) => {
      const a = before.get(k);
      const b = snapshot(store.pathOf(k));
      return a && b && a.size === b.size && a.mtimeMs === b.mtimeMs && b.size > 0;
    });
    if (ready.length < candidates.length) again = true;
    if (ready.length === 0) return;
    const timings: Partial<Record<StageName, number>> = {};
    const started = new Date();
    const files: FileRunResult[] = [];
    const t0 = performance.now();
    for (const key of ready) {
      progress.info(`[watch] new file ${key}`);
      try {
        files.push(await preprocessRawObject(store, config, key, undefined, tags));
        failed.delete(key);
      } catch (err) {
        failed.set(key, signature(key));
        onError(new PipelineStageError('preprocess', key, err, 'check that the file is readable; it is retried when it changes'));
      }
    }
    timings.preprocess = performance.now() - t0;
    const done = files.filter((f) => f.status !== 'skipped');
    progress.stageFinished('preprocess', `${done.length} file(s) processed`, timings.preprocess);
    if (done.length === 0) return;
    const result = await runDownstream({
      config,
      store,
      engine: options.engine ?? 'duckdb',
      progress,
      timings,
      runReportKeys: files.map((f) => f.reportKey),
      runStartedAt: started,
    });
    options.onCycle?.({ files, result: { ...result, timings } });
  };

  const trigger = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = cycle()
      .catch(onError)
      .finally(() => {
        running = undefined;
        if (again && !closed) {
          again = false;
          schedule();
        }
      });
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(trigger, debounceMs);
  };

  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(rawDir, { recursive: true }, (_event, name) => {
      if (name && String(name).split(/[\\/]/).some((part) => part.startsWith('.'))) return;
      schedule();
    });
    watcher.on('error', (err) => progress.warn(`fs.watch on ${rawDir} failed (${err.message}); relying on the ${rescanMs} ms rescan`));
  } catch (err) {
    progress.warn(`cannot watch ${rawDir} (${(err as Error).message}); relying on the ${rescanMs} ms rescan`);
  }
  const rescan = rescanMs > 0 ? setInterval(() => !running && schedule(), rescanMs) : undefined;
  schedule();

  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (rescan) clearInterval(rescan);
      watcher?.close();
      if (running) await running;
    },
  };
}
