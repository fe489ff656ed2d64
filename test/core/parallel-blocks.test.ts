// Differential test of the threaded reading (local/parallel-preprocess.ts): for fixtures, samples and generated files
// cut into many small blocks, the valid rows, the rejects and the report equal byte for byte what one thread writes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { preprocess } from '../../lambda/core/preprocess';
import type { PreprocessReport } from '../../lambda/core/report';
import { findDataset } from '../../config/load';
import { type BlockExecutor, type FileJob, inThread, parseThreads, preprocessFile } from '../../local/parallel-preprocess';
import { CONFIG, FIXTURES } from './run-core';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'parallel-blocks-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

interface Outputs {
  readonly valid: Buffer;
  readonly rejects: Buffer;
  readonly report: string;
}

function sinks(): { valid: PassThrough; rejects: PassThrough; done: Promise<[Buffer, Buffer]> } {
  const valid = new PassThrough();
  const rejects = new PassThrough();
  const read = (s: PassThrough) =>
    new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      s.on('data', (d: Buffer) => parts.push(d))
        .on('end', () => resolve(Buffer.concat(parts)))
        .on('error', reject);
    });
  return { valid, rejects, done: Promise.all([read(valid), read(rejects)]) };
}

const reportText = (r: PreprocessReport) => JSON.stringify({ ...r, durationMs: 0 }, null, 2);

let files = 0;
/** One thread and threaded (in this thread, or on workers) over the same file; `mode` says how the threaded run read it. */
async function both(
  bytes: Uint8Array,
  opts: { dataset?: string; blockBytes?: number; workers?: boolean; chunkBytes?: number },
): Promise<{ one: Outputs; threaded: Outputs; mode: string }> {
  const file = path.join(TMP, `f${files++}.csv`);
  fs.writeFileSync(file, bytes);
  const dataset = opts.dataset ? findDataset(CONFIG, opts.dataset) : undefined;
  const job: FileJob = { file, config: CONFIG, dataset, source: 'raw/in.csv', sizeBytes: bytes.length, sampleChunkBytes: opts.chunkBytes ?? 64 * 1024 };
  const a = sinks();
  const oneReport = await preprocess(fs.createReadStream(file, { highWaterMark: job.sampleChunkBytes }), a, job);
  const [v1, r1] = await a.done;
  const b = sinks();
  let mode = '';
  const threadedReport = await preprocessFile(job, b, {
    threads: 2,
    blockBytes: opts.blockBytes,
    onMode: (m) => (mode = m),
    ...(opts.workers ? {} : { executor: inThread }),
  });
  const [v2, r2] = await b.done;
  fs.rmSync(file);
  return { one: { valid: v1, rejects: r1, report: reportText(oneReport) }, threaded: { valid: v2, rejects: r2, report: reportText(threadedReport) }, mode };
}

function expectSame(r: { one: Outputs; threaded: Outputs; mode: string }): void {
  expect(r.threaded.report).toBe(r.one.report);
  expect(r.threaded.valid.toString('utf8')).toBe(r.one.valid.toString('utf8'));
  expect(r.threaded.rejects.toString('utf8')).toBe(r.one.rejects.toString('utf8'));
  expect(r.threaded.valid.equals(r.one.valid)).toBe(true);
  expect(r.threaded.rejects.equals(r.one.rejects)).toBe(true);
}

describe('threaded reading equals one thread, byte for byte', () => {
  const fixtures = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.csv'));

  test.each(fixtures)('fixture %s (inferred and signups, blocks of 1, 16 and 200 bytes)', async (name) => {
    const bytes = fs.readFileSync(path.join(FIXTURES, name));
    for (const dataset of [undefined, 'signups']) {
      for (const blockBytes of [1, 16, 200]) expectSame(await both(bytes, { dataset, blockBytes }));
    }
  });

  test.each(['signups', 'orders'])('sample-data/%s.csv in blocks of 1 to 500 bytes, read in blocks', async (name) => {
    const bytes = fs.readFileSync(path.join(__dirname, '..', '..', 'sample-data', `${name}.csv`));
    for (const blockBytes of [1, 37, 500]) {
      const r = await both(bytes, { dataset: name, blockBytes });
      if (bytes.length >= 2 * blockBytes) expect(r.mode).toMatch(/^\d+ blocks/);
      expectSame(r);
    }
  });

  // Sign-up rows with what crosses block edges: quoted line breaks, keys seen in earlier blocks, blank runs, footers.
  const cell = fc.constantFrom('Ann', '"Doe, Jo"', '"line\nbreak"', '"two\n\nbreaks"', '"q""uote"', '=1+1', ' pad ', '', 'stray"quote', '"open');
  const row = fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          fc.integer({ min: 1, max: 30 }),
          cell,
          fc.constantFrom('a@b.co', 'A@B.CO', 'bad'),
          fc.constantFrom('2024-01-02', '02.01.2024', '2024-13-01'),
          fc.constantFrom('active', 'PENDING', 'banned'),
        )
        .map((t) => t.join(',')),
    },
    { weight: 2, arbitrary: fc.constantFrom('', '', ' ', 'Total,,,,', 'Total,42', 'end of export', '7,Ann', '1,2,3,4,5,6') },
  );
  const file = fc.record({
    rows: fc.array(row, { minLength: 1, maxLength: 60 }),
    crlf: fc.boolean(),
    trailingNewline: fc.boolean(),
    preamble: fc.boolean(),
  });

  test('generated sign-up files: quoted line breaks, duplicate keys, blank runs and footers across tiny blocks', async () => {
    let threadedRuns = 0;
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 1, max: 60 }), fc.boolean(), async (f, blockBytes, withDataset) => {
        const eol = f.crlf ? '\r\n' : '\n';
        const lines = [...(f.preamble ? ['Sign-ups export'] : []), 'id,name,email,signup_date,status', ...f.rows];
        const text = lines.join(eol).replace(/\n/g, eol === '\r\n' ? '\n' : '\n') + (f.trailingNewline ? eol : '');
        const r = await both(Buffer.from(text), { dataset: withDataset ? 'signups' : undefined, blockBytes });
        if (/^\d+ blocks/.test(r.mode)) threadedRuns++;
        if (process.env.SHOW_MODES) console.log(r.mode);
        expectSame(r);
      }),
      { numRuns: 300, seed: 907 },
    );
    // Most runs really were cut into blocks (not a fall-back to one thread).
    expect(threadedRuns).toBeGreaterThan(150);
  });

  test('a key seen in an earlier block makes a later row a DUPLICATE_KEY reject, as on one thread', async () => {
    const rows = Array.from({ length: 200 }, (_v, i) => `${(i % 150) + 1},Ann,a${i}@b.co,2024-01-02,active`);
    const r = await both(Buffer.from(`${['id,name,email,signup_date,status', ...rows].join('\n')}\n`), { dataset: 'signups', blockBytes: 400 });
    expect(r.mode).toMatch(/^\d+ blocks$/);
    expect(JSON.parse(r.threaded.report).rejectedByReason).toEqual({ DUPLICATE_KEY: 50 });
    expectSame(r);
  });

  test('footer records and blank lines split over several blocks at the end are one footer, as on one thread', async () => {
    const rows = Array.from({ length: 50 }, (_v, i) => `${i + 1},Ann,a${i}@b.co,2024-01-02,active`);
    const text = ['id,name,email,signup_date,status', ...rows, '', '', 'Total,50', '', 'Exported by tool', ''].join('\n');
    for (const blockBytes of [1, 5, 60]) {
      const r = await both(Buffer.from(text), { dataset: 'signups', blockBytes });
      expect(JSON.parse(r.threaded.report).rejectedByReason).toEqual({ FOOTER: 2 });
      expectSame(r);
    }
  });

  test('a stray quote that misleads the block cut: the rest is read on one thread, same output', async () => {
    // Row 6's stray quote is literal for the reader but flips the quote parity: later cuts fall inside quoted line breaks.
    const rows = Array.from({ length: 40 }, (_v, i) =>
      i === 5 ? `${i + 1},An"n,a@b.co,2024-01-02,active` : `${i + 1},"Doe\nAnn",a${i}@b.co,2024-01-02,active`,
    );
    const r = await both(Buffer.from(`${['id,name,email,signup_date,status', ...rows].join('\n')}\n`), { dataset: 'signups', blockBytes: 100 });
    expect(r.mode).toMatch(/^\d+ blocks, from block \d+ on one thread$/);
    expectSame(r);
  });

  test('files the threads do not read (bad UTF-8, NUL, Windows-1252) fall back to one thread with the same output', async () => {
    // Over the 64 KiB sample, so that the bad bytes after it reject rows instead of deciding the file's encoding.
    const rows = Array.from({ length: 2000 }, (_v, i) => `${i + 1},Ann,a${i}@b.co,2024-01-02,active`);
    const good = Buffer.from(`${['id,name,email,signup_date,status', ...rows].join('\n')}\n`);
    const bad = Buffer.concat([good, Buffer.from([0x39, 0x39, 0x2c, 0xff, 0x0a])]);
    const nul = Buffer.concat([good, Buffer.from('99,A\0n,x@y.co,2024-01-02,active\n')]);
    const cp1252 = Buffer.from(good.toString('latin1').replace(/Ann/g, 'Fran\u00e7ois'), 'latin1');
    for (const [bytes, why] of [
      [bad, /not UTF-8/],
      [nul, /NUL/],
      [cp1252, /windows-1252/],
    ] as const) {
      const r = await both(bytes, { dataset: 'signups', blockBytes: 8000 });
      expect(r.mode).toMatch(why);
      expectSame(r);
    }
  });

  test("local mode's 1 MiB read chunks and the default block size (a 3 MB file)", async () => {
    const rows = Array.from(
      { length: 50000 },
      (_v, i) => `${(i % 49000) + 1},"Doe, Ann",a${i}@b.co,${i % 3 ? '2024-01-02' : '02.01.2024'},${i % 101 === 0 ? 'banned' : 'active'}`,
    );
    const r = await both(Buffer.from(`${['id,name,email,signup_date,status', ...rows].join('\n')}\n`), { dataset: 'signups', chunkBytes: 1 << 20 });
    expect(r.mode).toMatch(/^\d+ blocks$/);
    expectSame(r);
  });

  test('on worker threads too', async () => {
    const rows = Array.from({ length: 3000 }, (_v, i) => `${(i % 2900) + 1},"Doe,\nAnn",a${i}@b.co,2024-01-02,${i % 97 === 0 ? 'banned' : 'active'}`);
    const r = await both(Buffer.from(['id,name,email,signup_date,status', ...rows, '', 'Total,3000', ''].join('\n')), {
      dataset: 'signups',
      blockBytes: 20000,
      workers: true,
    });
    expect(r.mode).toMatch(/^\d+ blocks$/);
    expectSame(r);
  }, 120000);
});

describe('block dispatch', () => {
  test('a free thread takes the next block without waiting for the merge; at most `threads` blocks run at once', async () => {
    const rows = Array.from({ length: 400 }, (_v, i) => `${i + 1},Ann,a${i}@b.co,2024-01-02,active`);
    const file = path.join(TMP, 'dispatch.csv');
    fs.writeFileSync(file, `${['id,name,email,signup_date,status', ...rows].join('\n')}\n`);
    const job: FileJob = {
      file,
      config: CONFIG,
      dataset: findDataset(CONFIG, 'signups'),
      source: 'raw/in.csv',
      sizeBytes: fs.statSync(file).size,
      sampleChunkBytes: 64 * 1024,
    };
    let running = 0;
    let most = 0;
    const order: string[] = [];
    // Block 0 is slow: with two threads, blocks 1, 2, 3 run on the other thread before block 0 is done (and merged).
    const executor = (j: FileJob): BlockExecutor => {
      const inner = inThread(j);
      return {
        run: async (task) => {
          running++;
          most = Math.max(most, running);
          order.push(`start ${task.index}`);
          if (task.index === 0) await new Promise((r) => setTimeout(r, 300));
          const r = await inner.run(task);
          order.push(`done ${task.index}`);
          running--;
          return r;
        },
        close: () => inner.close(),
      };
    };
    const out = sinks();
    await preprocessFile(job, out, { threads: 2, blockBytes: 1500, executor });
    await out.done;
    expect(most).toBe(2);
    // threads + 2 blocks may be started and not yet merged: blocks 1, 2 and 3 ran while block 0 was still running.
    expect(order.indexOf('start 3')).toBeLessThan(order.indexOf('done 0'));
    expect(order.indexOf('start 4')).toBeGreaterThan(order.indexOf('done 0'));
  });
});

describe('--threads', () => {
  test('takes a whole number from 1 to 64; anything else is refused with the value and the fix', () => {
    expect(parseThreads(undefined)).toBeUndefined();
    expect(parseThreads('1')).toBe(1);
    expect(parseThreads('2')).toBe(2);
    for (const bad of ['0', '65', '1.5', 'two', '', '-1']) {
      expect(parseThreads(bad)).toEqual({ error: expect.stringContaining(JSON.stringify(bad)) });
      expect((parseThreads(bad) as { error: string }).error).toContain('use 1 to read the file on one thread');
    }
  });
});
