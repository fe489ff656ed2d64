// `init`'s inference (local/init): on the shipped samples and on generated files of every column type, the entry validates
// with the config loader and the real core then rejects no sample row for a column rule; each rule is as strict as the sample allows.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COLUMN_TYPES } from '../../../config/schema';
import { longestOf } from '../../../local/init/columns';
import { granularityFor } from '../../../local/init/entry';
import { InitError, inferDataset, type InitResult } from '../../../local/init/infer-dataset';
import { everyTypeCsv, preprocessWith } from './core-check';

const ROOT = path.join(__dirname, '..', '..', '..');
const SAMPLES = path.join(ROOT, 'sample-data');

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-init-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function infer(file: string, name = 'sample'): Promise<InitResult> {
  return inferDataset(fs.readFileSync(file), { name, source: file });
}

const column = (r: InitResult, name: string) => {
  const c = r.entry.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name} in ${r.entry.columns.map((x) => x.name).join(', ')}`);
  return c;
};

describe('shipped samples', () => {
  it('signups.csv: validates, and the core rejects only the row no config can accept (its 4-field row)', async () => {
    const file = path.join(SAMPLES, 'signups.csv');
    const r = await infer(file, 'signups_init');
    const { report, rejects } = await preprocessWith(file, r.entry);
    expect(rejects.map((x) => [x.line, x.reason_code, x.column_name])).toEqual([[17, 'WRONG_FIELD_COUNT', '']]);
    expect(report.rowsValid).toBe(19);
    expect(r.check).toMatchObject({ rowsIn: 20, rowsValid: 19, rowsRejected: 1 });
    // The sample's bad values make these columns strings: "abc" in id, "dan@example" in email, "2024-13-05" in signup_date.
    expect(r.entry.columns.map((c) => [c.name, c.type, c.required])).toEqual([
      ['id', 'string', true],
      ['name', 'string', false],
      ['email', 'string', true],
      ['signup_date', 'string', true],
      ['status', 'enum', true],
    ]);
    expect(column(r, 'status').values).toEqual(['active', 'inactive', 'pending', 'banned']);
    expect(column(r, 'name').maxLength).toBe('Lena "LJ" Jones'.length); // the longest name, as the core reads it (quotes undone)
    // id repeats 11, name has an empty cell: email is the first unique, never-empty column.
    expect(r.entry.key).toEqual(['email']);
    expect(r.summary.join('\n')).toMatch(/not integer: "abc"/);
    expect(r.summary.join('\n')).toMatch(/line 17: WRONG_FIELD_COUNT/);
  });

  it('orders.csv (";", a preamble line): validates, and the core rejects no row at all', async () => {
    const file = path.join(SAMPLES, 'orders.csv');
    const r = await infer(file, 'orders_init');
    const { report, rejects } = await preprocessWith(file, r.entry);
    expect(rejects).toEqual([]);
    expect(report).toMatchObject({ rowsIn: 9, rowsValid: 9, rowsRejected: 0 });
    expect(r.entry.key).toEqual(['order_no']);
    expect(column(r, 'order_no')).toEqual({ name: 'order_no', type: 'integer', required: true });
    expect(column(r, 'paid')).toEqual({ name: 'paid', type: 'boolean', required: false });
    expect(column(r, 'currency')).toMatchObject({ type: 'enum', values: ['EUR', 'USD', 'GBP', 'JPY'] });
    // "abc" and "1,5" (a decimal comma where the others use a point) make amount a string, as the core would reject them.
    expect(column(r, 'amount')).toMatchObject({ type: 'string', maxLength: 5 });
    // "02/11/2024 14:30" reads as DD/MM and MM/DD: not guessed.
    expect(column(r, 'order_date').type).toBe('string');
    expect(r.summary.join('\n')).toMatch(/cannot be told apart/);
    expect(r.entry.dashboard?.charts?.map((c) => c.id)).toEqual(['rows_by_currency', 'rejects_by_reason']);
  });
});

describe('generated files of every column type', () => {
  const cases = [
    { title: 'comma-delimited, decimal point', file: 'types-comma.csv', csv: everyTypeCsv({ delimiter: ',' }) },
    { title: 'semicolon-delimited, decimal comma', file: 'types-semicolon.csv', csv: everyTypeCsv({ delimiter: ';', decimalComma: true, seed: 11 }) },
  ];
  it.each(cases)('$title: every type inferred, the entry validates, the core rejects no row', async ({ file, csv }) => {
    const input = write(file, csv);
    const r = await infer(input, 'customers');
    expect(r.entry.columns.map((c) => [c.name, c.type])).toEqual([
      ['customer_id', 'integer'],
      ['price', 'decimal'],
      ['active', 'boolean'],
      ['signup_date', 'date'],
      ['last_login', 'timestamp'],
      ['e_mail', 'email'],
      ['plan', 'enum'],
      ['note', 'string'],
    ]);
    expect(new Set(r.entry.columns.map((c) => c.type))).toEqual(new Set(COLUMN_TYPES));
    const { report, rejects } = await preprocessWith(input, r.entry);
    expect(rejects).toEqual([]);
    expect(report).toMatchObject({ rowsIn: 80, rowsValid: 80, rowsRejected: 0 });
    expect(r.check.relaxed).toEqual([]);
  });

  it('sets each rule as strict as the sample allows', async () => {
    const csv = everyTypeCsv({ delimiter: ',' });
    const r = await infer(write('strict.csv', csv), 'customers');
    const rows = csv.trim().split('\n').slice(1);
    expect(column(r, 'signup_date').formats).toEqual(['YYYY-MM-DD', 'DD.MM.YYYY']);
    expect(column(r, 'last_login').formats).toEqual(['YYYY-MM-DD HH:mm:ss']);
    expect(column(r, 'plan').values?.slice().sort()).toEqual(['free', 'pro', 'team']);
    // Every fifth note is empty: optional; the others required.
    expect(r.entry.columns.filter((c) => !c.required).map((c) => c.name)).toEqual(['note']);
    // maxLength is the longest value exactly: the e-mails "userN@Example.com" of rows 1-80.
    expect(column(r, 'e_mail').maxLength).toBe(Math.max(...rows.map((_l, i) => `user${i + 1}@Example.com`.length)));
    expect(column(r, 'e_mail').aliases).toEqual(['E-Mail']);
    // Header spellings the core matches anyway get no alias.
    expect(column(r, 'customer_id').aliases).toBeUndefined();
    // One longer note would be rejected: the limit is not padded.
    const longest = column(r, 'note').maxLength!;
    const longer = `${csv}9999,1.00,yes,2024-01-20,2024-01-20 10:00:00,z@example.com,pro,${'x'.repeat(longest + 1)}\n`;
    const { rejects } = await preprocessWith(write('longer.csv', longer), r.entry);
    expect(rejects.map((x) => x.reason_code)).toEqual(['TOO_LONG']);
  });

  it('key, partitioning, two queries and a dashboard that name real columns', async () => {
    const r = await infer(write('dash.csv', everyTypeCsv({ delimiter: ',' })), 'customers');
    expect(r.entry.key).toEqual(['customer_id']);
    expect(r.summary.join('\n')).toMatch(/other candidates: e_mail/);
    expect(r.entry.transforms).toEqual({
      derive: [{ name: 'signup_date_month', expr: 'substr(cast(signup_date as string), 1, 7)', type: 'string' }],
      partitionBy: ['signup_date_month'],
    });
    expect(r.entry.queries?.map((q) => q.name)).toEqual(['customers_by_month', 'rejected_rows_by_reason']);
    const dash = r.entry.dashboard!;
    expect(dash.dateColumn).toBe('signup_date');
    expect(dash.kpis).toHaveLength(1);
    expect(dash.charts?.map((c) => [c.type, c.source ?? 'final', c.time ?? c.category])).toEqual([
      ['line', 'final', 'signup_date'],
      ['bar', 'final', 'plan'],
      ['bar', 'rejects', 'reason_code'],
    ]);
  });

  it('partitions by a timestamp column through a derived date when there is no date column', async () => {
    const csv =
      'id,created at,kind\n' +
      Array.from({ length: 12 }, (_v, i) => `${i + 1},2024-0${(i % 9) + 1}-1${i % 10} 08:0${i % 10}:00,${['a', 'b'][i % 2]}`).join('\n') +
      '\n';
    const r = await infer(write('ts.csv', csv), 'events');
    expect(column(r, 'created_at')).toMatchObject({ type: 'timestamp', formats: ['YYYY-MM-DD HH:mm:ss'] });
    expect(r.entry.transforms?.derive?.map((d) => [d.name, d.type])).toEqual([
      ['created_at_month', 'string'],
      ['created_at_day', 'date'],
    ]);
    expect(r.entry.dashboard?.dateColumn).toBe('created_at_day');
    const { rejects } = await preprocessWith(write('ts-check.csv', csv), r.entry);
    expect(rejects).toEqual([]);
  });
});

describe('rules the sample does not allow are not generated', () => {
  it('dates written both day-first and month-first stay a string', async () => {
    const r = await infer(write('dm.csv', 'id,day\n1,25/12/2024\n2,12/25/2024\n3,01/02/2024\n'));
    expect(column(r, 'day').type).toBe('string');
    expect(r.summary.join('\n')).toMatch(/both orders/);
  });

  it('a day-first value decides DD/MM/YYYY for the ambiguous ones', async () => {
    const file = write('dmy.csv', 'id,day\n1,25/12/2024\n2,01/02/2024\n3,03/04/2024\n');
    const r = await infer(file);
    expect(column(r, 'day')).toMatchObject({ type: 'date', formats: ['DD/MM/YYYY'] });
    expect((await preprocessWith(file, r.entry)).valid).toContain('2,2024-02-01');
  });

  it('codes with leading zeros stay strings; e-mail only when every value passes the core', async () => {
    const file = write('codes.csv', 'zip,mail\n01234,a@example.com\n99999,b@example\n');
    const r = await infer(file);
    expect(column(r, 'zip').type).toBe('string');
    expect(column(r, 'mail').type).toBe('string');
  });

  it('relaxes a column the core rejects: a decimal convention the core decides on its sample rows only', async () => {
    // The core decides a decimal column's convention on its first 1,000 sample rows: here they tell nothing ("12"), so it
    // reads a decimal point and rejects the "12,5" further down; init infers a decimal comma from every row, then the
    // check finds the rejects and falls back to string.
    const rows = Array.from({ length: 1200 }, (_v, i) => `${i + 1};${i < 1100 ? '12' : '12,5'}`);
    const file = write('late-comma.csv', `id;amount\n${rows.join('\n')}\n`);
    const r = await infer(file);
    expect(column(r, 'amount')).toMatchObject({ type: 'string', maxLength: 4 });
    expect(r.check.relaxed).toHaveLength(1);
    expect(r.check.relaxed[0]).toMatch(/^amount: decimal required -> string required maxLength 4: 100 sample rows rejected INVALID_DECIMAL/);
    expect(r.summary.join('\n')).toMatch(/relaxed after checking with the core/);
    const { rejects } = await preprocessWith(file, r.entry);
    expect(rejects).toEqual([]);
  });

  it('decimals with more places than the default decimal(18,2) get the precision and scale the sample needs, and the core takes every row', async () => {
    const file = write('rates.csv', 'id,rate,amount,big\n1,0.0825,19.99,12345678901234567.5\n2,1.5,5,1\n3,-0.125,-3.50,0\n');
    const r = await infer(file);
    expect(column(r, 'rate')).toMatchObject({ type: 'decimal', precision: 18, scale: 4 });
    expect(column(r, 'amount').type).toBe('decimal');
    expect(column(r, 'amount')).not.toHaveProperty('precision');
    expect(column(r, 'big')).toMatchObject({ type: 'decimal', precision: 19, scale: 2 });
    expect(r.summary.join('\n')).toMatch(/decimal\(18,4\): the sample has up to 4 digits after the point and 1 before \(default decimal\(18,2\)\)/);
    expect(r.check.relaxed).toEqual([]);
    expect((await preprocessWith(file, r.entry)).rejects).toEqual([]);
  });

  it('no key when no column is unique and never empty', async () => {
    const r = await infer(write('nokey.csv', 'a,b\nx,1\nx,\ny,2\n'));
    expect(r.entry.key).toEqual([]);
    expect(r.summary.join('\n')).toMatch(/key: no column is unique/);
  });

  it('prefers a column named like an id over an earlier unique one', async () => {
    const r = await infer(write('idlike.csv', 'name,order_ref\nann,A1\nbob,A2\n'));
    expect(r.entry.key).toEqual(['order_ref']);
    expect(r.summary.join('\n')).toMatch(/other candidates: name/);
  });
});

describe('files init cannot use', () => {
  it('an empty file', async () => {
    await expect(infer(write('empty.csv', ''))).rejects.toThrow(
      new InitError(`${path.join(dir, 'empty.csv')} is empty (0 bytes); give a CSV file with a header row and some data rows`),
    );
  });

  it('only blank lines: the core quarantines it, and the message says why', async () => {
    await expect(infer(write('blank.csv', '\n\n  \n'))).rejects.toThrow(/cannot be read as CSV: EMPTY_FILE/);
  });

  it('a header without rows', async () => {
    await expect(infer(write('header-only.csv', 'id,name\n'))).rejects.toThrow(/no data rows the core accepts .*add rows below the header/);
  });

  it('a binary file', async () => {
    await expect(infer(write('binary.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 0, 3])))).rejects.toThrow(/BINARY_FILE/);
  });
});

describe('large samples', () => {
  it('the longest value and the date span of 300,000 values (no spread of every value as arguments, which overflows the stack)', () => {
    const values = Array.from({ length: 300_000 }, (_v, i) => (i === 123_456 ? '2024-12-31' : '2024-01-01'));
    expect(longestOf([...values, 'x'.repeat(11)])).toBe(11);
    expect(granularityFor(values)).toBe('WEEK');
    expect(granularityFor(['2020-01-01', '2024-01-01'])).toBe('MONTH');
    expect(granularityFor(['2024-01-01T10:00:00', '2024-01-31'])).toBe('DAY');
  });
});
