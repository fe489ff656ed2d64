// Watch mode: files dropped into <workdir>/raw/ are processed once each when they have stopped changing, then the downstream stages re-run.
import * as fs from 'node:fs';
import type { PipelineConfig } from '../config/schema';
import { PREFIXES } from '../config/layout';
import {
  pendingRawKeys,
  preprocessRawObject,
  runDownstream,
  withWorkdirLock,
  type FileRunResult,
  type LocalRunResult,
  type TagCache,
  type TransformEngine,
} from './pipeline';
import { PipelineStageError, silentProgress, type ProgressSink, type StageName } from './progress';
import { LocalObjectStore } from './store';

export interface WatchOptions {
  readonly config: PipelineConfig;
  readonly workdir: string;
  readonly engine?: TransformEngine;
  readonly progress?: ProgressSink;
  /** Quiet time after the last file event before a cycle starts (default 300 ms). */
  readonly debounceMs?: number;
  /** A file is taken once its size and mtime have stayed the same for this long (default DEFAULT_SETTLE_MS). */
  readonly settleMs?: number;
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

/** How long a dropped file must stay unchanged (size and mtime) before it is processed. */
export const DEFAULT_SETTLE_MS = 1000;

export interface Snapshot {
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * When each file last changed, as this watcher saw it: a file is settled once the same size and mtime
 * have been seen for `settleMs`, counted from the first time they were seen (never from the file's mtime,
 * which `cp -p` or an unzip may set in the past while still writing). Pure: the caller passes the time.
 */
export class SettleTracker {
  private readonly seen = new Map<string, { signature: string; since: number }>();

  constructor(private readonly settleMs: number) {}

  /**
   * Records the file's state at `now`; returns the milliseconds left before it counts as settled (0: it
   * is), or undefined for a missing or empty file (still being created).
   */
  observe(key: string, state: Snapshot | undefined, now: number): number | undefined {
    if (!state || state.size === 0) {
      this.seen.delete(key);
      return undefined;
    }
    const signature = `${state.size}:${state.mtimeMs}`;
    const last = this.seen.get(key);
    if (!last || last.signature !== signature) {
      this.seen.set(key, { signature, since: now });
      return this.settleMs;
    }
    return Math.max(0, last.since + this.settleMs - now);
  }

  /** Whether the file still has the state it settled with. */
  unchanged(key: string, state: Snapshot | undefined): boolean {
    return state !== undefined && this.seen.get(key)?.signature === `${state.size}:${state.mtimeMs}`;
  }

  forget(key: string): void {
    this.seen.delete(key);
  }
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
 * that appears or changes is processed once it has settled (same size and mtime for `settleMs`). Cycles
 * never overlap: events during a cycle schedule the next one. Each cycle holds the workdir lock, so a
 * `run` on the same workdir waits for it (and it for the run). A file with content already processed is
 * skipped (its report exists).
 */
export function watchRawFolder(options: WatchOptions): Watcher {
  const progress = options.progress ?? silentProgress;
  const debounceMs = options.debounceMs ?? 300;
  const rescanMs = options.rescanMs ?? 2000;
  const onError = options.onError ?? ((err: unknown) => progress.warn(err instanceof Error ? err.message : String(err)));
  const store = new LocalObjectStore(options.workdir);
  store.init();
  const rawDir = store.pathOf(PREFIXES.raw);

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let settleTimer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const stop = new AbortController();
  const cycle = cycleRunner(options, store, progress, stop.signal, (ms) => {
    if (closed) return;
    if (settleTimer) clearTimeout(settleTimer);
    settleTimer = setTimeout(schedule, ms);
  });

  const trigger = (): void => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = cycle()
      .catch((err: unknown) => {
        if (!closed) onError(err);
      })
      .finally(() => {
        running = undefined;
        if (again && !closed) {
          again = false;
          schedule();
        }
      });
  };

  function schedule(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(trigger, debounceMs);
  }

  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(rawDir, { recursive: true }, (_event, name) => {
      if (
        name &&
        String(name)
          .split(/[\\/]/)
          .some((part) => part.startsWith('.'))
      )
        return;
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
      stop.abort();
      if (timer) clearTimeout(timer);
      if (settleTimer) clearTimeout(settleTimer);
      if (rescan) clearInterval(rescan);
      watcher?.close();
      if (running) await running;
    },
  };
}

/**
 * One watch cycle: the pending files that have settled are preprocessed under the workdir lock, then the
 * downstream stages run. Files still changing are left for a later cycle, which `recheckIn(ms)` schedules.
 */
function cycleRunner(
  options: WatchOptions,
  store: LocalObjectStore,
  progress: ProgressSink,
  signal: AbortSignal,
  recheckIn: (ms: number) => void,
): () => Promise<void> {
  const { config } = options;
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const now = () => Date.now();
  const settle = new SettleTracker(settleMs);
  const onError = options.onError ?? ((err: unknown) => progress.warn(err instanceof Error ? err.message : String(err)));
  const tags: TagCache = new Map();
  /** Files that failed, by size and mtime: retried only once they change. */
  const failed = new Map<string, string>();
  const waiting = new Set<string>();
  const stateOf = (key: string) => snapshot(store.pathOf(key));
  const signature = (key: string): string => {
    const s = stateOf(key);
    return s ? `${s.size}:${s.mtimeMs}` : '';
  };

  /** The pending files that have settled; the others are announced once and re-checked when they may have. */
  const settledKeys = async (): Promise<string[]> => {
    const candidates = (await pendingRawKeys(store, config, tags)).filter((k) => failed.get(k) !== signature(k));
    const ready: string[] = [];
    let soonest = Infinity;
    for (const key of candidates) {
      const left = settle.observe(key, stateOf(key), now());
      if (left === 0) ready.push(key);
      else if (left !== undefined) {
        soonest = Math.min(soonest, left);
        if (!waiting.has(key)) progress.info(`[watch] ${key} is still being written; it is taken once unchanged for ${settleMs} ms`);
        waiting.add(key);
      }
    }
    if (soonest < Infinity) recheckIn(soonest + 20);
    return ready;
  };

  const preprocessAll = async (ready: readonly string[]): Promise<FileRunResult[]> => {
    const files: FileRunResult[] = [];
    for (const key of ready) {
      // It may have changed while this cycle waited for the lock: then it waits to settle again.
      if (!settle.unchanged(key, stateOf(key))) {
        recheckIn(settleMs);
        continue;
      }
      progress.info(`[watch] new file ${key}`);
      waiting.delete(key);
      try {
        files.push(await preprocessRawObject(store, config, key, undefined, tags));
        failed.delete(key);
        if (!settle.unchanged(key, stateOf(key))) progress.warn(`[watch] ${key} changed while it was processed; its new content is processed once it settles`);
      } catch (err) {
        failed.set(key, signature(key));
        onError(new PipelineStageError('preprocess', key, err, 'check that the file is readable; it is retried when it changes'));
      }
    }
    return files;
  };

  return async () => {
    const ready = await settledKeys();
    if (ready.length === 0) return;
    await withWorkdirLock(store, { command: 'csv-pipeline watch', notice: (m) => progress.warn(`[watch] ${m}`), signal }, () =>
      processCycle(options, store, progress, () => preprocessAll(ready)),
    );
  };
}

/** Preprocesses a cycle's files, then (when any was new) runs the downstream stages and reports the cycle. */
async function processCycle(
  options: WatchOptions,
  store: LocalObjectStore,
  progress: ProgressSink,
  preprocessAll: () => Promise<FileRunResult[]>,
): Promise<void> {
  const timings: Partial<Record<StageName, number>> = {};
  const started = new Date();
  const t0 = performance.now();
  const files = await preprocessAll();
  timings.preprocess = performance.now() - t0;
  const done = files.filter((f) => f.status !== 'skipped');
  progress.stageFinished('preprocess', `${done.length} file(s) processed`, timings.preprocess);
  if (done.length === 0) return;
  const result = await runDownstream({
    config: options.config,
    store,
    engine: options.engine ?? 'duckdb',
    progress,
    timings,
    runReportKeys: files.map((f) => f.reportKey),
    runStartedAt: started,
  });
  options.onCycle?.({ files, result: { ...result, timings } });
}
