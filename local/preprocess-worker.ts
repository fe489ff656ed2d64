// Worker threads for local/parallel-preprocess.ts: a pool on the main side, and the entry that reads blocks in a worker.
// Why its own module: a worker loads it by path (dist/local/preprocess-worker.js, or this file through ts-node).
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { BlockExecutor, BlockResult, BlockTask, FileJob } from './parallel-preprocess';

interface Reply {
  readonly index: number;
  readonly result?: BlockResult;
  readonly error?: string;
}

/** `threads` workers taking blocks in turn; results come back with their bytes transferred, not copied. */
export class WorkerPool implements BlockExecutor {
  private readonly idle: Worker[] = [];
  private readonly queue: BlockTask[] = [];
  private readonly waiting = new Map<number, { resolve: (r: BlockResult) => void; reject: (e: Error) => void }>();
  private readonly workers: Worker[] = [];

  constructor(job: FileJob, threads: number) {
    for (let i = 0; i < threads; i++) {
      const worker = startWorker(job);
      worker.on('message', (reply: Reply) => this.settle(worker, reply));
      worker.on('error', (err) => this.failAll(err));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  run(task: BlockTask): Promise<BlockResult> {
    return new Promise((resolve, reject) => {
      this.waiting.set(task.index, { resolve, reject });
      this.queue.push(task);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const task = this.queue.shift()!;
      // The block's bytes move to the worker (the main thread does not use them again).
      this.idle.pop()!.postMessage(task, task.bytes ? [task.bytes.buffer as ArrayBuffer] : []);
    }
  }

  private settle(worker: Worker, reply: Reply): void {
    const waiter = this.waiting.get(reply.index);
    this.waiting.delete(reply.index);
    this.idle.push(worker);
    this.dispatch();
    if (!waiter) return;
    if (reply.result) waiter.resolve(reply.result);
    else waiter.reject(new Error(`a preprocessing worker failed on block ${reply.index}: ${reply.error}`));
  }

  private failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

function startWorker(job: FileJob): Worker {
  if (__filename.endsWith('.ts')) {
    // Run from the sources (tests, ts-node): the worker compiles this file as it loads it.
    const code = `require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(__filename)});`;
    return new Worker(code, { eval: true, workerData: job });
  }
  return new Worker(__filename, { workerData: job });
}

/**
 * A Uint8Array whose ArrayBuffer can be moved to another thread: a Buffer of Node's shared pool (small ones; the pool
 * is Buffer.poolSize bytes) is copied; any bigger buffer is one the core allocated for this output alone.
 */
function own(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer.byteLength > Buffer.poolSize) return bytes;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

if (!isMainThread && parentPort && workerData && typeof (workerData as FileJob).file === 'string') {
  const port = parentPort;
  const job = workerData as FileJob;
  // Loaded in the worker only: the module that loads this one on the main side.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runBlock } = require('./parallel-preprocess') as typeof import('./parallel-preprocess');
  port.on('message', (task: BlockTask) => {
    runBlock(job, task).then(
      (r) => {
        // Each piece's memory moves to the main thread; a piece of a shared pool is copied first.
        const valid = r.valid.map(own);
        const rejects = r.rejects.map(own);
        const result: BlockResult = { ...r, valid, rejects };
        const buffers = new Set<ArrayBuffer>([...valid, ...rejects].map((b) => b.buffer as ArrayBuffer));
        buffers.add(r.keys.numbers.buffer as ArrayBuffer); // a Float64Array.from: its buffer is its own
        port.postMessage({ index: task.index, result }, [...buffers]);
      },
      (err: Error) => port.postMessage({ index: task.index, error: err.stack ?? String(err) }),
    );
  });
}
