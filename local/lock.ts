// The workdir lock: one run, watch cycle or transform at a time writes a workdir (or a transform's output folder); two would merge over each other.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The lock file, at the workdir's root (hidden: never listed as an object). */
export const LOCK_FILE = '.lock';
/** Held only while a stale lock is being replaced, so two processes never replace it both. */
const TAKEOVER_FILE = '.lock.takeover';
/** A lock or takeover file that stays unreadable (or a takeover that stays) this long was left by a crash. */
const ABANDONED_MS = 10_000;

/** What the lock file says about its holder. */
export interface LockOwner {
  readonly pid: number;
  /** When the holding process started (ISO time), for people. */
  readonly startedAt: string;
  /** Linux: the process's start time in clock ticks since boot (/proc/PID/stat), so a reused pid is told apart. */
  readonly procStart?: number;
  readonly host: string;
  /** What holds it, e.g. "csv-pipeline run". */
  readonly command: string;
  /** Tells apart two holders in one process. */
  readonly token: string;
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined off Linux. */
export function procStartOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs (and, when `procStart` is known, is the same process, not a reuse of its pid). */
export function isProcessAlive(pid: number, procStart?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (procStart === undefined) return true;
  const now = procStartOf(pid);
  return now === undefined || now === procStart;
}

/** Whether the holder is gone: on this host only (another host's pids cannot be checked, so its lock counts as live). */
export function isStale(owner: LockOwner): boolean {
  return owner.host === os.hostname() && !isProcessAlive(owner.pid, owner.procStart);
}

/** "process 1234 (csv-pipeline run, started 2024-11-01T10:00:00.000Z on host)". */
export function describeOwner(owner: LockOwner): string {
  return `process ${owner.pid} (${owner.command}, started ${owner.startedAt} on ${owner.host})`;
}

export function newOwner(command: string): LockOwner {
  return {
    pid: process.pid,
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    procStart: procStartOf(process.pid),
    host: os.hostname(),
    command,
    token: randomBytes(8).toString('hex'),
  };
}

/** Creates `file` with `text` only if it does not exist (O_EXCL); false when it exists. */
function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** The lock's holder and the text read; 'gone' when there is no lock; 'unreadable' while being written; 'abandoned' when it stayed unreadable (a crash while it was written). */
function readOwner(file: string): { owner: LockOwner | 'abandoned'; text: string } | 'gone' | 'unreadable' {
  let text: string;
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid) && typeof owner.token === 'string') return { owner, text };
  } catch {
    // being written, or left half-written
  }
  return Date.now() - mtimeMs > ABANDONED_MS ? { owner: 'abandoned', text } : 'unreadable';
}

export type Attempt = { readonly acquired: true; readonly tookOverFrom?: LockOwner | 'abandoned' } | { readonly acquired: false; readonly holder?: LockOwner };

/** Replaces a stale lock (dead holder, or abandoned) by `owner`'s, under the takeover file; false when another process got there first. */
function takeOver(root: string, seen: string, owner: LockOwner): boolean {
  const lock = path.join(root, LOCK_FILE);
  const guard = path.join(root, TAKEOVER_FILE);
  if (!createExclusive(guard, String(process.pid))) {
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > ABANDONED_MS) fs.rmSync(guard, { force: true });
    } catch {
      // removed meanwhile
    }
    return false;
  }
  try {
    let now: string;
    try {
      now = fs.readFileSync(lock, 'utf8');
    } catch {
      now = '';
    }
    if (now !== seen) return false; // someone else replaced it meanwhile
    fs.rmSync(lock, { force: true });
    return createExclusive(lock, JSON.stringify(owner));
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** One attempt to take the workdir lock for `owner`, without waiting. */
export function tryLock(root: string, owner: LockOwner): Attempt {
  const lock = path.join(root, LOCK_FILE);
  if (createExclusive(lock, JSON.stringify(owner))) return { acquired: true };
  const read = readOwner(lock);
  if (read === 'gone' || read === 'unreadable') return { acquired: false };
  const holder = read.owner;
  if (holder !== 'abandoned' && !isStale(holder)) return { acquired: false, holder };
  return takeOver(root, read.text, owner) ? { acquired: true, tookOverFrom: holder } : { acquired: false };
}

export interface LockOptions {
  /** What takes the lock, shown to whoever waits for it, e.g. "csv-pipeline run". */
  readonly command: string;
  /** Where "waiting for ..." and "took over ..." messages go. */
  readonly notice?: (message: string) => void;
  /** How often a held lock is tried again (default 250 ms). */
  readonly pollMs?: number;
  /** Stops waiting (the promise rejects). */
  readonly signal?: AbortSignal;
  /** What the locked folder is called in the messages (default "workdir"). */
  readonly place?: string;
  /** The way around a stuck holder, ending the waiting message (default "use another --workdir"). */
  readonly elsewhere?: string;
}

export interface WorkdirLock {
  readonly owner: LockOwner;
  /** Removes the lock file if it is still this holder's; idempotent. */
  release(): void;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('stopped while waiting for the workdir lock'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('stopped while waiting for the workdir lock'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Takes the workdir lock, waiting while a live process holds it (saying once per holder which process
 * it waits for); a lock whose process is gone is taken over with a message. The first attempt is made
 * before this function first yields, so of two callers in one tick the first one always gets the lock.
 * The lock is removed on release, and on process exit if it is still held.
 */
export async function acquireWorkdirLock(root: string, options: LockOptions): Promise<WorkdirLock> {
  const owner = newOwner(options.command);
  const lockFile = path.join(root, LOCK_FILE);
  const notice = options.notice ?? (() => undefined);
  const place = options.place ?? 'workdir';
  let lastHolder = '';
  for (;;) {
    const attempt = tryLock(root, owner);
    if (attempt.acquired) {
      const from = attempt.tookOverFrom;
      if (from)
        notice(
          `took over the ${place} lock ${lockFile}: ${from === 'abandoned' ? 'it was left half-written by a crash' : `${describeOwner(from)} is no longer running`}`,
        );
      return holdLock(lockFile, owner);
    }
    if (attempt.holder && attempt.holder.token !== lastHolder) {
      lastHolder = attempt.holder.token;
      notice(
        `the ${place} ${root} is in use by ${describeOwner(attempt.holder)}; waiting for it to finish (Ctrl-C to stop; if that process is stuck, stop it, or ${options.elsewhere ?? 'use another --workdir'})`,
      );
    }
    await abortableSleep(options.pollMs ?? 250, options.signal);
  }
}

function holdLock(lockFile: string, owner: LockOwner): WorkdirLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    try {
      if ((JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockOwner).token === owner.token) fs.rmSync(lockFile, { force: true });
    } catch {
      // already gone, or replaced
    }
  };
  process.on('exit', release);
  return { owner, release };
}
