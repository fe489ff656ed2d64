// Watch mode: a file dropped into raw/<dataset>/ is processed once, and the final tables and dashboard follow.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadPipelineConfig } from '../../../lib/config/load';
import { watchRawFolder, type WatchCycle, type Watcher } from '../../../local/watch';
import { expectedSignups, SAMPLE_DIR } from './expected';
import { finalRows } from './duckdb-read';

jest.setTimeout(90_000);

const config = loadPipelineConfig(path.resolve(__dirname, '../../../pipeline.config.json'));

/** Resolves with the next cycle, or fails after `ms`. */
function nextCycle(cycles: WatchCycle[], seen: number, ms = 30_000): Promise<WatchCycle> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (cycles.length > seen) {
        clearInterval(poll);
        resolve(cycles[seen]);
      } else if (Date.now() - started > ms) {
        clearInterval(poll);
        reject(new Error(`no watch cycle within ${ms} ms`));
      }
    }, 50);
  });
}

describe('csv-pipeline watch', () => {
  let workdir: string;
  let watcher: Watcher | undefined;
  const cycles: WatchCycle[] = [];
  const errors: unknown[] = [];

  beforeAll(() => {
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-watch-'));
    watcher = watchRawFolder({
      config,
      workdir,
      debounceMs: 100,
      stableMs: 300,
      rescanMs: 500,
      onCycle: (c) => cycles.push(c),
      onError: (e) => errors.push(e),
    });
  });

  afterAll(async () => {
    await watcher?.close();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  it('processes a dropped file once, after it has stopped growing', async () => {
    // Prepare: a file written in two parts, as a slow copy would.
    const text = fs.readFileSync(path.join(SAMPLE_DIR, 'signups.csv'), 'utf8');
    const target = path.join(workdir, 'raw', 'signups', 'dropped.csv');
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const cut = text.indexOf('\n', Math.floor(text.length / 2)) + 1;
    // Act
    fs.writeFileSync(target, text.slice(0, cut));
    await new Promise((r) => setTimeout(r, 150));
    fs.appendFileSync(target, text.slice(cut));
    const cycle = await nextCycle(cycles, 0);

    // Assess
    expect(errors).toEqual([]);
    expect(cycle.files.map((f) => [f.rawKey, f.status])).toEqual([['raw/signups/dropped.csv', 'processed']]);
    expect(cycle.files[0].report?.rowsIn).toBe(expectedSignups().rowsIn);
    const rows = await finalRows(workdir, 'signups', 'CAST(user_id AS INTEGER) AS user_id', 'user_id');
    expect(rows.map((r) => r.user_id)).toEqual(expectedSignups().final.map((r) => r.user_id));
    expect(fs.existsSync(path.join(workdir, 'dashboard', 'index.html'))).toBe(true);

    // Several rescans later, the same file has not been processed again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(cycles).toHaveLength(1);
    expect(fs.readdirSync(path.join(workdir, 'reports', 'signups'))).toHaveLength(1);
  });

  it('processes a second file and merges its rows into the final table', async () => {
    const extra = 'id,name,email,signup_date,status\n101,Zoe Field,zoe@example.com,2024-12-01,active\n102,Yann Tiersen,yann@example.com,2024-12-02,pending\n';
    fs.writeFileSync(path.join(workdir, 'raw', 'signups', 'more.csv'), extra);
    const cycle = await nextCycle(cycles, 1);
    expect(cycle.files.map((f) => f.rawKey)).toEqual(['raw/signups/more.csv']);
    const rows = await finalRows(workdir, 'signups', 'CAST(user_id AS INTEGER) AS user_id', 'user_id');
    expect(rows.map((r) => r.user_id)).toEqual([...expectedSignups().final.map((r) => r.user_id), 101, 102]);
    expect(fs.readdirSync(path.join(workdir, 'final_output', 'signups')).sort()).toEqual(['signup_month=2024-11', 'signup_month=2024-12']);
  });
});
