// The dashboard in a real headless Chromium, served by `csv-pipeline serve`: no console errors, nothing leaves localhost, numbers and grain switch right.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadPipelineConfig } from '../../../config/load';
import { runLocalPipeline } from '../../../local/pipeline';
import { countBy, expectedSignups, isoWeekStart, SAMPLE_DIR } from '../pipeline/expected';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist', 'cli', 'csv-pipeline.js');
const OUTPUT = path.join(ROOT, 'test', '__output__');
const CHROMIUM = '/usr/bin/chromium';
const config = loadPipelineConfig(path.join(ROOT, 'pipeline.config.json'));
const signups = expectedSignups();

/** Starts the built CLI's serve on a free port and resolves with its URL. */
function startServe(workdir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--workdir', workdir, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start within 20 s; stdout: ${out}; stderr: ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** The points of a chart's line (one SVG symbol per aggregated row). */
async function pointCount(page: Page, chartId: string): Promise<number> {
  return page.locator(`[data-dataset="signups"] [data-chart-id="${chartId}"] .vis .mark-symbol path`).count();
}

describe('the dashboard in headless Chromium', () => {
  let workdir: string;
  let server: { child: ChildProcess; url: string };
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does)`);
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
    workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-dash-'));
    await runLocalPipeline({ config, workdir, files: [path.join(SAMPLE_DIR, 'signups.csv'), path.join(SAMPLE_DIR, 'orders.csv')] });
    server = await startServe(workdir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    if (server?.child.pid) process.kill(server.child.pid, 'SIGTERM');
    if (workdir) fs.rmSync(workdir, { recursive: true, force: true });
  });

  it('loads with no console errors and no request leaving localhost', () => {
    expect(consoleErrors).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    const origin = new URL(server.url).origin;
    expect(requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual([]);
  });

  it('shows the number of valid sign-ups the test counted in the KPI card', async () => {
    const card = page.locator('[data-kpi-id="total_signups"]');
    expect(await card.getAttribute('data-value')).toBe(String(signups.final.length));
    expect((await card.locator('.kpi-value').textContent())?.trim()).toBe(String(signups.final.length));
  });

  it('draws the status breakdown with one bar per status', async () => {
    const bars = page.locator('[data-dataset="signups"] [data-chart-id="signups_by_status"] .vis .mark-rect path');
    expect(await bars.count()).toBe(countBy(signups.final, (r) => r.status).length);
  });

  it('switches the time chart between day, week and month', async () => {
    const card = page.locator('[data-dataset="signups"] [data-chart-id="signups_over_time"]');
    const days = new Set(signups.final.map((r) => r.signup_date)).size;
    const weeks = new Set(signups.final.map((r) => isoWeekStart(r.signup_date))).size;
    const months = new Set(signups.final.map((r) => r.signup_month)).size;
    expect(await pointCount(page, 'signups_over_time')).toBe(days);

    for (const [grain, expected] of [
      ['WEEK', weeks],
      ['MONTH', months],
      ['DAY', days],
    ] as const) {
      await card.locator(`button[data-grain="${grain}"]`).click();
      await page.waitForSelector(`[data-dataset="signups"] [data-chart-id="signups_over_time"] .vis[data-grain="${grain}"]`);
      expect(await pointCount(page, 'signups_over_time')).toBe(expected);
      expect(await card.locator('button.active').getAttribute('data-grain')).toBe(grain);
    }
    expect(days).not.toBe(weeks);
  });

  it('shows the last run with the files and their row counts', async () => {
    const run = page.locator('.lastrun');
    expect(await run.getAttribute('data-last-run-files')).toBe('2');
    expect(await run.locator('tbody tr').count()).toBe(2);
    expect(await run.textContent()).toContain('raw/signups/signups.csv');
  });

  it('saves a screenshot', async () => {
    fs.mkdirSync(OUTPUT, { recursive: true });
    const file = path.join(OUTPUT, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  });
});
