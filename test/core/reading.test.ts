// Issue 9, reading: hostile files for the encoding, footer and header decisions; each asserts the rows that come out.
import { runCore } from './run-core';

const SIGNUP_HEADER = ['id', 'name', 'email', 'signup_date', 'status'];
const ROWS = [
  ['1', 'John Doe', 'john@example.com', '2024-11-01', 'active'],
  ['2', 'Carla Gómez', 'carla@example.com', '2024-11-02', 'pending'],
  ['3', 'Bob Martin', 'bob@example.com', '2024-11-03', 'active'],
];
const ABSENT = {
  datasets: [
    {
      name: 'signups',
      header: 'absent',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'string' },
        { name: 'email', type: 'email' },
        { name: 'signup_date', type: 'date', formats: ['YYYY-MM-DD', 'DD.MM.YYYY'] },
        { name: 'status', type: 'string' },
      ],
    },
  ],
};

describe('encoding is decided on the whole sample (issue 9, why 6)', () => {
  test('one invalid byte in a UTF-8 file rejects its row only; every other character stays UTF-8', async () => {
    const { report, validRows, rejectRows } = await runCore('utf8-one-bad-byte.csv', { dataset: 'signups' });
    expect(report.read).toMatchObject({ encoding: 'utf-8' });
    expect(report.read?.encodingConfidence).toBeGreaterThan(0.5);
    expect(report.read?.evidence.encoding).toMatch(/4 valid UTF-8 multi-byte characters and 1 invalid sequence/);
    expect(validRows.slice(1).map((r) => r[1])).toEqual(['Zoë Ärger', 'Jürgen € Smith']);
    expect(rejectRows).toEqual([
      expect.objectContaining({ line: 3, reason_code: 'ENCODING_ERROR', raw_record: '2,Caf\ufffd Owner,cafe@example.com,2024-11-02,active' }),
    ]);
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 2, rowsRejected: 1 });
  });

  test('one invalid byte in an otherwise ASCII sample does not switch the file to Windows-1252', async () => {
    const bytes = Buffer.concat([
      Buffer.from('id,name,email,signup_date,status\n1,Caf'),
      Buffer.from([0xe9]),
      Buffer.from(' Owner,c@example.com,2024-11-01,active\n2,Ok,o@example.com,2024-11-02,active\n'),
    ]);
    const { report, rejectRows } = await runCore(bytes, { dataset: 'signups' });
    expect(report.read?.encoding).toBe('utf-8');
    expect(rejectRows.map((r) => [r.line, r.reason_code])).toEqual([[2, 'ENCODING_ERROR']]);
    expect(report.rowsValid).toBe(1);
  });

  test('a Windows-1252 file (invalid UTF-8 outnumbers valid) is still read as Windows-1252, with its confidence', async () => {
    const { report, validRows } = await runCore('windows-1252.csv', { dataset: 'signups' });
    expect(report.read).toMatchObject({ encoding: 'windows-1252', encodingConfidence: 0.8 });
    expect(validRows[2][1]).toBe('Euro € Fan “quoted”');
  });

  test('a literal U+FFFD in a UTF-16 file is data (issue 9, why 8)', async () => {
    const { report, validRows } = await runCore('utf16le-literal-fffd.csv', { dataset: 'signups' });
    expect(report.read).toMatchObject({ encoding: 'utf-16le', encodingConfidence: 1 });
    expect(report).toMatchObject({ rowsIn: 2, rowsValid: 2, rowsRejected: 0 });
    expect(validRows[1][1]).toBe('Unknown \ufffd Char');
  });

  test('a lone surrogate in a UTF-16 file rejects its row (ENCODING_ERROR)', async () => {
    const { report, rejectRows } = await runCore('utf16le-lone-surrogate.csv', { dataset: 'signups' });
    expect(rejectRows.map((r) => [r.line, r.reason_code])).toEqual([[2, 'ENCODING_ERROR']]);
    expect(report.rowsValid).toBe(1);
  });

  test.each([1, 2, 3, 7])('a literal U+FFFD split across input chunks of %i bytes is still data', async (chunkSize) => {
    for (const enc of ['utf16le', 'utf8'] as const) {
      const text = `${enc === 'utf16le' ? '\ufeff' : ''}id,name\n1,a\ufffdb\n2,\ufffd\n`;
      const { report, validRows } = await runCore(Buffer.from(text, enc), { chunkSize });
      expect(report.rowsRejected).toBe(0);
      expect(validRows.slice(1)).toEqual([
        ['1', 'a\ufffdb'],
        ['2', '\ufffd'],
      ]);
    }
  });
});

describe('no silent drop: footers are rejected as FOOTER, short last rows are data (issue 9, why 1)', () => {
  test('the last two rows lacking their optional last field are rejected as WRONG_FIELD_COUNT, not dropped as a footer', async () => {
    const { report, validRows, rejectRows } = await runCore('short-last-rows.csv');
    expect(validRows.slice(1).map((r) => r[0])).toEqual(['1', '2']);
    expect(rejectRows.map((r) => [r.line, r.reason_code, r.raw_record])).toEqual([
      [4, 'WRONG_FIELD_COUNT', '3,Bob Martin,bob@example.com,2024-11-03'],
      [5, 'WRONG_FIELD_COUNT', '4,Ann Lee,ann@example.com,2024-11-04'],
    ]);
    expect(report).toMatchObject({ rowsIn: 4, rowsValid: 2, rowsRejected: 2 });
    expect(report.read?.footerLines).toBe(0);
  });

  test('an export note and a full-width total line at the end are rejected as FOOTER, with the evidence', async () => {
    const { report, rejectRows } = await runCore('footer-export-note.csv', { dataset: 'signups' });
    expect(report).toMatchObject({ rowsIn: 5, rowsValid: 3, rowsRejected: 2, rejectedByReason: { FOOTER: 2 } });
    expect(rejectRows.map((r) => [r.line, r.reason_code, r.raw_record])).toEqual([
      [5, 'FOOTER', 'Exported by WebApp 3.1 on 09.11.2024'],
      [6, 'FOOTER', 'Total,3,,,'],
    ]);
    expect(rejectRows[0].reason).toMatch(/none of its values has its column's type \("Exported by WebApp 3.1 on 09.11.2024" in column 1\)/);
    expect(rejectRows[1].reason).toMatch(/"Total" is a total or summary label/);
  });

  test('a footer-like record followed by data is data: rejected with its own reason', async () => {
    const text = 'id,name,email,signup_date,status\nTotal,3,,,\nExported by WebApp\n4,Ann,ann@example.com,2024-11-04,active\n';
    const { report, rejectRows } = await runCore(Buffer.from(text), { dataset: 'signups' });
    expect(rejectRows.map((r) => [r.line, r.reason_code])).toEqual([
      [2, 'INVALID_INTEGER'],
      [3, 'WRONG_FIELD_COUNT'],
    ]);
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 1, rowsRejected: 2 });
  });
});

describe('the header is found by content (issue 9, why 2, 3, 4)', () => {
  test.each([
    ['header-trailing-delimiter.csv', true],
    ['header-only-trailing-delimiter.csv', false],
    ['data-trailing-delimiter.csv', true],
  ])('%s: the trailing delimiter is ignored and no row becomes the header', async (file, trailing) => {
    const { report, validRows } = await runCore(file, { dataset: 'signups' });
    expect(report).toMatchObject({
      outcome: 'processed',
      rowsIn: 3,
      rowsValid: 3,
      read: { header: SIGNUP_HEADER, headerLines: [1], trailingDelimiter: trailing },
    });
    expect(validRows).toEqual([SIGNUP_HEADER, ...ROWS]);
  });

  test('a value after a trailing delimiter rejects its row (WRONG_FIELD_COUNT), never dropped', async () => {
    const { report, rejectRows } = await runCore(Buffer.from('a,b,\n1,x,\n2,y,\n3,z,\n4,w,\n5,v,extra\n6,u\n'));
    expect(report).toMatchObject({ rowsIn: 6, rowsValid: 5, read: { trailingDelimiter: true, header: ['a', 'b'] } });
    expect(rejectRows.map((r) => [r.line, r.reason_code])).toEqual([[6, 'WRONG_FIELD_COUNT']]);
  });

  test('a file without a header: inferred names column_1..., the first row kept as data', async () => {
    const { report, validRows } = await runCore('no-header.csv');
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 3, read: { headerKind: 'absent', header: [], headerLines: [] } });
    expect(validRows[0]).toEqual(['column_1', 'column_2', 'column_3', 'column_4', 'column_5']);
    expect(validRows[1]).toEqual(['1', 'John Doe', 'john@example.com', '2024-11-01', 'active']);
    expect(report.read?.evidence.header).toMatch(/line 1 looks like data .*"1" is a number like the rows below/);
  });

  test('a file without a header for a dataset: quarantined with the fix, or mapped by position with "header": "absent"', async () => {
    const auto = await runCore('no-header.csv', { dataset: 'signups' });
    expect(auto.report).toMatchObject({ outcome: 'quarantined', fileError: { code: 'HEADER_MISMATCH' } });
    expect(auto.report.fileError?.reason).toMatch(/no header row: line 1 looks like data.*set "header": "absent"/);
    const byPosition = await runCore('no-header.csv', { config: ABSENT, dataset: 'signups' });
    expect(byPosition.report).toMatchObject({ outcome: 'processed', rowsIn: 3, rowsValid: 3, read: { headerKind: 'absent' } });
    expect(byPosition.validRows.slice(1).map((r) => r[0])).toEqual(['1', '2', '3']);
  });

  test('preamble lines of only delimiters, a title included, are skipped; the header below is found', async () => {
    const { report, validRows } = await runCore('preamble-delimiters.csv', { dataset: 'signups' });
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 3, read: { preambleLines: 2, headerLines: [3], header: SIGNUP_HEADER } });
    expect(report.notes.join(' ')).toContain('"Sign-ups report,,,,", ",,,,"');
    expect(validRows).toEqual([SIGNUP_HEADER, ...ROWS]);
  });

  test('a title row above the names: a two-line header, names joined, said so', async () => {
    const { report, validRows } = await runCore('header-two-lines.csv');
    expect(report.read).toMatchObject({
      headerKind: 'two-lines',
      headerLines: [1, 2],
      header: ['Customer id', 'Customer name', 'Customer email', 'Sign-up date', 'Sign-up status'],
    });
    expect(validRows[0]).toEqual(['customer_id', 'customer_name', 'customer_email', 'sign_up_date', 'sign_up_status']);
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 3 });
    expect(report.notes.join(' ')).toMatch(/two-line header, group titles above the names, joined/);
  });

  test('a two-line header whose second line names the dataset columns is matched on that line', async () => {
    const { report, validRows } = await runCore('header-two-lines.csv', {
      config: {
        datasets: [
          {
            ...ABSENT.datasets[0],
            header: 'auto',
            columns: ABSENT.datasets[0].columns.map((c) => (c.name === 'signup_date' ? { ...c, aliases: ['date'] } : c)),
          },
        ],
      },
      dataset: 'signups',
    });
    expect(report).toMatchObject({ outcome: 'processed', rowsValid: 3, read: { headerKind: 'two-lines' } });
    expect(validRows[0]).toEqual(SIGNUP_HEADER);
  });

  test('the names written twice: used once, both lines skipped, said so', async () => {
    const { report, validRows } = await runCore('header-repeated.csv', { dataset: 'signups' });
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 3, rowsRejected: 0, read: { headerKind: 'repeated', headerLines: [1, 2] } });
    expect(validRows).toEqual([SIGNUP_HEADER, ...ROWS]);
    expect(report.notes.join(' ')).toMatch(/written twice/);
  });

  test('", " as the delimiter: the space is skipped, a quoted cell with a comma stays one cell', async () => {
    const { report, validRows } = await runCore('space-after-delimiter.csv', { dataset: 'signups' });
    expect(report.read).toMatchObject({ delimiter: ',', spaceAfterDelimiter: true, header: SIGNUP_HEADER });
    expect(report).toMatchObject({ rowsIn: 3, rowsValid: 3 });
    expect(validRows.slice(1).map((r) => r[1])).toEqual(['Doe, John', 'Roe, Jane', 'Bob Martin']);
    expect(report.read?.evidence.dialect).toMatch(/followed by a space/);
  });

  test('a header of text over typed rows is reported with its evidence; all-text rows keep the first line as header', async () => {
    const typed = await runCore('footer.csv', { dataset: 'signups' });
    expect(typed.report.read?.evidence.header).toMatch(/^line 1 is the header: 5 of its names are the dataset's columns/);
    const inferred = await runCore('inferred-types.csv');
    expect(inferred.report.read?.evidence.header).toMatch(/"Order ID" is text where the rows below hold numbers/);
    const text = await runCore(Buffer.from('a,b\nx,y\nz,w\n'));
    expect(text.report).toMatchObject({ rowsIn: 2, read: { headerKind: 'present', header: ['a', 'b'] } });
  });
});
