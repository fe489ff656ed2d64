// The core on hostile and messy files: encodings, dialects, quoting, preambles, footers, ragged rows, file-level quarantine.
import { runCore } from './run-core';

const SIGNUP_HEADER = ['id', 'name', 'email', 'signup_date', 'status'];
const THREE_ROWS = [
  SIGNUP_HEADER,
  ['1', 'John Doe', 'john@example.com', '2024-11-01', 'active'],
  ['2', 'Carla Gómez', 'carla@example.com', '2024-11-02', 'pending'],
  ['3', 'Bob Martin', 'bob@example.com', '2024-11-03', 'active'],
];

function expectInvariant(report: { rowsIn: number; rowsValid: number; rowsRejected: number }) {
  expect(report.rowsIn).toBe(report.rowsValid + report.rowsRejected);
}

describe('encodings', () => {
  test.each([
    ['bom-utf8.csv', 'utf-8-bom', 'LF'],
    ['utf16le-bom.csv', 'utf-16le', 'CRLF'],
    ['utf16be-bom.csv', 'utf-16be', 'CRLF'],
    ['crlf.csv', 'utf-8', 'CRLF'],
    ['cr.csv', 'utf-8', 'CR'],
    ['no-trailing-newline.csv', 'utf-8', 'LF'],
  ])('%s is read as %s with %s line ends and cleaned', async (file, encoding, lineEnding) => {
    const { report, validRows } = await runCore(file, { dataset: 'signups' });
    expect(report.outcome).toBe('processed');
    expect(report.read).toMatchObject({ encoding, lineEnding, delimiter: ',', header: SIGNUP_HEADER });
    expect(validRows).toEqual(THREE_ROWS);
    expectInvariant(report);
  });

  test('Windows-1252 bytes that are not UTF-8 are decoded as Windows-1252', async () => {
    const { report, validRows } = await runCore('windows-1252.csv', { dataset: 'signups' });
    expect(report.read?.encoding).toBe('windows-1252');
    expect(validRows[1][1]).toBe('Carla Gómez');
    expect(validRows[2][1]).toBe('Euro € Fan “quoted”');
  });
});

describe('dialects', () => {
  test.each([
    ['semicolons.csv', ';', 'Doe, John'],
    ['tabs.csv', '\t', 'John Doe'],
    ['pipes.csv', '|', 'John Doe'],
  ])('%s: delimiter %j detected', async (file, delimiter, firstName) => {
    const { report, validRows } = await runCore(file, { dataset: 'signups' });
    expect(report.read?.delimiter).toBe(delimiter);
    expect(report.rowsValid).toBe(2);
    expect(validRows[1][1]).toBe(firstName);
    expect(validRows[0]).toEqual(SIGNUP_HEADER);
  });

  test('escaped quotes and quoted delimiters come out as RFC 4180', async () => {
    const { valid, validRows, report } = await runCore('quotes.csv', { dataset: 'signups' });
    expect(validRows.map((r) => r[1])).toEqual(['name', 'Lena "LJ" Jones', 'Lee, Min-jun', '"Quoted"']);
    expect(valid).toContain('1,"Lena ""LJ"" Jones",lena@example.com');
    expect(report.rowsRejected).toBe(0);
  });

  test('line breaks inside quotes stay in the field and line numbers count physical lines', async () => {
    const { validRows, rejectRows } = await runCore('newlines-in-quotes.csv', { dataset: 'signups' });
    expect(validRows[1][1]).toBe('Line one\nline two');
    expect(validRows[2][1]).toBe('Three\r\nline\nfield');
    // header line 1, record 1 on lines 2-3, record 2 on lines 4-6, record 3 on line 7.
    expect(rejectRows).toEqual([expect.objectContaining({ line: 7, reason_code: 'INVALID_EMAIL', column_name: 'email' })]);
  });
});

describe('structure', () => {
  test('preamble lines above the header are skipped and reported', async () => {
    const { report, validRows } = await runCore('preamble.csv', { dataset: 'signups' });
    expect(report.read?.preambleLines).toBe(3);
    expect(report.notes.join(' ')).toContain('Sign-up export');
    expect(validRows).toEqual(THREE_ROWS);
  });

  test('a footer is rejected as FOOTER, never dropped; trailing blank lines are not rows', async () => {
    const { report, rejectRows } = await runCore('footer.csv', { dataset: 'signups' });
    expect(report).toMatchObject({ rowsIn: 4, rowsValid: 3, rowsRejected: 1, rejectedByReason: { FOOTER: 1 } });
    expect(rejectRows).toEqual([expect.objectContaining({ line: 6, reason_code: 'FOOTER', raw_record: 'Total: 3 rows' })]);
    expect(report.read?.footerLines).toBe(3);
    expect(report.notes.join(' ')).toContain('Total: 3 rows');
  });

  test('ragged rows are rejected with WRONG_FIELD_COUNT and their raw text', async () => {
    const { report, rejectRows } = await runCore('ragged.csv', { dataset: 'signups' });
    expect(report).toMatchObject({ rowsIn: 4, rowsValid: 2, rowsRejected: 2, rejectedByReason: { WRONG_FIELD_COUNT: 2 } });
    expect(rejectRows.map((r) => [r.line, r.raw_record])).toEqual([
      [3, '2,Too Few,few@example.com'],
      [4, '3,Too Many,many@example.com,2024-11-03,active,extra'],
    ]);
  });

  test('empty fields: optional ones are empty, required ones reject the row', async () => {
    const { report, validRows, rejectRows } = await runCore('empty-fields.csv', { dataset: 'orders' });
    expect(validRows.slice(1)).toEqual([['1', 'a@example.com', '2024-11-01T10:00:00', '1.5', 'EUR', '']]);
    expect(rejectRows.map((r) => [r.reason_code, r.column_name])).toEqual([
      ['REQUIRED_MISSING', 'amount'],
      ['REQUIRED_MISSING', 'customer_email'],
    ]);
    expectInvariant(report);
  });

  test('very long fields pass through whole, in small chunks too', async () => {
    const { report, validRows } = await runCore('long-field.csv', { chunkSize: 1000 });
    expect(report.rowsValid).toBe(3);
    expect(validRows[1][2]).toHaveLength(300000);
    expect(validRows[2][2]).toBe('y,"'.repeat(50000));
  });

  test('an unterminated quote rejects the record it opens', async () => {
    const { report, rejectRows } = await runCore('unterminated-quote.csv', { dataset: 'signups' });
    expect(report).toMatchObject({ rowsIn: 2, rowsValid: 1, rowsRejected: 1 });
    expect(rejectRows[0]).toMatchObject({ line: 3, reason_code: 'UNTERMINATED_QUOTE' });
    // The open quote runs to the end of the file: the raw text is the rest of the file, its line breaks (the last one too) included.
    expect(rejectRows[0].raw_record).toBe('2,"Never closed,b@example.com,2024-11-02,active\n3,Bob Martin,BOB@Example.COM,03.11.2024,Active\n');
  });

  test('text after a closing quote rejects the row with MALFORMED_QUOTE', async () => {
    const { report, rejectRows } = await runCore('malformed-quote.csv', { dataset: 'signups' });
    expect(report).toMatchObject({ rowsValid: 1, rowsRejected: 1 });
    expect(rejectRows[0]).toMatchObject({ line: 2, reason_code: 'MALFORMED_QUOTE' });
  });

  test('header-only file: processed, no rows', async () => {
    const { report, validRows } = await runCore('header-only.csv', { dataset: 'signups' });
    expect(report).toMatchObject({ outcome: 'processed', rowsIn: 0, rowsValid: 0, rowsRejected: 0 });
    expect(validRows).toEqual([SIGNUP_HEADER]);
  });
});

describe('header matching', () => {
  test('aliases and case/space differences map to the config names', async () => {
    const { report, validRows } = await runCore('aliases.csv', { dataset: 'signups' });
    expect(validRows[0]).toEqual(SIGNUP_HEADER);
    expect(report.columns?.map((c) => c.sourceName)).toEqual(['User ID', 'Full Name', 'E-Mail', 'Signed Up', 'STATUS']);
  });

  test('missing required and unknown columns quarantine the file, naming them', async () => {
    const { report } = await runCore('header-mismatch.csv', { dataset: 'signups' });
    expect(report.outcome).toBe('quarantined');
    expect(report.fileError?.code).toBe('HEADER_MISMATCH');
    expect(report.fileError?.reason).toMatch(/missing required column email/);
    expect(report.fileError?.reason).toMatch(/unknown column "country"/);
  });

  test('unknown columns are dropped with a note under extraColumns "drop", kept under "keep"', async () => {
    const raw = JSON.parse(
      JSON.stringify({
        datasets: [
          {
            name: 'people',
            columns: [
              { name: 'id', type: 'integer' },
              { name: 'name', type: 'string' },
              { name: 'email', type: 'email' },
            ],
            extraColumns: 'drop',
          },
        ],
      }),
    );
    const drop = await runCore('header-mismatch.csv', { config: raw, dataset: 'people' });
    expect(drop.validRows).toEqual([
      ['id', 'name', 'email'],
      ['1', 'John Doe', ''],
    ]);
    expect(drop.report.notes.join(' ')).toMatch(/dropped.*"signup_date", "status", "country"/);
    raw.datasets[0].extraColumns = 'keep';
    const keep = await runCore('header-mismatch.csv', { config: raw, dataset: 'people' });
    expect(keep.validRows[0]).toEqual(['id', 'name', 'email', 'signup_date', 'status', 'country']);
    expect(keep.validRows[1]).toEqual(['1', 'John Doe', '', '2024-11-01', 'active', 'DE']);
  });

  test('duplicate header names: quarantined against a dataset, made unique when inferred', async () => {
    const strict = await runCore('duplicate-header.csv', { dataset: 'signups' });
    expect(strict.report.fileError?.code).toBe('DUPLICATE_HEADER');
    const inferred = await runCore('duplicate-header.csv');
    expect(inferred.validRows[0]).toEqual(['id', 'name', 'email', 'email_2', 'signup_date', 'status']);
  });
});

describe('file-level quarantine', () => {
  test.each([
    ['empty.csv', 'EMPTY_FILE'],
    ['blank-lines-only.csv', 'EMPTY_FILE'],
    ['binary.csv', 'BINARY_FILE'],
  ])('%s is quarantined as %s, with no rows', async (file, code) => {
    const { report } = await runCore(file, { dataset: 'signups' });
    expect(report).toMatchObject({ outcome: 'quarantined', fileError: { code }, rowsIn: 0, rowsValid: 0, rowsRejected: 0 });
    expect(report.fileError?.reason.length).toBeGreaterThan(20);
  });

  test('a file over ingest.maxFileSizeMb is quarantined unread when its size is known, and while streaming when not', async () => {
    const raw = { datasets: [{ name: 'signups', columns: [{ name: 'id', type: 'integer' }] }], ingest: { maxFileSizeMb: 1 } };
    const big = Buffer.from(`id\n${'1\n'.repeat(600000)}`);
    const known = await runCore(big, { config: raw, dataset: 'signups', sizeBytes: big.length });
    expect(known.report).toMatchObject({ outcome: 'quarantined', fileError: { code: 'FILE_TOO_LARGE' }, bytesIn: 0 });
    const streamed = await runCore(big, { config: raw, dataset: 'signups' });
    expect(streamed.report).toMatchObject({ outcome: 'quarantined', fileError: { code: 'FILE_TOO_LARGE' } });
  });
});

describe('cleaning', () => {
  test('formula-like cells are neutralised, numbers are not', async () => {
    const { validRows, report } = await runCore('formulas.csv', { dataset: 'signups' });
    expect(validRows.slice(1).map((r) => r[1])).toEqual(['\'=HYPERLINK("http://x")', "'+SUM(A1)", "'@cmd", "'-2 dashes"]);
    expect(report.notes.join(' ')).toMatch(/4 values .* neutralised|4 values starting/);
  });

  test('neutralisation can be switched off', async () => {
    const raw = {
      datasets: [
        {
          name: 'signups',
          columns: [
            { name: 'id', type: 'integer' },
            { name: 'name', type: 'string' },
            { name: 'email', type: 'string' },
            { name: 'signup_date', type: 'string' },
            { name: 'status', type: 'string' },
          ],
        },
      ],
      ingest: { neutraliseFormulas: false },
    };
    const { validRows } = await runCore('formulas.csv', { config: raw, dataset: 'signups' });
    expect(validRows[1][1]).toBe('=HYPERLINK("http://x")');
  });

  test('e-mails lower case, dates ISO, enums spelled as configured', async () => {
    const { validRows } = await runCore('bom-utf8.csv', { dataset: 'signups' });
    expect(validRows[3]).toEqual(['3', 'Bob Martin', 'bob@example.com', '2024-11-03', 'active']);
  });

  test('inferred mode infers types, writes them normalised and reports them', async () => {
    const { report, validRows } = await runCore('inferred-types.csv');
    expect(report.dataset).toBeNull();
    expect(report.columns?.map((c) => [c.name, c.type, c.inferred])).toEqual([
      ['order_id', 'integer', true],
      ['amount', 'decimal', true],
      ['paid', 'boolean', true],
      ['day', 'date', true],
      ['at', 'timestamp', true],
      ['contact', 'email', true],
      ['zip', 'string', true],
      ['note', 'string', true],
    ]);
    expect(validRows.slice(1)).toEqual([
      ['1', '19.99', 'true', '2024-11-01', '2024-11-01T10:00:00', 'a@example.com', '01234', 'hello'],
      ['2', '5', 'false', '2024-11-02', '2024-11-02T11:30:00', 'b@example.com', '99999', ''],
      ['3', '-100', 'true', '2024-11-03', '2024-11-03T12:00:00', 'c@example.com', '00001', 'world'],
    ]);
    expect(report.notes.join(' ')).toMatch(/inferred/);
  });

  test('sample data: every row is valid or rejected with a reason, duplicates keep the first', async () => {
    const { report, rejectRows } = await runCore('../../../sample-data/signups.csv', { dataset: 'signups' });
    expectInvariant(report);
    expect(report.rowsRejected).toBeGreaterThan(0);
    for (const r of rejectRows) {
      expect(r.reason_code).toMatch(/^[A-Z_]+$/);
      expect(r.source_file).toContain('signups.csv');
      expect(r.line).toBeGreaterThan(1);
    }
    expect(rejectRows.find((r) => r.reason_code === 'DUPLICATE_KEY')?.reason).toMatch(/id/);
  });

  test('a row with several problems is rejected once, all problems in the reason', async () => {
    const { report, rejectRows } = await runCore(Buffer.from('id,name,email,signup_date,status\nx,,bad,2024-02-30,gone\n'), { dataset: 'signups' });
    expect(report.rowsRejected).toBe(1);
    expect(rejectRows[0].reason_code).toBe('INVALID_INTEGER');
    expect(rejectRows[0].column_name).toBe('id');
    expect(rejectRows[0].reason.split('; ').map((s) => s.split(':')[0])).toEqual(['id', 'name', 'email', 'signup_date', 'status']);
  });
});

test('an unnamed column with values is named by its position in the quarantine reason (a trailing delimiter alone is ignored)', async () => {
  const { report } = await runCore(Buffer.from('id,name,email,signup_date,status,\n1,A,a@example.com,2024-11-01,active,x\n'), { dataset: 'signups' });
  expect(report.fileError?.reason).toMatch(/unknown column an unnamed column \(column 6\)/);
  const trailing = await runCore(Buffer.from('id,name,email,signup_date,status,\n1,A,a@example.com,2024-11-01,active,\n'), { dataset: 'signups' });
  expect(trailing.report).toMatchObject({ outcome: 'processed', rowsValid: 1, read: { trailingDelimiter: true } });
});

test('a rejected raw record that starts like a formula is kept exactly: the rejects file is JSON, not a spreadsheet format', async () => {
  const { rejectRows } = await runCore(Buffer.from('id,name,email,signup_date,status\n=1+1,x,a@example.com,2024-11-01,active\n'), { dataset: 'signups' });
  expect(rejectRows[0]).toMatchObject({ reason_code: 'INVALID_INTEGER', raw_record: '=1+1,x,a@example.com,2024-11-01,active' });
});
