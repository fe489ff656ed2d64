// The rejects writer (JSON Lines): any strings come back exactly, one row per line, whatever splits the lines.
import fc from 'fast-check';
import { REJECT_COLUMNS } from '../../config/layout';
import { jsonString, rejectLine, type RejectedRow } from '../../lambda/core/rejects-jsonl';
import { readRejectsAsTable } from './serde-read';

/** Characters that broke the CSV rejects file, or that a JSON writer or a line reader may get wrong. */
const HOSTILE = [
  '\n',
  '\r\n',
  '\r',
  '\\',
  '\\n',
  '"',
  '""',
  ',',
  '\t',
  '\u0000',
  '\u0001',
  '\u001b',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\ufffd',
  '😀',
  '\u{10ffff}',
  'é',
];
/** Any code point (astral ones too), the hostile characters, and lone high and low surrogates. */
const unit = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);
const text = fc.string({ unit, maxLength: 30 });
const row: fc.Arbitrary<RejectedRow> = fc.record({
  source_file: text,
  line: fc.maxSafeInteger().map((n) => Math.abs(n)),
  reason_code: text,
  column_name: text,
  reason: text,
  raw_record: text,
});

/** What a writer stream gets: the rows' lines in order. */
const write = (rows: readonly RejectedRow[]) => rows.map(rejectLine).join('');

test('property: for any strings, the output split on "\\n" and each line JSON.parse\'d gives back exactly the rows', () => {
  fc.assert(
    fc.property(fc.array(row, { maxLength: 8 }), (rows) => {
      const out = write(rows);
      const lines = out.split('\n');
      expect(lines.pop()).toBe(''); // every row ends with "\n", nothing follows the last
      expect(lines.map((l) => JSON.parse(l))).toEqual(rows);
    }),
    { numRuns: 500 },
  );
});

test('property: no line break of any kind inside a row, and the UTF-8 bytes decode back to the same text', () => {
  fc.assert(
    fc.property(fc.array(row, { minLength: 1, maxLength: 5 }), (rows) => {
      const out = write(rows);
      // Hadoop's TextInputFormat splits at LF, CR and CRLF; JavaScript and Python's splitlines also at U+0085, U+2028, U+2029.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what the test looks for
      expect(out.split(/\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/)).toHaveLength(rows.length + 1);
      // Lone surrogates are written as \udXXX escapes, never as raw text (UTF-8 has no encoding for them).
      expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
      expect(readRejectsAsTable(out)).toEqual(rows);
    }),
    { numRuns: 300 },
  );
});

test('property: a string is written as JSON.stringify writes it, except for U+0085, U+2028, U+2029 (escaped)', () => {
  fc.assert(
    fc.property(text, (s) => {
      expect(jsonString(s)).toBe(JSON.stringify(s).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    }),
    { numRuns: 1000 },
  );
});

test('the keys are REJECT_COLUMNS in order, line is a JSON number', () => {
  const line = rejectLine({
    source_file: 'raw/signups/a.csv',
    line: 7,
    reason_code: 'INVALID_EMAIL',
    column_name: 'email',
    reason: 'r',
    raw_record: '7,"a\nb",x',
  });
  expect(line).toBe(
    '{"source_file":"raw/signups/a.csv","line":7,"reason_code":"INVALID_EMAIL","column_name":"email","reason":"r","raw_record":"7,\\"a\\nb\\",x"}\n',
  );
  expect(Object.keys(JSON.parse(line))).toEqual(REJECT_COLUMNS.map((c) => c.name));
});

test('escaping: backslashes, quotes, CR, control characters, Unicode line breaks and lone surrogates; astral characters as they are', () => {
  expect(jsonString('C:\\dir\\')).toBe('"C:\\\\dir\\\\"');
  expect(jsonString('a\r\nb\rc')).toBe('"a\\r\\nb\\rc"');
  expect(jsonString('\u0000\u001f\u007f')).toBe('"\\u0000\\u001f\u007f"');
  expect(jsonString('x\u2028y\u2029z\u0085')).toBe('"x\\u2028y\\u2029z\\u0085"');
  expect(jsonString('\ud800|\udc00')).toBe('"\\ud800|\\udc00"');
  expect(jsonString('😀')).toBe('"😀"');
});

test('a line number that is not a non-negative integer is refused, with the value', () => {
  const base = { source_file: 's', reason_code: 'C', column_name: '', reason: '', raw_record: '' };
  expect(() => rejectLine({ ...base, line: Number.NaN })).toThrow(/line must be a non-negative integer, got null/);
  expect(() => rejectLine({ ...base, line: 1.5 })).toThrow(/got 1\.5/);
  expect(() => rejectLine({ ...base, line: 2, reason: undefined as unknown as string })).toThrow(/reason must be a string, got undefined/);
});
