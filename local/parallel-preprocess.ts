// Runs the preprocessing core over one file on several worker threads (CLI and local mode; the Lambda stays on one):
// the file is cut into blocks at record boundaries, each block is read by a worker with the decisions made on the
// sample, and the blocks are merged in order into exactly what one thread writes. Where it cannot be sure it falls
// back to one thread (see preprocessFile).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { isUtf8 } from 'node:buffer';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { preprocess, type PreprocessOptions, type PreprocessSinks, MAX_FOOTER_RECORDS, MAX_HEADER_BYTES } from '../lambda/core/preprocess';
import type { PreprocessReport } from '../lambda/core/report';
import {
  addKeys,
  type BlockEnd,
  type Carry,
  carryThrough,
  countLines,
  type CutScan,
  findCut,
  type KeyLog,
  keyLog,
  RecordingKeys,
  seenBefore,
} from '../lambda/core/blocks';
import { endOfBody } from '../lambda/core/body-end';
import { DuplicateKeys } from '../lambda/core/keyset';
import { rejectLine } from '../lambda/core/rejects-jsonl';
import { WorkerPool } from './preprocess-worker';

/** One file to read in blocks: what every block's run needs. */
export interface FileJob extends Omit<PreprocessOptions, 'block'> {
  readonly file: string;
  /** The read size of the one-thread path the result must equal (the sample is read in such chunks): 64 KiB for the CLI. */
  readonly sampleChunkBytes: number;
}

/** A block of the file: bytes [start, end) (end Infinity: to the end of the file), from physical line firstLine. */
export interface BlockTask {
  readonly index: number;
  readonly start: number;
  readonly end: number;
  readonly firstLine: number;
  /** The block's bytes when the main thread has them (sent to the worker, not copied); else they are read from the file. */
  readonly bytes?: Uint8Array;
}

export interface BlockResult {
  readonly index: number;
  readonly report: PreprocessReport;
  /** Undefined when the run was quarantined before reading the block. */
  readonly end?: BlockEnd;
  /** The block's valid-rows bytes, in the pieces the core wrote (moved between threads without a copy). */
  readonly valid: Uint8Array[];
  readonly rejects: Uint8Array[];
  readonly keys: KeyLog;
}

/** Runs blocks (on worker threads, or in this thread for tests). */
export interface BlockExecutor {
  run(task: BlockTask): Promise<BlockResult>;
  close(): Promise<void>;
}

export interface ParallelOptions {
  /** Threads reading blocks; 1 reads the file on this thread as before. Default: min(2, CPU count). */
  readonly threads?: number;
  /** Target block size (tests use tiny ones). Default: the file over 4 blocks per thread, 1 to 8 MiB. */
  readonly blockBytes?: number;
  /** Default: worker threads running local/preprocess-worker. */
  readonly executor?: (job: FileJob, threads: number) => BlockExecutor;
  /** Told how far the merge is (bytes of the file). */
  readonly onBytes?: (bytes: number) => void;
  /** Told how the file was read: "N blocks", "N blocks, from block K on one thread", or "one thread: why". */
  readonly onMode?: (mode: string) => void;
}

export const defaultThreads = (): number => Math.max(1, Math.min(2, os.availableParallelism?.() ?? os.cpus().length));

const EMPTY_KEYS: KeyLog = { numbers: new Float64Array(0), texts: [] };
const noBytes = async function* (): AsyncIterable<Uint8Array> {};
const oneChunk = async function* (bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
};

/** Reads one block with the core (in whichever thread calls it); `keys`: the file's key set, for a block read again. */
export async function runBlock(job: FileJob, task: BlockTask, keys?: DuplicateKeys): Promise<BlockResult> {
  const valid = collector();
  const rejects = collector();
  let end: BlockEnd | undefined;
  const recording = keys ?? new RecordingKeys();
  const bytes =
    task.end <= task.start
      ? noBytes()
      : task.bytes && task.bytes.length === task.end - task.start
        ? oneChunk(task.bytes)
        : fs.createReadStream(job.file, { start: task.start, ...(Number.isFinite(task.end) ? { end: task.end - 1 } : {}), highWaterMark: 1 << 20 });
  const { file: _file, sampleChunkBytes, ...options } = job;
  const report = await preprocess(
    fs.createReadStream(job.file, { highWaterMark: sampleChunkBytes }),
    { valid: valid.stream, rejects: rejects.stream },
    {
      ...options,
      block: { bytes, firstLine: task.firstLine, keys: recording, ended: (state) => (end = state) },
    },
  );
  return {
    index: task.index,
    report,
    ...(end ? { end } : {}),
    valid: valid.chunks,
    rejects: rejects.chunks,
    keys: recording instanceof RecordingKeys ? keyLog(recording) : EMPTY_KEYS,
  };
}

/** Runs blocks one after the other in this thread (tests; the same merge as with workers). */
export const inThread = (job: FileJob): BlockExecutor => ({ run: (task) => runBlock(job, task), close: async () => undefined });

/**
 * The core over a file with `threads` threads; the sinks get exactly the bytes one thread writes, and the report is
 * the same but for durationMs. One thread reads the whole file when: threads <= 1; the file is not UTF-8 or holds a
 * NUL or an invalid byte (the core's rule for those depends on the order of reading); the file is small (one block)
 * or near ingest.maxFileSizeMb; a block's reading is quarantined (the sinks' content is then to be discarded, as for
 * any quarantined file). A block whose quotes were cut wrongly is read again, with the rest of the file, on this thread.
 */
export async function preprocessFile(job: FileJob, sinks: PreprocessSinks, parallel: ParallelOptions = {}): Promise<PreprocessReport> {
  const started = performance.now();
  const threads = parallel.threads ?? defaultThreads();
  const oneThread = (why: string) => {
    parallel.onMode?.(`one thread: ${why}`);
    return preprocess(countedRead(job.file, job.sampleChunkBytes, parallel.onBytes), sinks, job);
  };
  const size = fs.statSync(job.file).size;
  const limit = job.config.ingest.maxFileSizeMb * 1048576;
  if (threads <= 1) return oneThread('threads = 1');
  if (size + MAX_HEADER_BYTES + job.sampleChunkBytes > limit) return oneThread('the file is near ingest.maxFileSizeMb');
  if (size < 2 * (parallel.blockBytes ?? MIN_BLOCK_BYTES)) return oneThread('the file is smaller than two blocks');
  // The workers start while this thread makes the decisions and cuts the blocks.
  const executor = (parallel.executor ?? workerExecutor)(job, threads);
  try {
    const decided = await runBlock(job, { index: -1, start: 0, end: 0, firstLine: 1 });
    const read = decided.report.read;
    if (decided.report.outcome !== 'processed' || !decided.end || !read) return await oneThread('the file cannot be processed');
    if (read.encoding !== 'utf-8' && read.encoding !== 'utf-8-bom') return await oneThread(`the file is ${read.encoding}, not UTF-8`);
    const blockBytes = parallel.blockBytes ?? Math.max(MIN_BLOCK_BYTES, Math.ceil(size / Math.max(threads, Math.ceil(size / MAX_BLOCK_BYTES))));
    const run = new Dispatch(executor, threads, threads + 2);
    // Blocks are handed to the workers as they are cut; nothing is written before the whole file is scanned.
    const clean = cutBlocks(
      job.file,
      size,
      blockBytes,
      read.quote.charCodeAt(0),
      read.lineEnding === 'CR' ? 13 : 10,
      decided.end.firstDataLine,
      (task, bytes) => run.add(task, bytes),
    );
    if (!clean) return await oneThread('the file holds a NUL or bytes that are not UTF-8');
    if (run.blocks.length < 2) return await oneThread('one block');
    const merged = await mergeBlocks(job, sinks, run, parallel.onBytes);
    if (merged === 'one-thread') {
      // A block's reading was quarantined (a record too large): so is the file's on one thread, whose outputs are discarded.
      const report = await oneThread('a block could not be processed');
      if (report.outcome !== 'quarantined')
        throw new Error(`${job.file}: a block was quarantined but the whole file is not (${report.outcome}); its outputs mix two runs: run with --threads 1`);
      return report;
    }
    parallel.onMode?.(`${run.blocks.length} blocks${merged.oneThreadFrom !== undefined ? `, from block ${merged.oneThreadFrom} on one thread` : ''}`);
    return finalReport(decided, merged, size, started);
  } finally {
    await executor.close();
  }
}

/** The file in chunks of `chunkBytes`, telling `onBytes` how much was read. */
async function* countedRead(file: string, chunkBytes: number, onBytes?: (bytes: number) => void): AsyncIterable<Uint8Array> {
  let read = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: chunkBytes })) {
    read += (chunk as Buffer).length;
    onBytes?.(read);
    yield chunk as Buffer;
  }
}

/** Smallest block worth a thread. */
const MIN_BLOCK_BYTES = 1 << 20;
/**
 * Largest block. Each block's run starts the core afresh (the decisions on the sample, and the JIT warm-up of its
 * per-file closures: about 100 ms measured), so blocks are few: one per thread up to this size, which bounds the
 * memory of blocks in flight (one per thread, and its result waiting for the merge).
 */
const MAX_BLOCK_BYTES = 64 << 20;

/**
 * The blocks cut so far and their runs. A block starts as soon as a thread is free, while fewer than `inFlight` blocks
 * are started and not yet merged: each thread goes on to the next block without waiting for the merge, and the memory
 * held is bounded (a block's bytes or its outputs, for at most `inFlight` blocks).
 */
class Dispatch {
  readonly blocks: BlockTask[] = [];
  private readonly results: Promise<BlockResult>[] = [];
  private started = 0;
  private running = 0;
  private merged = 0;

  constructor(
    private readonly executor: BlockExecutor,
    private readonly threads: number,
    private readonly inFlight: number,
  ) {}

  /** A block cut: its bytes are kept (and sent to a worker) only when it starts now; later ones are read again then. */
  add(task: BlockTask, bytes: Uint8Array): void {
    this.blocks.push(task);
    if (this.started === task.index && this.canStart()) this.start({ ...task, bytes });
  }

  /** The result of block i, once every block before it was asked for (the merge asks in order). */
  result(i: number): Promise<BlockResult> {
    this.merged = i;
    this.fill();
    return this.results[i];
  }

  private canStart(): boolean {
    return this.running < this.threads && this.started - this.merged < this.inFlight;
  }

  private fill(): void {
    while (this.started < this.blocks.length && this.canStart()) this.start(this.blocks[this.started]);
  }

  private start(task: BlockTask): void {
    this.running++;
    const r = this.executor.run(task);
    r.then(
      () => {
        this.running--;
        this.fill();
      },
      () => this.running--,
    ); // awaited in order by the merge
    this.results[this.started++] = r;
  }
}

/**
 * Cuts blocks of about `blockBytes` by quote parity after a line end (the first one after the header) and hands each
 * with its first line and its bytes to `onBlock` (which may keep them, to send them to a worker); false when the file
 * holds a NUL or is not valid UTF-8 (it is read on one thread).
 */
function cutBlocks(
  file: string,
  size: number,
  blockBytes: number,
  quote: number,
  lineByte: number,
  firstDataLine: number,
  onBlock: (task: BlockTask, bytes: Uint8Array) => void,
): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const scan: CutScan = { open: false };
    let index = 0;
    let line = 1;
    let start = 0; // file offset of the block being cut, and of cur[0]
    let cur: Buffer = Buffer.allocUnsafeSlow(Math.min(size, blockBytes + LOOKAHEAD_BYTES));
    let have = 0;
    let scanned = 0;
    for (;;) {
      if (have === cur.length && start + have < size) cur = grow(cur, Math.min(size - start, cur.length * 2));
      have += fs.readSync(fd, cur, have, cur.length - have, start + have);
      const eof = start + have >= size;
      const { cut, scanned: reached } = findCut(cur, scanned, Math.max(blockBytes, scanned), have, quote, lineByte, scan);
      scanned = reached;
      if (cut === -1 && !eof) continue;
      const end = cut === -1 ? have : cut;
      const lines = countLines(cur, 0, end, lineByte);
      // The first block holds the preamble and the header whole (its reading checks only data records' quotes).
      if (line + lines <= firstDataLine && cut !== -1) continue;
      const bytes = cur.subarray(0, end);
      if (bytes.indexOf(0) !== -1 || !isUtf8(bytes)) return false;
      const task = { index: index++, start, end: start + end, firstLine: line };
      if (cut === -1) {
        onBlock(task, bytes);
        return true;
      }
      // The bytes after the cut start the next block's buffer (the block's own buffer goes to a worker whole, moved).
      const next = Buffer.allocUnsafeSlow(Math.min(size - task.end, Math.max(blockBytes + LOOKAHEAD_BYTES, have - end)));
      cur.copy(next, 0, end, have);
      onBlock(task, bytes);
      line += lines;
      start += end;
      have -= end;
      scanned -= end;
      cur = next;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Bytes read past a block's target size to find its cut. */
const LOOKAHEAD_BYTES = 256 * 1024;

function grow(buf: Buffer, length: number): Buffer {
  const bigger = Buffer.allocUnsafeSlow(length);
  buf.copy(bigger);
  return bigger;
}

/** The totals of a merge. */
interface Merged {
  rowsIn: number;
  rowsValid: number;
  rowsRejected: number;
  readonly byReason: Map<string, number>;
  bodyBlankLines: number;
  neutralised: number;
  carry: Carry;
  /** The block from which the file was read on this thread (a block ended inside a quoted field). */
  oneThreadFrom?: number;
  /** The FOOTER rejects and notes, once the last block is merged. */
  end?: ReturnType<typeof endOfBody>;
}

/** Merges the blocks in order into the sinks; 'one-thread' when the file must be read again on one thread (nothing is final yet then). */
async function mergeBlocks(job: FileJob, sinks: PreprocessSinks, run: Dispatch, onBytes?: (n: number) => void): Promise<Merged | 'one-thread'> {
  const keys = new DuplicateKeys();
  const m: Merged = { rowsIn: 0, rowsValid: 0, rowsRejected: 0, byReason: new Map(), bodyBlankLines: 0, neutralised: 0, carry: { pending: [], blankRun: 0 } };
  const blocks = run.blocks;
  for (let i = 0; i < blocks.length; i++) {
    let r = await run.result(i);
    if (r.report.outcome !== 'processed' || !r.end) return 'one-thread';
    if (r.end.suspicious)
      throw new Error(`block ${i} of ${job.file} holds a decoding error or a NUL that the scan before did not see; read the file with --threads 1`);
    const last = i === blocks.length - 1;
    const cutWrong = !last && ((r.report.rejectedByReason.UNTERMINATED_QUOTE ?? 0) > 0 || r.end.lineAfter !== blocks[i + 1].firstLine);
    if (cutWrong) {
      // The block ended inside a quoted field (or its lines differ from the scan's): read from its start to the end on this thread.
      r = await runBlock(job, { ...blocks[i], bytes: undefined, end: Infinity }, keys);
      m.oneThreadFrom = i;
      if (r.report.outcome !== 'processed' || !r.end) return 'one-thread';
      await mergeOne(job, sinks, m, r);
      break;
    }
    if (seenBefore(keys, r.keys)) {
      // A key of an earlier block: the block is read again on this thread against the file's keys (it adds them).
      r = await runBlock(job, { ...blocks[i], bytes: undefined }, keys);
      if (r.report.outcome !== 'processed' || !r.end) return 'one-thread';
    } else addKeys(keys, r.keys);
    await mergeOne(job, sinks, m, r);
    onBytes?.(blocks[i].end);
  }
  m.end = endOfBody(m.carry.pending, m.carry.blankRun, m.bodyBlankLines, m.neutralised);
  let tail = '';
  for (const f of m.end.footerRejects) tail += reject(job, m, f.line, 'FOOTER', '', f.reason, f.raw);
  if (tail) await write(sinks.rejects, Buffer.from(tail));
  await endSinks(sinks);
  return m;
}

/** Adds one block's result: first what it settles of what was held before it, then its own outputs. */
async function mergeOne(job: FileJob, sinks: PreprocessSinks, m: Merged, r: BlockResult): Promise<void> {
  const end = r.end!;
  const step = carryThrough(m.carry, end, !end.settled && r.report.rowsRejected > 0, MAX_FOOTER_RECORDS);
  let flushed = '';
  for (const p of step.flushed) flushed += reject(job, m, p.line, p.code, p.column, p.reason, p.raw);
  m.carry = step.carry;
  m.bodyBlankLines += step.bodyBlankLines + end.bodyBlankLines;
  m.neutralised += end.neutralised;
  m.rowsIn += r.report.rowsIn;
  m.rowsValid += r.report.rowsValid;
  m.rowsRejected += r.report.rowsRejected;
  for (const [code, n] of Object.entries(r.report.rejectedByReason)) m.byReason.set(code, (m.byReason.get(code) ?? 0) + n);
  for (const chunk of r.valid) await write(sinks.valid, chunk);
  if (flushed) await write(sinks.rejects, Buffer.from(flushed));
  for (const chunk of r.rejects) await write(sinks.rejects, chunk);
}

/** Counts a rejected row and returns its JSON line (as the core's reject does). */
function reject(job: FileJob, m: Merged, line: number, code: string, column: string, reason: string, raw: string): string {
  m.rowsIn++;
  m.rowsRejected++;
  m.byReason.set(code, (m.byReason.get(code) ?? 0) + 1);
  return rejectLine({ source_file: job.source, line, reason_code: code, column_name: column, reason, raw_record: raw });
}

/** The report one thread gives: the decisions' report with the merged counts, footer and notes. */
function finalReport(decided: BlockResult, m: Merged, size: number, started: number): PreprocessReport {
  const r = decided.report;
  return {
    ...r,
    read: { ...r.read!, footerLines: m.end!.footerLines },
    rowsIn: m.rowsIn,
    rowsValid: m.rowsValid,
    rowsRejected: m.rowsRejected,
    rejectedByReason: Object.fromEntries([...m.byReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    notes: [...decided.end!.notes, ...m.end!.notes],
    bytesIn: size,
    durationMs: Math.round(performance.now() - started),
  };
}

/** A Writable that keeps what it is given (a block's outputs, sent back whole). */
function collector(): { stream: Writable; chunks: Uint8Array[] } {
  const chunks: Uint8Array[] = [];
  const stream = new Writable({
    highWaterMark: 1 << 30,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, chunks };
}

async function write(stream: Writable, bytes: Uint8Array): Promise<void> {
  if (stream.write(bytes)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    stream.on('drain', onDrain);
    stream.on('error', done);
  });
}

async function endSinks(sinks: PreprocessSinks): Promise<void> {
  await Promise.all(
    [sinks.valid, sinks.rejects].map((s) => {
      const done = finished(s, { readable: false });
      s.end();
      return done;
    }),
  );
}

/** Worker threads running local/preprocess-worker. */
const workerExecutor = (job: FileJob, threads: number): BlockExecutor => new WorkerPool(job, threads);

/** The value of a --threads option: undefined for the default (min(2, CPU count)), else a whole number from 1 to 64. */
export function parseThreads(text: string | undefined): number | undefined | { error: string } {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 64)
    return { error: `--threads must be a whole number from 1 to 64, got ${JSON.stringify(text)}; use 1 to read the file on one thread as the Lambda does` };
  return n;
}
