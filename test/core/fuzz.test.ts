// Fuzzing the core: real-world shapes (the hostile fixtures and the samples) mutated byte by byte, 10,000 cases a
// run, each checked for the core's promises: rows in = valid + rejected, valid rows trace back to input, the output
// parses as strict RFC 4180, the rejects file holds exactly the rejected rows, and nothing throws.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { FIXTURES, runCore } from './run-core';

const SAMPLES = path.join(__dirname, '..', '..', 'sample-data');
/** Files up to 64 KiB: big enough for every shape in the corpus, small enough for 10,000 runs. */
const MAX_CORPUS_BYTES = 1 << 16;
/** 10,000 in `npm test` (CI); `npm run test:unit`, the quick loop, sets FUZZ_CASES=2000. */
const CASES = fuzzCases(process.env.FUZZ_CASES);
/** Fixed, so a CI run is repeatable; FUZZ_SEED=<n> explores other cases (a failure prints its seed and path). */
const SEED = Number(process.env.FUZZ_SEED ?? 20261202);

function fuzzCases(text: string | undefined): number {
  if (text === undefined) return 10_000;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`FUZZ_CASES must be a whole number of cases of at least 1, got ${JSON.stringify(text)}; unset it for the 10,000 cases of CI`);
  return n;
}

function corpus(): { name: string; bytes: Buffer }[] {
  const files = [
    ...fs
      .readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => path.join(FIXTURES, f)),
    ...fs
      .readdirSync(SAMPLES)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => path.join(SAMPLES, f)),
  ];
  return files.map((file) => ({ name: path.basename(file), bytes: fs.readFileSync(file) })).filter((f) => f.bytes.length <= MAX_CORPUS_BYTES);
}

/** Bytes a CSV mutation most often involves: structure, line ends, encodings' lead bytes, formulas, NUL. */
const INTERESTING = [0x22, 0x27, 0x2c, 0x3b, 0x09, 0x7c, 0x0d, 0x0a, 0x20, 0x00, 0xff, 0xfe, 0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0x80, 0x3d, 0x2b, 0x2d, 0x40, 0x5c];

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; other: number; from: number };

const position = fc.double({ min: 0, max: 1, noNaN: true });
const byte = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 }));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, byte }),
  fc.record({ kind: fc.constant('insert' as const), at: position, bytes: fc.array(byte, { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 120 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({ kind: fc.constant('splice' as const), at: position, other: fc.nat(), from: position }),
);

/** Applies the mutations in order; positions are fractions of the current length, so any input takes any mutation. */
function mutate(input: Buffer, mutations: readonly Mutation[], files: readonly Buffer[]): Buffer {
  let bytes = input;
  for (const m of mutations) {
    const at = Math.floor(m.at * bytes.length);
    switch (m.kind) {
      case 'flip':
        if (bytes.length) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([m.byte]), bytes.subarray(at + 1)]);
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
        break;
      case 'duplicate':
        bytes = Buffer.concat([bytes.subarray(0, at + m.length), bytes.subarray(at)]);
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'splice': {
        const other = files[m.other % files.length];
        bytes = Buffer.concat([bytes.subarray(0, at), other.subarray(Math.floor(m.from * other.length))]);
        break;
      }
    }
  }
  return bytes;
}

/** Leading characters the core neutralises with a "'" prefix (spreadsheet formulas). */
const FORMULA_START = /^'[=+\-@\t\r]/;

/**
 * What a valid value must be found in the input as: its letters and digits, lower-cased. Inferred columns are
 * normalised (e-mails lower-cased, timestamps written ISO 8601), quotes undoubled and spaces trimmed, so
 * punctuation and case are not compared; a value made of anything the input does not hold still fails.
 */
function skeleton(text: string): string {
  return text
    .toLowerCase()
    .replace(/(\d)t(\d)/g, '$1 $2')
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Spellings an inferred boolean column may have had in the input (it writes true/false). */
const BOOLEAN_SPELLINGS = ['true', 'false', 'yes', 'no', 'y', 'n', '1', '0', 't', 'f'];

/**
 * Whether a valid output value comes from the input (`input` is the input's skeleton): its letters and digits are
 * there; or it is the canonical form of a typed value whose source is: a boolean from any boolean spelling, an
 * ISO date or timestamp whose year is there (other input date formats put the parts in another order), a number
 * equal to a number written in the input (1e2 is written 100).
 */
function tracesBack(cell: string, input: string, numbers: ReadonlySet<number>): boolean {
  const value = skeleton(cell.replace(FORMULA_START, (m) => m.slice(1)));
  if (!value || input.includes(value)) return true;
  if (/^[-+]?\d/.test(cell) && numbers.has(Number(cell))) return true;
  if (cell === 'true' || cell === 'false') return BOOLEAN_SPELLINGS.some((b) => input.includes(b));
  const iso = /^(\d{4})-\d{2}-\d{2}(T[\d:.]+Z?)?$/.exec(cell);
  return iso !== null && input.includes(iso[1]);
}

/** Windows-1252's 0x80-0x9F (TextDecoder in Node 20 reads them as Latin-1 controls); the rest is Latin-1. */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function decode(bytes: Buffer, encoding: string | undefined): string {
  const even = bytes.subarray(0, bytes.length - (bytes.length % 2));
  if (encoding === 'utf-16le') return even.toString('utf16le');
  if (encoding === 'utf-16be') return Buffer.from(even).swap16().toString('utf16le');
  if (encoding === 'windows-1252') return Array.from(bytes, (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] : String.fromCharCode(b))).join('');
  return bytes.toString('utf8');
}

const files = corpus();
const datasets = [undefined, 'signups', 'orders'] as const;

describe('fuzzing the core over real-world shapes', () => {
  test('the corpus holds the hostile fixtures and the samples', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['signups.csv', 'orders.csv', 'newlines-in-quotes.csv', 'windows-1252.csv']));
  });

  test(`${CASES.toLocaleString('en')} mutated files: rows in = valid + rejected, valid rows trace back to input, strict RFC 4180 output, nothing throws`, async () => {
    const buffers = files.map((f) => f.bytes);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(mutation, { maxLength: 4 }),
        fc.constantFrom(...datasets),
        fc.constantFrom(7, 64, 4096, 65536),
        async (which, mutations, dataset, chunkSize) => {
          const input = mutate(files[which % files.length].bytes, mutations, buffers);
          const { report, valid, validRows, rejectRows } = await runCore(input, { dataset, chunkSize });
          // rows in = valid + rejected, and the reasons add up
          expect(report.rowsIn).toBe(report.rowsValid + report.rowsRejected);
          expect(Object.values(report.rejectedByReason).reduce((a, b) => a + b, 0)).toBe(report.rowsRejected);
          if (report.outcome !== 'processed') {
            expect(report.rowsIn).toBe(0);
            expect(report.fileError?.code).toMatch(/^[A-Z_]+$/);
            return;
          }
          // the output parses as strict RFC 4180 (no relaxed quotes, every row as wide as the header)
          const strict: string[][] = parse(valid, { relax_quotes: false, relax_column_count: false, skip_empty_lines: false, bom: false });
          expect(strict).toEqual(validRows);
          expect(strict.length - 1).toBe(report.rowsValid);
          // the rejects file holds exactly the rejected rows
          expect(rejectRows.length).toBe(report.rowsRejected);
          // every valid value traces back to the input (inferred mode: values are not re-formatted by a config)
          if (dataset === undefined) {
            const decoded = decode(input, report.read?.encoding);
            const text = skeleton(decoded);
            const numbers = new Set((decoded.match(/[-+]?\d[\d.]*(?:e[-+]?\d+)?/gi) ?? []).map(Number));
            for (const row of strict.slice(1)) {
              for (const cell of row) {
                expect({ cell, found: tracesBack(cell, text, numbers) }).toEqual({ cell, found: true });
              }
            }
          }
        },
      ),
      { numRuns: CASES, seed: SEED },
    );
  }, 600_000);
});
