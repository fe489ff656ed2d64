// Differential property tests: each column's byte writer (the fast way for plain records) writes exactly what its `clean` returns, as UTF-8, and fails exactly when `clean` does.
import fc from 'fast-check';
import { compileColumn, type ColumnSpec, type CellFailure } from '../../lambda/core/validate';
import { ByteOut } from '../../lambda/core/byte-out';
import { startsFormula } from '../../lambda/core/csv-text';
import { DuplicateKeys } from '../../lambda/core/keyset';
import { runCore } from './run-core';

const SPECS: ColumnSpec[] = [
  { name: 'id', type: 'integer', required: true },
  { name: 'n', type: 'integer', required: false },
  { name: 'name', type: 'string', required: true, maxLength: 6 },
  { name: 'note', type: 'string', required: false },
  { name: 'email', type: 'email', required: true },
  { name: 'status', type: 'enum', required: true, values: ['active', 'Inactive', 'PEND', 'K\u212Aelvin'] },
  { name: 'level', type: 'enum', required: false, values: ['=a', 'b'] },
  { name: 'short', type: 'enum', required: false, values: ['aa', 'bbbb'], maxLength: 3 },
  { name: 'd1', type: 'date', required: true, formats: ['YYYY-MM-DD', 'YYYY/MM/DD', 'DD.MM.YYYY'] },
  { name: 'd2', type: 'date', required: false, formats: ['DD.MM.YYYY', 'YYYY-MM-DD', 'YYYYMMDD', 'MM/DD/YYYY'] },
  { name: 'd3', type: 'date', required: false },
  // A format ending in a literal: the writer must not read past the cell for it.
  { name: 'd4', type: 'date', required: false, formats: ['YYYY.MM.DD.'] },
  { name: 'ts', type: 'timestamp', required: false },
  { name: 'amount', type: 'decimal', required: false },
  { name: 'paid', type: 'boolean', required: false },
  { name: 'code', type: 'string', required: false, pattern: '[A-Z]{2}\\d+' },
  { name: 'tag', type: 'string', required: false, values: ['x', 'Y'] },
];

/** Characters of plain cells: no quote, no line break; the delimiter is left out by the caller. */
const CHARS = [
  '0',
  '1',
  '2',
  '9',
  '3',
  '-',
  '+',
  '.',
  '/',
  '@',
  'a',
  'A',
  'e',
  'E',
  'K',
  'x',
  'Y',
  ' ',
  '\t',
  '=',
  '\u00e9',
  '\u212A',
  '\u00a0',
  '\ud83d\ude00',
  ',',
];
const SAMPLES = [
  '2024.01.05',
  '2024.1.5.',
  '2024-02-29',
  '2023-02-29',
  '29.02.2024',
  '1.2.2024',
  '2024/1/5',
  '20240105',
  '12/31/2024',
  '0999-01-01',
  'john.Doe@Example.COM',
  'a..b@x.io',
  'active',
  'ACTIVE',
  'inactive',
  'pend',
  'kkelvin',
  '=a',
  'aa',
  'BBBB',
  '42',
  '007',
  '-5',
  '+5',
  '9223372036854775808',
  '1,234.50',
  'yes',
  'AB12',
  'x',
  'y',
  '2024-01-05T10:00:00',
  'Zoë Doe',
];

/** A plain cell holds neither the delimiter nor the file's quote; with ' as the quote it may hold a ". */
const cellText = (delimiter: string, quote: string) =>
  fc.oneof(
    fc.array(fc.constantFrom(...CHARS.filter((c) => c !== delimiter), ...(quote === '"' ? [] : ['"'])), { maxLength: 12 }).map((a) => a.join('')),
    fc.constantFrom(...SAMPLES),
  );

/** One RFC 4180 field: unquoted without , " CR LF, or quoted with "" for ". */
const RFC4180_FIELD = /^(?:"(?:[^"]|"")*"|[^",\r\n]*)$/;

describe('column byte writers', () => {
  for (const delimiter of [',', ';', '\t', '|']) {
    for (const quote of ['"', "'"]) {
      for (const neutraliseFormulas of [true, false]) {
        test(`write = UTF-8 of clean, an RFC 4180 field, for every column type (delimiter ${JSON.stringify(delimiter)}, quote ${quote}, neutraliseFormulas ${neutraliseFormulas})`, () => {
          const stats = { neutralised: 0 };
          const cleaners = SPECS.map((s) => compileColumn(s, { delimiter, quote, neutraliseFormulas, stats }));
          fc.assert(
            fc.property(
              fc.nat(SPECS.length - 1),
              cellText(delimiter, quote),
              fc.constantFrom('', '1', '-', '.', 'a@', '9/'),
              fc.constantFrom('', '0', '-1', '.2', 'x', '/3'),
              (c, raw, before, after) => {
                if (delimiter === ',' && raw.includes(',')) raw = raw.replace(/,/g, '');
                const failure: CellFailure = { code: '', reason: '' };
                const expected = cleaners[c].clean(raw, failure, true);
                const out = new ByteOut(16);
                out.ensure(3 * raw.length + 16);
                const text = before + raw + after;
                const ok = cleaners[c].write(text, before.length, before.length + raw.length, out);
                if (expected === undefined) {
                  expect(ok).toBe(false);
                } else {
                  expect(ok).toBe(true);
                  expect(expected).toMatch(RFC4180_FIELD);
                  if (neutraliseFormulas && cleaners[c].type !== 'integer' && cleaners[c].type !== 'decimal') expect(startsFormula(expected)).toBe(false);
                  expect(out.buf.subarray(0, out.pos).toString('utf8')).toBe(expected);
                  expect(Buffer.compare(out.buf.subarray(0, out.pos), Buffer.from(expected))).toBe(0);
                }
              },
            ),
            { numRuns: delimiter === ',' || delimiter === ';' ? 3000 : 1000 },
          );
        });
      }
    }
  }
});

describe('ByteOut', () => {
  test('encodes any string as Buffer.from does, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('\ud800', '\udc00', 'a\ud83dz', ''), (s, odd) => {
        const v = s + odd;
        const out = new ByteOut(4);
        out.writeString(v);
        out.writeString(v);
        expect(Buffer.compare(out.buf.subarray(0, out.pos), Buffer.from(v + v))).toBe(0);
      }),
    );
  });
});

describe('DuplicateKeys.addPagedInteger', () => {
  test('agrees with addInteger, and declines what it cannot do without the text', () => {
    const a = new DuplicateKeys();
    const b = new DuplicateKeys();
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -70000, max: 200000 }), fc.constant(2 ** 60)), { maxLength: 50 }), (ns) => {
        for (const n of ns) {
          const paged = a.addPagedInteger(n);
          const plain = b.addInteger(n, String(n));
          if (paged === -1) expect(a.addInteger(n, String(n))).toBe(plain);
          else expect(paged === 1).toBe(plain);
        }
      }),
    );
  });
});

describe('whole files through both ways', () => {
  test('sign-ups with quoted, trimmed, formula, non-ASCII, failing and duplicate rows: same outputs in any chunking', async () => {
    const lines = ['id,name,email,signup_date,status'];
    const names = ['Zoë Doe', ' Bob ', '=cmd', '"Doe, Jane"', 'François', 'x\u00a0', '', '😀 Lee'];
    const emails = ['a.b@Example.com', 'x@y.io', 'bad.example.com', ' c@d.org', '+e@f.net'];
    const dates = ['2024-01-05', '5.1.2024', '2024/01/05', '2024-13-01', '29.02.2023', ' 2024-02-29'];
    const statuses = ['active', 'Active', 'PENDING', 'banned', ' inactive'];
    for (let i = 1; i <= 600; i++) {
      const id = i % 97 === 0 ? String(i - 1) : i % 89 === 0 ? `0${i}` : String(i);
      lines.push([id, names[i % names.length], emails[i % emails.length], dates[i % dates.length], statuses[i % statuses.length]].join(','));
      if (i % 150 === 0) lines.push(`${i}0000,short`);
      if (i % 100 === 0) lines.push(lines[1]);
      if (i % 211 === 0) lines.push('');
    }
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    const whole = await runCore(bytes, { dataset: 'signups' });
    expect(whole.report.rowsValid).toBeGreaterThan(150);
    expect(whole.report.rowsRejected).toBeGreaterThan(100);
    for (const chunkSize of [1, 7, 100, 4096]) {
      const r = await runCore(bytes, { dataset: 'signups', chunkSize });
      expect(r.valid).toBe(whole.valid);
      expect(r.rejects).toBe(whole.rejects);
      expect({ ...r.report, durationMs: 0 }).toEqual({ ...whole.report, durationMs: 0 });
    }
    // Trimmed, re-spelled, lower-cased, neutralised and non-ASCII values, from plain and quoted records.
    expect(whole.valid).toContain('\n1,Bob,x@y.io,2024-01-05,active\n');
    expect(whole.valid).toContain("\n24,Zoë Doe,'+e@f.net,2024-01-05,inactive\n");
    expect(whole.valid).toContain(`\n19,"Doe, Jane",'+e@f.net,2024-01-05,inactive\n`);
    const byCode = whole.report.rejectedByReason;
    for (const code of ['DUPLICATE_KEY', 'INVALID_EMAIL', 'INVALID_DATE', 'INVALID_ENUM', 'WRONG_FIELD_COUNT', 'REQUIRED_MISSING'])
      expect(byCode[code]).toBeGreaterThan(0);
  });
});
