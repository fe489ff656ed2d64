// The per-cell cleaners and the pieces under them: numbers, booleans, dates, e-mails, enums, rules, quoting, duplicate keys.
import { compileColumn, normaliseDecimal, normaliseInteger, normaliseBoolean, isEmail, type CellFailure, type ColumnSpec } from '../../lambda/core/validate';
import { compileDateFormat, type DateParts } from '../../lambda/core/dates';
import { quoteCsv } from '../../lambda/core/csv-text';
import { DuplicateKeys } from '../../lambda/core/keyset';
import { detectEncoding, isValidUtf8 } from '../../lambda/core/encoding';
import { detectDialect } from '../../lambda/core/dialect';

const clean = (spec: Partial<ColumnSpec> & Pick<ColumnSpec, 'type'>, raw: string, delimiter = ',') => {
  const failure: CellFailure = { code: '', reason: '' };
  const value = compileColumn({ name: 'c', required: false, ...spec }, { neutraliseFormulas: true, delimiter }).clean(raw, failure, false);
  return value === undefined ? failure.code : value;
};

test.each([
  ['42', '42'],
  ['-0', '0'],
  ['+7', '7'],
  ['007', '7'],
  ['-0042', '-42'],
  ['9223372036854775807', '9223372036854775807'],
  ['-9223372036854775808', '-9223372036854775808'],
  ['9223372036854775808', undefined],
  ['1.0', undefined],
  ['', undefined],
  ['-', undefined],
  ['1e3', undefined],
])('integer %j -> %j', (raw, out) => expect(normaliseInteger(raw)).toBe(out));

test.each([
  ['-1234.5', false, '-1234.5'],
  ['5.00', false, '5'],
  ['0.50', false, '0.5'],
  ['+.5', false, '0.5'],
  ['1e3', false, '1000'],
  ['1.5E-3', false, '0.0015'],
  ['-0.0', false, '0'],
  ['1,234.50', false, '1234.5'],
  ['19,99', true, '19.99'],
  ['1.234,56', true, '1234.56'],
  ['19,99', false, undefined],
  ['1,2,3', true, undefined],
  ['abc', false, undefined],
  ['.', false, undefined],
  ['1e99999', false, undefined],
  ['NaN', false, undefined],
])('decimal %j (decimal comma %s) -> %j', (raw, comma, out) => expect(normaliseDecimal(raw, comma)).toBe(out));

test.each([
  ['TRUE', 'true'],
  ['yes', 'true'],
  ['Y', 'true'],
  ['1', 'true'],
  ['off', 'false'],
  ['No', 'false'],
  ['maybe', undefined],
])('boolean %j -> %j', (raw, out) => expect(normaliseBoolean(raw)).toBe(out));

test('date formats: tokens, one- or two-digit parts, real calendar days', () => {
  const parts: DateParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, ms: 0 };
  const dmy = compileDateFormat('DD.MM.YYYY');
  expect(dmy('3.11.2024', parts)).toBe(true);
  expect(parts).toMatchObject({ year: 2024, month: 11, day: 3 });
  expect(dmy('29.02.2023', parts)).toBe(false);
  expect(dmy('29.02.2024', parts)).toBe(true);
  expect(dmy('31.04.2024', parts)).toBe(false);
  expect(dmy('03.11.24', parts)).toBe(false);
  const ts = compileDateFormat('YYYY-MM-DD HH:mm:ss.SSS');
  expect(ts('2024-11-03 23:59:59.5', parts)).toBe(true);
  expect(parts.ms).toBe(500);
  expect(ts('2024-11-03 24:00:00.000', parts)).toBe(false);
});

test.each([
  [{ type: 'date', formats: ['DD/MM/YYYY', 'YYYY-MM-DD'] }, '02/11/2024', '2024-11-02'],
  [{ type: 'date' }, '2024-11-02', '2024-11-02'],
  [{ type: 'date' }, '2024-11-31', 'INVALID_DATE'],
  [{ type: 'timestamp' }, '2024-11-02 10:00', '2024-11-02T10:00:00'],
  [{ type: 'timestamp' }, '2024-11-02T10:00:00.120', '2024-11-02T10:00:00.120'],
  [{ type: 'timestamp' }, '2024-11-02T10:00:00.000', '2024-11-02T10:00:00'],
  [{ type: 'timestamp', formats: ['DD/MM/YYYY HH:mm'] }, '2/11/2024 9:05', '2024-11-02T09:05:00'],
  [{ type: 'timestamp' }, 'yesterday', 'INVALID_TIMESTAMP'],
  [{ type: 'email' }, ' Bob.Martin@Example.COM ', 'bob.martin@example.com'],
  [{ type: 'email' }, 'bob@example', 'INVALID_EMAIL'],
  [{ type: 'email' }, 'a..b@example.com', 'INVALID_EMAIL'],
  [{ type: 'enum', values: ['EUR', 'USD'] }, 'eur', 'EUR'],
  [{ type: 'enum', values: ['EUR', 'USD'] }, 'JPY', 'INVALID_ENUM'],
  [{ type: 'string', values: ['Red', 'Blue'] }, 'red', 'Red'],
  [{ type: 'string', values: ['Red', 'Blue'] }, 'green', 'VALUE_NOT_ALLOWED'],
  [{ type: 'string', pattern: '[A-Z]{2}' }, 'DE', 'DE'],
  [{ type: 'string', pattern: '[A-Z]{2}' }, 'DEU', 'PATTERN_MISMATCH'],
  [{ type: 'string', maxLength: 3 }, 'abcd', 'TOO_LONG'],
  [{ type: 'string' }, 'a, "b"', '"a, ""b"""'],
  [{ type: 'string' }, '=1+1', "'=1+1"],
  [{ type: 'decimal' }, '-3.50', '-3.5'],
  [{ type: 'integer' }, '  ', ''],
  [{ type: 'integer', required: true }, '  ', 'REQUIRED_MISSING'],
] as const)('column %j: %j -> %j', (spec, raw, out) => {
  expect(clean(spec as unknown as ColumnSpec, raw)).toBe(out);
});

test('a failure names the column, shows the value and the rule', () => {
  const failure: CellFailure = { code: '', reason: '' };
  compileColumn(
    { name: 'signup_date', type: 'date', required: true, formats: ['YYYY-MM-DD', 'DD.MM.YYYY'] },
    { neutraliseFormulas: true, delimiter: ',' },
  ).clean('2024-13-01', failure, false);
  expect(failure).toEqual({ code: 'INVALID_DATE', reason: 'signup_date: "2024-13-01" is not a date in the formats YYYY-MM-DD, DD.MM.YYYY' });
});

test('e-mail check', () => {
  expect(isEmail('first.last+tag@sub.example.co.uk')).toBe(true);
  expect(isEmail('no-at-sign.example.com')).toBe(false);
  expect(isEmail('.lead@example.com')).toBe(false);
});

test('CSV quoting', () => {
  expect(quoteCsv('plain')).toBe('plain');
  expect(quoteCsv('a\nb')).toBe('"a\nb"');
});

test('duplicate keys: integer pages, text hashes, and the move from pages to hashes', () => {
  const keys = new DuplicateKeys();
  expect(keys.addInteger(5, '5')).toBe(true);
  expect(keys.addInteger(5, '5')).toBe(false);
  expect(keys.addInteger(-5, '-5')).toBe(true);
  expect(keys.addText('a\u0001b')).toBe(true);
  expect(keys.addText('a\u0001b')).toBe(false);
  // Scattered ids overflow the page budget and move to the hash table without losing what was seen.
  for (let i = 0; i < 3000; i++) expect(keys.addInteger(i * 1_000_003, String(i * 1_000_003))).toBe(true);
  expect(keys.addInteger(5, '5')).toBe(false);
  expect(keys.addInteger(1_000_003 * 17, String(1_000_003 * 17))).toBe(false);
  const many = new DuplicateKeys();
  for (let i = 0; i < 200_000; i++) many.addText(`k${i}`);
  for (let i = 0; i < 200_000; i += 997) expect(many.addText(`k${i}`)).toBe(false);
  expect(many.addText('k200000')).toBe(true);
});

test('encoding detection', () => {
  expect(detectEncoding(Buffer.from('a,b\n1,2\n'), true)).toMatchObject({ ok: true, choice: { encoding: 'utf-8' } });
  expect(detectEncoding(Buffer.from('a,b\nG\xf3mez\nM\xfcller\n', 'latin1'), true)).toMatchObject({ ok: true, choice: { encoding: 'windows-1252' } });
  // One invalid byte alone does not make a file Windows-1252: it stays UTF-8 and only that row is rejected.
  expect(detectEncoding(Buffer.from('a,b\nG\xf3mez\n', 'latin1'), true)).toMatchObject({ ok: true, choice: { encoding: 'utf-8', confidence: 0.5 } });
  expect(detectEncoding(Buffer.from('a,b\n', 'utf16le'), true)).toMatchObject({ ok: true, choice: { encoding: 'utf-16le', bomLength: 0 } });
  expect(detectEncoding(Buffer.from([1, 2, 0, 0, 0, 3, 0xff]), true)).toMatchObject({ ok: false, code: 'BINARY_FILE' });
  // A multi-byte character cut by the end of the sample is fine; cut at the end of the file it is not.
  const cut = Buffer.from('ab é', 'utf8').subarray(0, 4);
  expect(isValidUtf8(cut, false)).toBe(true);
  expect(isValidUtf8(cut, true)).toBe(false);
  expect(isValidUtf8(Buffer.from([0xc0, 0x80]), true)).toBe(false);
});

test('dialect detection prefers consistent field counts and finds the header under a preamble', () => {
  const semi = detectDialect('Report, November\nid;amount\n1;1,5\n2;2,5\n3;4\n', true);
  expect(semi).toMatchObject({ dialect: { delimiter: ';' }, headerLine: 2, columns: 2 });
  const single = detectDialect('name\nalice\nbob\n', true);
  expect(single).toMatchObject({ columns: 1, headerLine: 1 });
});

test.each([
  ['a@b.co', true],
  ["o'brien+tag@mail.example.org", true],
  ['a@b', false],
  ['@b.co', false],
  ['a@@b.co', false],
  ['a@b..co', false],
  ['a.@b.co', false],
  ['a@-b.co', false],
  ['a@b-.co', false],
  ['a@b.co.', false],
  ['a b@c.co', false],
  ['jö@b.co', false],
  [`${'l'.repeat(65)}@b.co`, false],
  [`a@${'d'.repeat(64)}.co`, false],
])('isEmail(%j) = %s', (value, ok) => expect(isEmail(value)).toBe(ok));

test('remembered spellings (dates, enums) give the same answers as the first time, and failures are not remembered', () => {
  const failure: CellFailure = { code: '', reason: '' };
  const date = compileColumn({ name: 'd', type: 'date', required: false, formats: ['DD.MM.YYYY', 'YYYY-MM-DD'] }, { neutraliseFormulas: true, delimiter: ',' });
  const status = compileColumn({ name: 's', type: 'enum', required: false, values: ['active', 'inactive'] }, { neutraliseFormulas: true, delimiter: ',' });
  for (let round = 0; round < 3; round++) {
    expect(date.clean('3.11.2024', failure, true)).toBe('2024-11-03');
    expect(date.clean('2024-11-03', failure, true)).toBe('2024-11-03');
    expect(date.clean('31.11.2024', failure, true)).toBeUndefined();
    expect(status.clean('ACTIVE', failure, true)).toBe('active');
    expect(status.clean('Inactive', failure, true)).toBe('inactive');
    expect(status.clean('gone', failure, true)).toBeUndefined();
  }
  // More distinct dates than the cache holds still come out right.
  for (let day = 0; day < 20000; day++) {
    const d = new Date(Date.UTC(1990, 0, 1) + day * 86400000);
    const iso = d.toISOString().slice(0, 10);
    expect(date.clean(`${d.getUTCDate()}.${d.getUTCMonth() + 1}.${d.getUTCFullYear()}`, failure, true)).toBe(iso);
  }
});
