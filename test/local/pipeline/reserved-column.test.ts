// End to end on the DuckDB engine (the code path of `csv-pipeline run`): a file with a reserved column name is
// quarantined RESERVED_COLUMN and the dataset keeps working: its earlier rows stay, later files are transformed.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parsePipelineConfig } from '../../../config/parse';
import { runLocalPipeline } from '../../../local/pipeline';
import { openLocalTables } from '../../../local/tables';

jest.setTimeout(120_000);

const config = parsePipelineConfig({
  datasets: [
    {
      name: 'people',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'string' },
      ],
      key: ['id'],
      extraColumns: 'keep',
      transforms: { rename: { id: 'person_id' }, derive: [{ name: 'shout', expr: 'upper(name)', type: 'string' }] },
    },
  ],
});

async function finalRows(workdir: string): Promise<{ columns: string[]; rows: unknown[][] }> {
  const tables = await openLocalTables(workdir, config);
  try {
    return await tables.query('SELECT * FROM people ORDER BY person_id');
  } finally {
    tables.close();
  }
}

describe('a reserved column name never halts the dataset', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-reserved-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return runLocalPipeline({ config, workdir: path.join(dir, 'wd'), files: [file], dataset: 'people', engine: 'duckdb', skipDashboard: true });
  };

  it('quarantines each colliding file with the column and the fix; the runs before and after it transform as usual', async () => {
    const first = await run('a.csv', 'id,name\n1,ann\n');
    expect(first.transforms.map((t) => [t.dataset, t.rowsOut])).toEqual([['people', 1]]);

    for (const [name, header, why] of [
      ['b.csv', 'source_file', 'a lineage column'],
      ['c.csv', 'ingested_at', 'a lineage column'],
      ['d.csv', 'person_id', 'the new name of column "id"'],
      ['e.csv', 'shout', 'the derived column transforms.derive[0]'],
    ]) {
      const bad = await run(name, `id,name,${header}\n2,bob,x\n`);
      expect(bad.files.map((f) => [f.status, f.report?.fileError?.code])).toEqual([['quarantined', 'RESERVED_COLUMN']]);
      expect(bad.files[0].report?.fileError?.reason).toContain(`would become column "${header}", which is reserved in dataset "people": ${why}`);
      const reasonFile = fs
        .readdirSync(path.join(dir, 'wd', 'quarantine', 'people', 'files'))
        .find((f) => f.startsWith(name.replace('.csv', '')) && f.endsWith('.reason.json'));
      expect(reasonFile).toBeDefined();
    }

    // A header that looks like an internal column is an ordinary column (source_file_path): the run goes through.
    const spoof = await run('f.csv', 'id,name,__source_file_path\n3,cy,/etc/passwd\n');
    expect(spoof.files[0].status).toBe('processed');
    expect(spoof.transforms.map((t) => t.rowsOut)).toEqual([2]);

    const { columns, rows } = await finalRows(path.join(dir, 'wd'));
    expect(columns).toEqual(['person_id', 'name', 'shout', 'source_file_path', 'source_file', 'ingested_at']);
    // source_file is the raw object's key (from the preprocessing report), as the Glue job writes it
    expect(rows.map((r) => [Number(r[0]), r[1], r[2], r[3], r[4]])).toEqual([
      [1, 'ann', 'ANN', null, 'raw/people/a.csv'],
      [3, 'cy', 'CY', '/etc/passwd', 'raw/people/f.csv'],
    ]);
  });
});
