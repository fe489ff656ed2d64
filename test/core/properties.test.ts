// Property-based tests (fast-check): tables written in random dialects come back equal; rows in = valid + rejected, always.
import fc from 'fast-check';
import { runCore } from './run-core';

const DELIMITERS = [',', ';', '\t', '|'];
const LINE_ENDS = { LF: '\n', CRLF: '\r\n', CR: '\r' } as const;

/** A cell that survives cleaning unchanged in inferred mode: starts and ends with "x" (so it is a string, not trimmed, not a formula). */
const cell = (delimiter: string) =>
  fc.array(fc.constantFrom('a', 'b', 'Z', '1', ' ', 'é', '€', '"', "'", '\n', '\r', delimiter), { maxLength: 8 }).map((chars) => `x${chars.join('')}x`);

const table = fc
  .record({
    delimiter: fc.constantFrom(...DELIMITERS),
    lineEnding: fc.constantFrom<keyof typeof LINE_ENDS>('LF', 'CRLF', 'CR'),
    bom: fc.boolean(),
    encoding: fc.constantFrom('utf-8', 'utf-16le'),
    quoteAll: fc.boolean(),
    trailingNewline: fc.boolean(),
    columns: fc.integer({ min: 2, max: 6 }),
  })
  .chain((d) =>
    fc.record({
      dialect: fc.constant(d),
      rows: fc.array(fc.array(cell(d.delimiter), { minLength: d.columns, maxLength: d.columns }), { minLength: 1, maxLength: 25 }),
    }),
  );

function writeCsv(
  header: string[],
  rows: string[][],
  d: { delimiter: string; lineEnding: keyof typeof LINE_ENDS; quoteAll: boolean; trailingNewline: boolean },
): string {
  const field = (v: string) => (d.quoteAll || /["\r\n]/.test(v) || v.includes(d.delimiter) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [header, ...rows].map((r) => r.map(field).join(d.delimiter));
  return lines.join(LINE_ENDS[d.lineEnding]) + (d.trailingNewline ? LINE_ENDS[d.lineEnding] : '');
}

function encode(text: string, encoding: string, bom: boolean): Buffer {
  if (encoding === 'utf-16le') return Buffer.from((bom ? '\ufeff' : '') + text, 'utf16le');
  return Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
}

describe('properties', () => {
  test('a table written in a random dialect, encoding and chunking comes back equal', async () => {
    await fc.assert(
      fc.asyncProperty(table, fc.integer({ min: 1, max: 97 }), async ({ dialect, rows }, chunkSize) => {
        const header = rows[0].map((_v, i) => `col_${i + 1}`);
        const bytes = encode(writeCsv(header, rows, dialect), dialect.encoding, dialect.bom);
        const { report, validRows } = await runCore(bytes, { chunkSize });
        expect(report.outcome).toBe('processed');
        expect(report.read).toMatchObject({ delimiter: dialect.delimiter, lineEnding: dialect.lineEnding, preambleLines: 0 });
        expect(validRows).toEqual([header, ...rows]);
        expect(report).toMatchObject({ rowsIn: rows.length, rowsValid: rows.length, rowsRejected: 0 });
      }),
      { numRuns: 300 },
    );
  });

  test('rows in = valid + rejected for any bytes, and the outputs hold exactly those rows', async () => {
    const noisyCsv = fc
      .array(
        fc.array(
          fc.oneof(fc.constantFrom('1', '2', 'x', 'a@b.co', '2024-01-02', 'active', '', '"', '""', ',', '\n', '\r\n', ' '), fc.string({ maxLength: 4 })),
          { maxLength: 8 },
        ),
        { maxLength: 30 },
      )
      .map((parts) => `id,name,email,signup_date,status\n${parts.map((p) => p.join('')).join('\n')}`);
    const input = fc.oneof(
      noisyCsv.map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    );
    await fc.assert(
      fc.asyncProperty(input, fc.boolean(), fc.integer({ min: 1, max: 64 }), async (bytes, withDataset, chunkSize) => {
        const { report, validRows, rejectRows } = await runCore(bytes, { dataset: withDataset ? 'signups' : undefined, chunkSize });
        expect(report.rowsIn).toBe(report.rowsValid + report.rowsRejected);
        expect(Object.values(report.rejectedByReason).reduce((a, b) => a + b, 0)).toBe(report.rowsRejected);
        if (report.outcome === 'processed') {
          expect(validRows.length - 1).toBe(report.rowsValid);
          expect(rejectRows.length).toBe(report.rowsRejected);
        } else {
          expect(report.rowsIn).toBe(0);
          expect(report.fileError?.code).toMatch(/^[A-Z_]+$/);
        }
      }),
      { numRuns: 400 },
    );
  });
});
