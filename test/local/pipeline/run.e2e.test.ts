// End to end: the sample files through `csv-pipeline run` (the function, then the built CLI), checked against numbers this test computes itself.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { runLocalPipeline, type LocalRunResult } from '../../../local/pipeline';
import { countBy, expectedOrders, expectedSignups, SAMPLE_DIR } from './expected';
import { finalRows, rejectRows } from './duckdb-read';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const config = loadPipelineConfig(path.join(ROOT, 'pipeline.config.json'));
const SAMPLES = [path.join(SAMPLE_DIR, 'signups.csv'), path.join(SAMPLE_DIR, 'orders.csv')];
const signups = expectedSignups();
const orders = expectedOrders();

function queryRows(result: LocalRunResult, dataset: string, name: string): unknown[][] {
  const q = result.queries.find((x) => x.dataset === dataset && x.name === name);
  if (!q) throw new Error(`query ${dataset}.${name} did not run`);
  // Plain JSON values, whatever types the engine hands back.
  return q.rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v !== null && typeof v === 'object' ? String(v) : v)));
}

const SIGNUP_COLUMNS = `CAST(user_id AS INTEGER) AS user_id, full_name, email, strftime(signup_date, '%Y-%m-%d') AS signup_date, status, signup_month`;
const ORDER_COLUMNS =
  `CAST(order_id AS INTEGER) AS order_id, customer_email, strftime(ordered_at, '%Y-%m-%dT%H:%M:%S') AS ordered_at, CAST(amount AS DOUBLE) AS amount, ` +
  `currency, paid, strftime(order_date, '%Y-%m-%d') AS order_date, order_month`;

describe('csv-pipeline run on the sample data', () => {
  let workdir: string;
  let first: LocalRunResult;

  beforeAll(async () => {
    // Prepare
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-e2e-'));
    // Act
    first = await runLocalPipeline({ config, workdir, files: SAMPLES });
  });

  afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

  it('routes each file to its dataset and writes one report per file with the row counts', () => {
    expect(first.files.map((f) => [f.rawKey, f.dataset, f.status])).toEqual([
      ['raw/signups/signups.csv', 'signups', 'processed'],
      ['raw/orders/orders.csv', 'orders', 'processed'],
    ]);
    const [s, o] = first.files.map((f) => JSON.parse(fs.readFileSync(path.join(workdir, f.reportKey), 'utf8')));
    expect([s.rowsIn, s.rowsValid, s.rowsRejected]).toEqual([signups.rowsIn, signups.rowsIn - signups.rejectedLines.length, signups.rejectedLines.length]);
    expect([o.rowsIn, o.rowsValid, o.rowsRejected]).toEqual([orders.rowsIn, orders.rowsIn - orders.rejectedLines.length, orders.rejectedLines.length]);
    expect(fs.readdirSync(path.join(workdir, 'catalog')).sort()).toEqual(expect.arrayContaining(['processed_orders.json', 'processed_signups.json']));
  });

  it('writes the final sign-ups Parquet rows the config asks for', async () => {
    const rows = await finalRows(workdir, 'signups', SIGNUP_COLUMNS, 'user_id');
    expect(rows).toEqual(signups.final);
    expect(fs.readdirSync(path.join(workdir, 'final_output', 'signups')).sort()).toEqual(['_duckdb_manifest.json', 'signup_month=2024-11']);
  });

  it('writes the final orders Parquet rows, with the filter amount > 0 applied', async () => {
    const rows = await finalRows(workdir, 'orders', ORDER_COLUMNS, 'order_id');
    expect(rows).toEqual(orders.final);
  });

  it('keeps every rejected row with its source file and physical line', async () => {
    const s = await rejectRows(workdir, 'signups');
    expect(s.map((r) => Number(r.line))).toEqual(signups.rejectedLines);
    expect(new Set(s.map((r) => r.source_file))).toEqual(new Set(['raw/signups/signups.csv']));
    expect(s.every((r) => /^[A-Z][A-Z0-9_]+$/.test(String(r.reason_code)) && String(r.reason).length > 0)).toBe(true);
    const o = await rejectRows(workdir, 'orders');
    expect(o.map((r) => Number(r.line))).toEqual(orders.rejectedLines);
  });

  it('runs the configured queries and returns the numbers computed from the CSV by hand', async () => {
    const byDate = countBy(signups.final, (r) => r.signup_date).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(queryRows(first, 'signups', 'signups_by_date').map((r) => [String(r[0]).slice(0, 10), Number(r[1])])).toEqual(byDate);
    expect(queryRows(first, 'signups', 'signups_by_status').map((r) => [r[0], Number(r[1])])).toEqual(countBy(signups.final, (r) => r.status));

    const revenue = new Map<string, { orders: number; revenue: number }>();
    for (const o of orders.final) {
      const k = `${o.order_date}|${o.currency}`;
      const v = revenue.get(k) ?? { orders: 0, revenue: 0 };
      revenue.set(k, { orders: v.orders + 1, revenue: v.revenue + o.amount });
    }
    const expectedRevenue = [...revenue.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [...k.split('|'), v.orders, v.revenue]);
    const gotRevenue = queryRows(first, 'orders', 'revenue_by_day').map((r) => [String(r[0]).slice(0, 10), r[1], Number(r[2]), Number(r[3])]);
    expect(gotRevenue.map((r) => r.slice(0, 3))).toEqual(expectedRevenue.map((r) => r.slice(0, 3)));
    for (const [i, r] of gotRevenue.entries()) expect(r[3]).toBeCloseTo(expectedRevenue[i][3] as number, 6);

    // Rejected rows per reason: the query's total is the test's count, and it agrees with the rejects files.
    const rejectQuery = queryRows(first, 'signups', 'rejected_rows_by_reason').map((r) => [r[0], Number(r[1])]);
    expect(rejectQuery.reduce((n, r) => n + (r[1] as number), 0)).toBe(signups.rejectedLines.length);
    expect(rejectQuery).toEqual(countBy(await rejectRows(workdir, 'signups'), (r) => String(r.reason_code)));
  });

  it('writes a self-contained dashboard page', () => {
    expect(first.dashboardFile).toBe(path.join(workdir, 'dashboard', 'index.html'));
    const html = fs.readFileSync(first.dashboardFile!, 'utf8');
    expect(html).toContain(`data-kpi-id="total_signups" data-value="${signups.final.length}"`);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
  });

  it('gives the same result when run again with the same files, and processes nothing new without files', async () => {
    const before = {
      s: await finalRows(workdir, 'signups', SIGNUP_COLUMNS, 'user_id'),
      o: await finalRows(workdir, 'orders', ORDER_COLUMNS, 'order_id'),
      r: await rejectRows(workdir, 'signups'),
    };
    const again = await runLocalPipeline({ config, workdir, files: SAMPLES });
    expect(again.files.map((f) => f.status)).toEqual(['skipped', 'skipped']);
    expect(await finalRows(workdir, 'signups', SIGNUP_COLUMNS, 'user_id')).toEqual(before.s);
    expect(await finalRows(workdir, 'orders', ORDER_COLUMNS, 'order_id')).toEqual(before.o);
    expect(await rejectRows(workdir, 'signups')).toEqual(before.r);
    expect(again.queries.map((q) => q.rows)).toEqual(first.queries.map((q) => q.rows));

    const pending = await runLocalPipeline({ config, workdir, skipDashboard: true });
    expect(pending.files).toEqual([]);
    expect(await finalRows(workdir, 'signups', SIGNUP_COLUMNS, 'user_id')).toEqual(before.s);
  });
});

describe('the built CLI', () => {
  const cli = path.join(ROOT, 'dist', 'cli', 'csv-pipeline.js');

  it('runs the sample files and prints the query results and where the dashboard is', async () => {
    if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" before this test (npm test does)`);
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-cli-'));
    try {
      const run = spawnSync(process.execPath, [cli, 'run', ...SAMPLES, '--workdir', workdir], { cwd: ROOT, encoding: 'utf8', timeout: 90_000 });
      expect(run.stderr).toContain('[preprocess]');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('signups.signups_by_status');
      expect(run.stdout).toContain(`Dashboard: ${path.join(workdir, 'dashboard', 'index.html')}`);
      expect(run.stdout).toContain('csv-pipeline serve --workdir');
      const rows = await finalRows(workdir, 'signups', SIGNUP_COLUMNS, 'user_id');
      expect(rows).toEqual(signups.final);
    } finally {
      fs.rmSync(workdir, { recursive: true, force: true });
    }
  });

  it('names the file and what to do when a file cannot be read, before touching the workdir', () => {
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-cli-'));
    try {
      const missing = path.join(workdir, 'signups-missing.csv');
      const run = spawnSync(process.execPath, [cli, 'run', missing, '--workdir', workdir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`cannot read ${missing}`);
      expect(run.stderr).toContain('check the path');
      expect(fs.readdirSync(workdir)).toEqual([]);
    } finally {
      fs.rmSync(workdir, { recursive: true, force: true });
    }
  });
});
