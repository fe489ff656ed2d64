// Regression tests for issue 9's smaller failures in the core's output: four-digit years, headers over the 64 KiB sample, CRLF raw records.
import { compileColumn, type CellFailure } from '../../lambda/core/validate';
import { ByteOut } from '../../lambda/core/byte-out';
import { isoDate, isoTimestamp } from '../../lambda/core/dates';
import { MAX_HEADER_BYTES, SAMPLE_BYTES } from '../../lambda/core/preprocess';
import { runCore } from './run-core';

const parts = (year: number) => ({ year, month: 1, day: 2, hour: 3, minute: 4, second: 5, ms: 0 });

describe('years below 1000 are written with four digits', () => {
  test('isoDate and isoTimestamp pad the year', () => {
    expect([5, 42, 999, 1000, 2024].map((y) => isoDate(parts(y)))).toEqual(['0005-01-02', '0042-01-02', '0999-01-02', '1000-01-02', '2024-01-02']);
    expect(isoTimestamp(parts(5))).toBe('0005-01-02T03:04:05');
  });

  test('the reference cleaner and the byte writer agree: 0005-01-05', () => {
    const date = compileColumn(
      { name: 'd', type: 'date', required: false, formats: ['DD.MM.YYYY', 'YYYY-MM-DD'] },
      { neutraliseFormulas: true, delimiter: ',', quote: '"' },
    );
    const failure: CellFailure = { code: '', reason: '' };
    for (const [raw, iso] of [
      ['05.01.0005', '0005-01-05'],
      ['31.12.0999', '0999-12-31'],
      ['0042-02-03', '0042-02-03'],
      ['01.01.0000', undefined],
    ] as const) {
      expect(date.clean(raw, failure, true)).toBe(iso);
      const out = new ByteOut(64);
      expect(date.write(raw, 0, raw.length, out)).toBe(iso !== undefined);
      if (iso) expect(out.buf.subarray(0, out.pos).toString()).toBe(iso);
    }
  });

  test('through the core: dates and timestamps of year 5 come out as 0005', async () => {
    const signups = await runCore(Buffer.from('id,name,email,signup_date,status\n1,A,a@b.co,05.01.0005,active\n2,B,b@b.co,0005/01/06,active\n'), {
      dataset: 'signups',
    });
    expect(signups.validRows.slice(1).map((r) => r[3])).toEqual(['0005-01-05', '0005-01-06']);
    const orders = await runCore(Buffer.from('order_id,customer_email,ordered_at,amount,currency,paid\n1,a@b.co,05/01/0005 10:30,1,EUR,yes\n'), {
      dataset: 'orders',
    });
    expect(orders.report.rowsValid).toBe(1);
    expect(orders.validRows[1][2]).toBe('0005-01-05T10:30:00');
  });
});

describe('a header over the 64 KiB sample', () => {
  const wideHeader = (columns: number) => Array.from({ length: columns }, (_v, i) => `column_number_${i + 1}`).join(',');
  const row = (columns: number, n: number) => Array.from({ length: columns }, (_v, i) => (i === 0 ? String(n) : `v${i}`)).join(',');

  test.each([997, 4096, 65536])('is read whole (chunks of %i bytes): 5000 columns, inferred names and every row', async (chunkSize) => {
    const columns = 5000;
    const header = wideHeader(columns);
    expect(header.length).toBeGreaterThan(SAMPLE_BYTES);
    const csv = `${[header, row(columns, 1), row(columns, 2), row(columns, 3)].join('\n')}\n`;
    const { report, validRows } = await runCore(Buffer.from(csv), { chunkSize });
    expect(report.outcome).toBe('processed');
    expect(report.read?.header).toHaveLength(columns);
    expect(validRows[0].slice(0, 2)).toEqual(['column_number_1', 'column_number_2']);
    expect(validRows.slice(1).map((r) => r.length)).toEqual([columns, columns, columns]);
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsRejected: 0 });
  });

  test('below a title line, too', async () => {
    const columns = 5000;
    const csv = `${['Wide export, 2024-11-01', wideHeader(columns), row(columns, 1)].join('\n')}\n`;
    const { report, validRows } = await runCore(Buffer.from(csv));
    expect(report.outcome).toBe('processed');
    expect(validRows[0]).toHaveLength(columns);
    expect(report.rowsValid).toBe(1);
  });

  test(`longer than ${MAX_HEADER_BYTES / 1024} KiB: quarantined as HEADER_TOO_LONG with the limit, not EMPTY_FILE`, async () => {
    const header = wideHeader(80000);
    expect(header.length).toBeGreaterThan(MAX_HEADER_BYTES);
    const { report } = await runCore(Buffer.from(`${header}\n${header}\n`));
    expect(report.outcome).toBe('quarantined');
    expect(report.fileError?.code).toBe('HEADER_TOO_LONG');
    expect(report.fileError?.reason).toMatch(/^the header does not end within the first \d+ bytes \(a header may be up to 1024 KiB long/);
  });
});

test('CRLF files: raw_record of a quoted record has no trailing CR (already fixed in reader.ts; also in rejects-hostile.test.ts)', async () => {
  const { rejectRows } = await runCore(Buffer.from('id,name,email,signup_date,status\r\n1,"Doe, J",bad,2024-01-01,active\r\n2,"x",bad,2024-01-01,active\r\n'), {
    dataset: 'signups',
  });
  expect(rejectRows.map((r) => r.raw_record)).toEqual(['1,"Doe, J",bad,2024-01-01,active', '2,"x",bad,2024-01-01,active']);
});

describe('a one-column row whose value is empty', () => {
  const config = { datasets: [{ name: 'notes', columns: [{ name: 'note', type: 'string', required: false }], extraColumns: 'drop' }] };

  test.each([
    ['plain records (the fast way)', 'note,other\nhello,1\n,2\nbye,3\n'],
    ['quoted records (the general way)', 'note,other\n"hello",1\n"",2\n"bye, you",3\n'],
  ])('is written as "" with %s, never as an empty line that CSV readers skip', async (_way, csv) => {
    const { report, valid, validRows } = await runCore(Buffer.from(csv), { config, dataset: 'notes' });
    expect(report.rowsValid).toBe(3);
    expect(valid.split('\n').slice(0, -1)).not.toContain(''); // every row is a line of its own
    expect(valid.split('\n')[2]).toBe('""');
    expect(validRows.slice(1).map((r) => r[0])).toEqual(['hello', '', csv.includes('you') ? 'bye, you' : 'bye']);
  });
});
