// A local run with --engine spark runs the Glue script on local Spark (Java, pyspark) into a local Iceberg table with the same final rows as DuckDB.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { runLocalPipeline } from '../../../local/pipeline';
import { openLocalTables } from '../../../local/tables';
import { expectedSignups, SAMPLE_DIR } from './expected';

const config = loadPipelineConfig(path.resolve(__dirname, '../../../pipeline.config.json'));

describe('local run with --engine spark', () => {
  let workdir: string;
  beforeEach(() => (workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-spark-'))));
  afterEach(() => fs.rmSync(workdir, { recursive: true, force: true }));
  it('runs the transform with --engine spark (the Glue script on local Spark) to the same final rows', async () => {
    const result = await runLocalPipeline({ config, workdir, files: [path.join(SAMPLE_DIR, 'signups.csv')], engine: 'spark', skipDashboard: true });
    expect(result.transforms.map((t) => [t.dataset, t.engine])).toEqual([['signups', 'spark']]);
    // read as `csv-pipeline query` reads it: the current snapshot of the Iceberg table the Spark engine wrote
    const tables = await openLocalTables(workdir, config);
    let rows: Record<string, unknown>[];
    let sources: unknown[][];
    try {
      const selected = await tables.query(
        `SELECT CAST(user_id AS INTEGER) AS user_id, full_name, email, strftime(signup_date, '%Y-%m-%d') AS signup_date, status, signup_month FROM signups ORDER BY user_id`,
      );
      rows = selected.rows.map((r) => Object.fromEntries(selected.columns.map((c, i) => [c, r[i]])));
      sources = (await tables.query('SELECT DISTINCT source_file FROM signups')).rows;
    } finally {
      tables.close();
    }
    expect(sources).toEqual([['raw/signups/signups.csv']]); // the raw object's key, from the preprocessing report
    expect(fs.existsSync(path.join(workdir, 'final_output', 'signups', 'metadata'))).toBe(true);
    expect(rows).toEqual(expectedSignups().final);
  }, 240_000);
});
