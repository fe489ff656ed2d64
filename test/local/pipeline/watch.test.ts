// Watch mode: a file dropped into raw/<dataset>/ is processed once, and the final tables and dashboard follow.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { SettleTracker, watchRawFolder, type WatchCycle, type Watcher } from '../../../local/watch';
import { silentProgress } from '../../../local/progress';
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
      settleMs: 300,
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
    expect(fs.readdirSync(path.join(workdir, 'final_output', 'signups')).sort()).toEqual([
      '_duckdb_manifest.json',
      'signup_month=2024-11',
      'signup_month=2024-12',
    ]);
  });
});

/** Resolves once `found()` is true, polling every 20 ms; fails after `ms`. */
async function until(found: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!found()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('watch: a file still being written', () => {
  let workdir: string;
  let watcher: Watcher | undefined;
  afterEach(async () => {
    await watcher?.close();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  it('is taken only once its size and mtime have settled, even across a pause longer than the debounce and rescan', async () => {
    // Prepare: a watcher with a settle period well above its debounce and rescan intervals.
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-watch-settle-'));
    const cycles: WatchCycle[] = [];
    const infos: string[] = [];
    const errors: unknown[] = [];
    watcher = watchRawFolder({
      config,
      workdir,
      debounceMs: 50,
      rescanMs: 200,
      settleMs: 4000,
      progress: { ...silentProgress, info: (line) => infos.push(line) },
      onCycle: (c) => cycles.push(c),
      onError: (e) => errors.push(e),
    });
    const text = fs.readFileSync(path.join(SAMPLE_DIR, 'signups.csv'), 'utf8');
    const cut = text.indexOf('\n', Math.floor(text.length / 2)) + 1;
    const target = path.join(workdir, 'raw', 'signups', 'slow.csv');
    fs.mkdirSync(path.dirname(target), { recursive: true });

    // Act: the first part; the watcher sees it and waits; a pause of several rescans; then the rest.
    fs.writeFileSync(target, text.slice(0, cut));
    await until(() => infos.some((l) => l.includes('raw/signups/slow.csv is still being written')), 'the watcher noticing the first part');
    const rescansBefore = infos.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(cycles).toHaveLength(0); // several rescans passed; the half file was not taken
    expect(infos.length).toBe(rescansBefore); // announced once, not on every rescan
    fs.appendFileSync(target, text.slice(cut));
    const cycle = await nextCycle(cycles, 0);

    // Assess: one cycle, over the whole file.
    expect(errors).toEqual([]);
    expect(cycle.files.map((f) => [f.rawKey, f.status, f.report?.rowsIn])).toEqual([['raw/signups/slow.csv', 'processed', expectedSignups().rowsIn]]);
    expect(fs.readdirSync(path.join(workdir, 'reports', 'signups'))).toHaveLength(1);
  });
});

describe('SettleTracker', () => {
  it('counts the settle period from the first time a size and mtime are seen, and restarts it on any change', () => {
    const t = new SettleTracker(1000);
    expect(t.observe('k', { size: 10, mtimeMs: 1 }, 0)).toBe(1000);
    expect(t.observe('k', { size: 10, mtimeMs: 1 }, 600)).toBe(400);
    expect(t.observe('k', { size: 20, mtimeMs: 1 }, 900)).toBe(1000); // grew
    expect(t.observe('k', { size: 20, mtimeMs: 2 }, 1500)).toBe(1000); // rewritten, same size
    expect(t.observe('k', { size: 20, mtimeMs: 2 }, 2499)).toBe(1);
    expect(t.observe('k', { size: 20, mtimeMs: 2 }, 2500)).toBe(0);
    expect(t.unchanged('k', { size: 20, mtimeMs: 2 })).toBe(true);
    expect(t.unchanged('k', { size: 21, mtimeMs: 2 })).toBe(false);
    expect(t.observe('k', { size: 0, mtimeMs: 3 }, 9000)).toBeUndefined(); // empty: still being created
    expect(t.observe('k', undefined, 9000)).toBeUndefined();
    expect(t.observe('k', { size: 5, mtimeMs: 3 }, 9000)).toBe(1000);
  });
});
