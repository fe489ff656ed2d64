// A local run with --engine spark runs the Glue script on local Spark (Java, pyspark) to the same final rows as DuckDB.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { runLocalPipeline } from '../../../local/pipeline';
import { expectedSignups, SAMPLE_DIR } from './expected';
import { finalRows } from './duckdb-read';

const config = loadPipelineConfig(path.resolve(__dirname, '../../../pipeline.config.json'));

describe('local run with --engine spark', () => {
  let workdir: string;
  beforeEach(() => (workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-spark-'))));
  afterEach(() => fs.rmSync(workdir, { recursive: true, force: true }));
  it('runs the transform with --engine spark (the Glue script on local Spark) to the same final rows', async () => {
    const result = await runLocalPipeline({ config, workdir, files: [path.join(SAMPLE_DIR, 'signups.csv')], engine: 'spark', skipDashboard: true });
    expect(result.transforms.map((t) => [t.dataset, t.engine])).toEqual([['signups', 'spark']]);
    const rows = await finalRows(
      workdir,
      'signups',
      `CAST(user_id AS INTEGER) AS user_id, full_name, email, strftime(signup_date, '%Y-%m-%d') AS signup_date, status, signup_month`,
      'user_id',
    );
    expect(rows).toEqual(expectedSignups().final);
  }, 240_000);
});
