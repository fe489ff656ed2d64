// A workdir whose path holds DuckDB glob characters (`*`, `?`, `[`) is read as a plain path: its own files, never a sibling's the pattern would match.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { runLocalPipeline } from '../../../local/pipeline';
import { openLocalTables } from '../../../local/tables';
import { expectedSignups, SAMPLE_DIR } from './expected';

jest.setTimeout(120_000);

const config = loadPipelineConfig(path.resolve(__dirname, '../../../pipeline.config.json'));

async function count(workdir: string, table: string): Promise<number> {
  const tables = await openLocalTables(workdir, config);
  try {
    return Number((await tables.query(`SELECT count(*) FROM ${table}`)).rows[0][0]);
  } finally {
    tables.close();
  }
}

describe('a workdir named a*b?[c]', () => {
  let parent: string;
  beforeAll(() => (parent = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-glob-'))));
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));

  it('transforms, queries and shows only its own files, also when merging into existing final data', async () => {
    // Prepare: the sample run in the workdir, then a sibling the glob a*b?[c] matches, holding the same
    // file names with one row each (what a glob read would pick up instead).
    const workdir = path.join(parent, 'a*b?[c]');
    const expected = expectedSignups();
    await runLocalPipeline({ config, workdir, files: [path.join(SAMPLE_DIR, 'signups.csv')], skipDashboard: true });
    const decoy = path.join(parent, 'aXbYc');
    fs.cpSync(workdir, decoy, { recursive: true });
    for (const folder of ['processed/signups', 'quarantine/signups/rows']) {
      for (const name of fs.readdirSync(path.join(decoy, folder))) {
        const file = path.join(decoy, folder, name);
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        fs.writeFileSync(file, `${lines.slice(0, folder.startsWith('processed') ? 2 : 1).join('\n')}\n`);
      }
    }
    const more = path.join(parent, 'signups-more.csv');
    fs.writeFileSync(more, 'id,name,email,signup_date,status\n101,Zoe Field,zoe@example.com,2024-11-30,active\n');

    // Act: a second run re-reads every processed file and merges into the existing Parquet.
    const second = await runLocalPipeline({ config, workdir, files: [more] });

    // Assess
    expect(second.workdir).toBe(workdir);
    expect(second.transforms.map((t) => [t.dataset, t.rowsIn])).toEqual([['signups', expected.rowsIn - expected.rejectedLines.length + 1]]);
    expect(await count(workdir, 'signups')).toBe(expected.final.length + 1);
    expect(await count(workdir, 'signups_rejects')).toBe(expected.rejectedLines.length);
    const byStatus = second.queries.find((q) => q.name === 'signups_by_status')!;
    expect(byStatus.rows.reduce((n, r) => n + Number(r[1]), 0)).toBe(expected.final.length + 1);
    expect(fs.readFileSync(second.dashboardFile!, 'utf8')).toContain(`data-kpi-id="total_signups" data-value="${expected.final.length + 1}"`);
  });
});
