// One decimal convention per column, decided on the sample; footers in inferred mode (reviewer's two repros).
import { decideDecimal, toPointText } from '../../lambda/core/decimals';
import { compileColumn, type CellFailure } from '../../lambda/core/validate';
import { runCore as runFile } from './run-core';

/** The core on CSV text (not a fixture name). */
const runCore = (text: string, opts: { dataset?: string } = {}) => runFile(Buffer.from(text), opts);

const HEADER = 'order no;customer;order date;amount;currency;paid';
const row = (id: number, amount: string) => `${id};c${id}@example.com;2024-11-01 10:00:00;${amount};EUR;true`;
const orders = (amounts: string[]) => `${[HEADER, ...amounts.map((a, i) => row(3001 + i, a))].join('\n')}\n`;
const amounts = (validRows: string[][]) => validRows.slice(1).map((r) => r[3]);

describe('decimal convention per column', () => {
  test.each([
    [['12,5', '0,99'], ';', 'comma', 'sample'],
    [['1.234,56', '12.5'], ';', 'comma', 'sample'],
    [['12.5', '0.99', '1,5'], ';', 'point', 'sample'],
    [['1,234.56', '12.50'], '\t', 'point', 'sample'],
    [['1234', '1.234', '1,234'], ';', 'point', 'no-evidence'],
    [['12,5'], ',', 'point', 'delimiter'],
  ])('values %j with delimiter %j -> decimal %s (%s)', (values, delimiter, convention, basis) => {
    expect(decideDecimal(values, delimiter)).toMatchObject({ convention, basis });
  });

  test.each([
    ['1.234,56', 'comma', '1234.56'],
    ['1.234.567', 'comma', '1234567'],
    ['12,5', 'comma', '12.5'],
    ['12.5', 'comma', undefined],
    ['1,234.56', 'comma', undefined],
    ['1,234.56', 'point', '1234.56'],
    ['12,5', 'point', undefined],
    ['1.234,56', 'point', undefined],
    ['1e3', 'comma', '1e3'],
  ] as const)('%j read with a decimal %s -> %j', (raw, convention, out) => expect(toPointText(raw, convention)).toBe(out));

  test('the reviewer\'s repro: a ";" file mixing conventions is read as decimal comma (the sample says so), the rest rejected naming the convention and the value', async () => {
    const { report, validRows, rejectRows } = await runCore(orders(['1.234,56', '1.234', '1,234', '1,234.56']), { dataset: 'orders' });
    expect(report.columns?.find((c) => c.name === 'amount')?.decimal).toMatchObject({ convention: 'comma', basis: 'sample' });
    expect(report.columns?.find((c) => c.name === 'amount')?.decimal?.evidence).toMatch(
      /1 sample value only valid with a decimal comma \(first "1\.234,56"\), 1 only valid with a decimal point \(first "1,234\.56"\)/,
    );
    // "1,234" reads as 1.234 with a decimal comma: three places, more than amount's decimal(18,2) keeps.
    expect(amounts(validRows)).toEqual(['1234.56']);
    expect(report).toMatchObject({ rowsIn: 4, rowsValid: 1, rowsRejected: 3, rejectedByReason: { INVALID_DECIMAL: 3 } });
    expect(rejectRows.map((r) => [r.line, r.reason_code, r.column_name])).toEqual([
      [3, 'INVALID_DECIMAL', 'amount'],
      [4, 'INVALID_DECIMAL', 'amount'],
      [5, 'INVALID_DECIMAL', 'amount'],
    ]);
    expect(rejectRows[1].reason).toMatch(/^amount: "1,234" has 3 digits after the point, and the column is decimal\(18,2\)/);
    rejectRows.splice(1, 1);
    expect(rejectRows[0].reason).toMatch(
      /^amount: "1\.234" is ambiguous: a thousands separator or a decimal mark, read 1000 times apart; this column is read with a decimal comma \(decided on the sample.*write it without the separator \(1234\) if it is a whole number or with its decimals \(1,234\) if it is a fraction/,
    );
    expect(rejectRows[1].reason).toMatch(
      /^amount: "1,234\.56" is written with a decimal point, which is not read in this column: this column is read with a decimal comma/,
    );
  });

  test('"1.234" next to "12,5" and "0,99" in a ";" file is rejected, not read as 1.234', async () => {
    const { report, validRows, rejectRows } = await runCore(orders(['12,5', '1.234', '0,99']), { dataset: 'orders' });
    expect(amounts(validRows)).toEqual(['12.5', '0.99']);
    expect(report.columns?.find((c) => c.name === 'amount')?.decimal?.convention).toBe('comma');
    expect(rejectRows.map((r) => [r.line, r.reason_code])).toEqual([[3, 'INVALID_DECIMAL']]);
    expect(rejectRows[0].reason).toMatch(/"1\.234" is ambiguous.*decimal comma/);
  });

  test('a ";" file of decimal points: "1,234" is ambiguous and "1,5" is a decimal comma, both rejected; "1.234" is 1.234 (three places: rejected by the scale)', async () => {
    const { report, validRows, rejectRows } = await runCore(orders(['19.99', '5.00', '1.234', '1,234', '1,5', '1,234.5']), { dataset: 'orders' });
    expect(report.columns?.find((c) => c.name === 'amount')?.decimal).toMatchObject({ convention: 'point', basis: 'sample' });
    // "1.234" is read as 1.234, and then has more places than amount's decimal(18,2) keeps.
    expect(amounts(validRows)).toEqual(['19.99', '5', '1234.5']);
    expect(rejectRows.map((r) => [r.line, r.reason_code])).toEqual([
      [4, 'INVALID_DECIMAL'],
      [5, 'INVALID_DECIMAL'],
      [6, 'INVALID_DECIMAL'],
    ]);
    expect(rejectRows.shift()?.reason).toMatch(/"1\.234" has 3 digits after the point/);
    expect(rejectRows[0].reason).toMatch(/"1,234" is ambiguous.*decimal point.*\(1234\) if it is a whole number or with its decimals \(1\.234\)/);
    expect(rejectRows[1].reason).toMatch(/"1,5" is written with a decimal comma, which is not read in this column/);
  });

  test('no telling value in the sample: decimal point, and both "1,234" and "1.234" rejected as ambiguous', async () => {
    const { report, validRows, rejectRows } = await runCore(orders(['1234', '1.234', '1,234', '7']), { dataset: 'orders' });
    expect(report.columns?.find((c) => c.name === 'amount')?.decimal).toMatchObject({ convention: 'point', basis: 'no-evidence' });
    expect(amounts(validRows)).toEqual(['1234', '7']);
    expect(rejectRows.map((r) => r.line)).toEqual([3, 4]);
    expect(rejectRows[0].reason).toMatch(/"1\.234" is ambiguous.*no sample value told the convention/);
  });

  test('a comma-delimited file: decimal point by the delimiter, "1,234" is 1234 as before, "1,5" rejected', async () => {
    const csv =
      'order_id,customer_email,ordered_at,amount,currency\n1,a@x.com,2024-11-01 10:00:00,"1,234",EUR\n2,b@x.com,2024-11-01 10:00:00,"1,5",EUR\n3,c@x.com,2024-11-01 10:00:00,12.50,EUR\n';
    const { report, validRows, rejectRows } = await runCore(csv, { dataset: 'orders' });
    expect(report.columns?.find((c) => c.name === 'amount')?.decimal).toMatchObject({ convention: 'point', basis: 'delimiter' });
    expect(amounts(validRows)).toEqual(['1234', '12.5']);
    expect(rejectRows[0].reason).toMatch(/"1,5" is written with a decimal comma.*the file is comma-delimited/);
  });

  test('inferred mode: the decided convention applies to an inferred decimal column', async () => {
    const { report, validRows, rejectRows } = await runCore('id;price\n1;12,5\n2;0,99\n3;1.234\n');
    expect(report.columns?.map((c) => [c.name, c.type, c.decimal?.convention])).toEqual([
      ['id', 'integer', undefined],
      ['price', 'decimal', 'comma'],
    ]);
    expect(validRows).toEqual([
      ['id', 'price'],
      ['1', '12.5'],
      ['2', '0.99'],
    ]);
    expect(rejectRows.map((r) => [r.line, r.reason_code])).toEqual([[4, 'INVALID_DECIMAL']]);
  });

  test('compileColumn without a decision: a ";" file reads like one whose sample told nothing', () => {
    const failure: CellFailure = { code: '', reason: '' };
    const col = compileColumn({ name: 'a', type: 'decimal', required: false }, { neutraliseFormulas: true, delimiter: ';' });
    expect(['12.50', '1.234', '1,234', '1,234.5'].map((v) => col.clean(v, failure, true))).toEqual(['12.5', undefined, undefined, '1234.5']);
  });
});

describe('footers in inferred mode', () => {
  const FILE =
    [HEADER, '3001;a@x.com;2024-11-01 10:00:00;10.00;EUR;true', '3002;b@x.com;2024-11-01 11:00:00;20.00;EUR;true', ';;;;;', 'Total;;;30.00;;'].join('\n') +
    '\n';

  test('the reviewer\'s repro: "Total" and the line of only delimiters are not rows; order_no is an integer', async () => {
    const { report, validRows, rejectRows } = await runCore(FILE);
    expect(report.columns?.map((c) => [c.name, c.type])).toEqual([
      ['order_no', 'integer'],
      ['customer', 'email'],
      ['order_date', 'timestamp'],
      ['amount', 'decimal'],
      ['currency', 'string'],
      ['paid', 'boolean'],
    ]);
    expect(validRows.slice(1).map((r) => r[0])).toEqual(['3001', '3002']);
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 2, rowsRejected: 1, rejectedByReason: { FOOTER: 1 } });
    expect(report.read?.footerLines).toBe(2);
    expect(rejectRows.map((r) => [r.line, r.reason_code, r.raw_record])).toEqual([[5, 'FOOTER', 'Total;;;30.00;;']]);
    expect(rejectRows[0].reason).toMatch(/a footer after the last row, not data: its first value "Total" is a total or summary label/);
  });

  test('the same file for the orders dataset: the same rows and the same footer', async () => {
    const { report, validRows, rejectRows } = await runCore(FILE, { dataset: 'orders' });
    expect(validRows.slice(1).map((r) => r[0])).toEqual(['3001', '3002']);
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 2, rowsRejected: 1, rejectedByReason: { FOOTER: 1 } });
    expect(rejectRows.map((r) => r.line)).toEqual([5]);
  });

  test('a line of only delimiters between rows is a blank line (noted), not an empty row', async () => {
    const { report, validRows } = await runCore('a;b\n1;x\n;\n2;y\n');
    expect(validRows).toEqual([
      ['a', 'b'],
      ['1', 'x'],
      ['2', 'y'],
    ]);
    expect(report).toMatchObject({ rowsIn: 2, rowsValid: 2, rowsRejected: 0 });
    expect(report.notes).toContain('1 blank line between rows skipped');
  });

  test('a "Total" row followed by more rows is data to infer from: the column stays a string', async () => {
    const { report, validRows } = await runCore('name;n\nTotal;1\nb;2\n');
    expect(report.columns?.map((c) => c.type)).toEqual(['string', 'integer']);
    expect(validRows).toHaveLength(3);
  });
});

describe('DECIMAL(precision, scale): a value that does not fit is rejected, never rounded', () => {
  const failure: CellFailure = { code: '', reason: '' };
  const clean = (spec: { precision?: number; scale?: number }, value: string) => {
    failure.code = '';
    failure.reason = '';
    const col = compileColumn({ name: 'amount', type: 'decimal', required: false, ...spec }, { neutraliseFormulas: true, delimiter: ',' });
    return col.clean(value, failure, true);
  };

  test.each([
    ['12.34', '12.34'],
    ['12.340000', '12.34'],
    ['-0.01', '-0.01'],
    ['0.5', '0.5'],
    ['1e2', '100'],
    ['9999999999999999.99', '9999999999999999.99'],
    ['-9999999999999999.99', '-9999999999999999.99'],
    ['0000000000000000000000001.5', '1.5'],
  ])('decimal(18,2) keeps %j as %j', (value, out) => expect(clean({ precision: 18, scale: 2 }, value)).toBe(out));

  test.each([
    [
      '1.005',
      /^amount: "1\.005" has 3 digits after the point, and the column is decimal\(18,2\), which keeps 2: round it in the source file, or raise "scale" in the config \(values are never rounded\)$/,
    ],
    ['1e-3', /"1e-3" has 3 digits after the point/],
    [
      '10000000000000000',
      /^amount: "10000000000000000" has 17 digits before the point, and the column is decimal\(18,2\), which holds 16: raise "precision" in the config$/,
    ],
    ['-12345678901234567.5', /has 17 digits before the point/],
  ])('decimal(18,2) rejects %j with the reason and the fix', (value, reason) => {
    expect(clean({ precision: 18, scale: 2 }, value)).toBeUndefined();
    expect(failure).toEqual({ code: 'INVALID_DECIMAL', reason: expect.stringMatching(reason) });
  });

  test('scale 0 takes whole numbers only, precision = scale only fractions', () => {
    expect(clean({ precision: 3, scale: 0 }, '999')).toBe('999');
    expect(clean({ precision: 3, scale: 0 }, '1000')).toBeUndefined();
    expect(clean({ precision: 3, scale: 0 }, '1.5')).toBeUndefined();
    expect(clean({ precision: 2, scale: 2 }, '0.25')).toBe('0.25');
    expect(clean({ precision: 2, scale: 2 }, '1.25')).toBeUndefined();
    expect(failure.reason).toMatch(/has 1 digits before the point, and the column is decimal\(2,2\), which holds 0/);
  });

  test('an inferred decimal (no precision: no dataset, no final table) takes any number of digits', () => {
    expect(clean({}, '1.23456789012345678901234567890123456789012')).toBe('1.23456789012345678901234567890123456789012');
  });

  test('a config decimal column without precision/scale gets the documented default decimal(18,2) at load', async () => {
    const { validRows, rejectRows } = await runCore(orders(['19.99', '1.005', '5']), { dataset: 'orders' });
    expect(amounts(validRows)).toEqual(['19.99', '5']);
    expect(rejectRows.map((r) => [r.line, r.reason_code, r.column_name])).toEqual([[3, 'INVALID_DECIMAL', 'amount']]);
    expect(rejectRows[0].reason).toMatch(/"1\.005" has 3 digits after the point, and the column is decimal\(18,2\)/);
  });
});
