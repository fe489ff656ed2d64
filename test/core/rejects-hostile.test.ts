// Hostile records (quoted multi-line records, backslashes, quotes, control characters) through the real preprocessing:
// the rejects file, read as the rejects table reads it, holds exactly the rows the report counts as rejected.
import { hostileCsv } from '../fixtures/hostile-rejects';
import { runCore } from './run-core';
import { readRejectsAsTable } from './serde-read';

describe.each([
  ['LF', '\n'],
  ['CRLF', '\r\n'],
] as const)('a %s file', (_name, eol) => {
  const file = hostileCsv(eol);

  test.each([65536, 7])('read in chunks of %i bytes: one table row per rejected record, raw_record byte for byte', async (chunkSize) => {
    const { report, rejects } = await runCore(file.bytes, { dataset: 'signups', chunkSize });
    expect(report).toMatchObject({ outcome: 'processed', rowsValid: file.validCount, rowsRejected: file.rejected.length });
    expect(report.rowsIn).toBe(report.rowsValid + report.rowsRejected);

    const rows = readRejectsAsTable(rejects);
    expect(rows).toHaveLength(report.rowsRejected);
    expect(rows.map((r) => r.line)).toEqual(file.rejected.map((r) => r.line));
    expect(rows.map((r) => Buffer.from(r.raw_record, 'utf8'))).toEqual(file.rejected.map((r) => r.raw));
    expect(new Set(rows.map((r) => r.source_file))).toEqual(new Set(['bytes.csv']));
    const byReason: Record<string, number> = {};
    for (const r of rows) byReason[r.reason_code] = (byReason[r.reason_code] ?? 0) + 1;
    expect(byReason).toEqual(report.rejectedByReason);
  });
});
