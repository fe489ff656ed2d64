// Local mode's <dataset>_rejects table over a hostile file's rejects: the rows it shows are exactly the rows in the rejects file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { REJECT_COLUMNS } from '../../../config/layout';
import { preprocessRawObject, runConfiguredQueries } from '../../../local/pipeline';
import { LocalObjectStore } from '../../../local/store';
import { openLocalTables } from '../../../local/tables';
import type { PreprocessReport } from '../../../lambda/core/report';
import { hostileCsv } from '../../fixtures/hostile-rejects';
import { readRejectsAsTable } from '../../core/serde-read';

const config = loadPipelineConfig(path.join(__dirname, '..', '..', '..', 'pipeline.config.json'));

let workdir: string;
beforeEach(() => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-rejects-'));
});
afterEach(() => fs.rmSync(workdir, { recursive: true, force: true }));

test('a hostile file (multi-line records, backslashes, CRLF): signups_rejects shows exactly the rows of the rejects file', async () => {
  // Prepare: the same records with both line ends, as two raw files
  const store = new LocalObjectStore(workdir);
  store.init();
  const files = { 'raw/signups/hostile-lf.csv': hostileCsv('\n'), 'raw/signups/hostile-crlf.csv': hostileCsv('\r\n') };
  for (const [key, file] of Object.entries(files)) store.put(key, file.bytes);
  // Act
  const processed = [];
  for (const key of Object.keys(files)) processed.push(await preprocessRawObject(store, config, key));
  // Assess: each rejects file, read as the table's SerDe reads it, has the report's rejected rows, raw records byte for byte
  const fileRows = [];
  for (const [i, [key, file]] of Object.entries(files).entries()) {
    const report = JSON.parse(store.readText(processed[i].reportKey!)) as PreprocessReport;
    const [rejectsKey] = store.list('quarantine/signups/rows/').filter((k) => readRejectsAsTable(store.readText(k))[0].source_file === key);
    expect(rejectsKey).toMatch(/\.jsonl$/);
    const rows = readRejectsAsTable(store.readText(rejectsKey));
    expect(rows).toHaveLength(report.rowsRejected);
    expect(rows.map((r) => [r.line, Buffer.from(r.raw_record, 'utf8')])).toEqual(file.rejected.map((r) => [r.line, r.raw]));
    fileRows.push(...rows);
  }
  // ... and the local table shows exactly those rows, with the table's types
  const tables = await openLocalTables(workdir, config);
  try {
    const shown = await tables.query('SELECT * FROM signups_rejects ORDER BY source_file, line');
    expect(shown.columns).toEqual(REJECT_COLUMNS.map((c) => c.name));
    const expected = [...fileRows].sort((a, b) => (a.source_file < b.source_file ? -1 : a.source_file > b.source_file ? 1 : a.line - b.line));
    expect(shown.rows).toEqual(expected.map((r) => REJECT_COLUMNS.map((c) => r[c.name as keyof typeof r])));
  } finally {
    tables.close();
  }
  // ... and the configured Athena query over {{rejects_table}} counts them by reason as the reports do
  const byReason = (await runConfiguredQueries(config, workdir)).find((q) => q.dataset === 'signups' && q.name === 'rejected_rows_by_reason')!;
  const counted: Record<string, number> = {};
  for (const r of fileRows) counted[r.reason_code] = (counted[r.reason_code] ?? 0) + 1;
  expect(Object.fromEntries(byReason.rows.map((r) => [r[0], Number(r[1])]))).toEqual(counted);
});
