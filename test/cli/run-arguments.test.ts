// `csv-pipeline run` checks its arguments before touching the workdir: a wrong one exits 2 (usage error) and creates nothing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_ENTRY } from '../support/test-build';

const ROOT = path.join(__dirname, '..', '..');
const CONFIG = path.join(ROOT, 'pipeline.config.json');
const SIGNUPS = path.join(ROOT, 'sample-data', 'signups.csv');

/** Runs `csv-pipeline run` from its TypeScript source (no build needed) in `cwd`. */
function run(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_ENTRY, 'run', '--config', CONFIG, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), NODE_PATH: path.join(ROOT, 'node_modules') },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let cwd: string;
beforeEach(() => (cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-runargs-'))));
afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

/** A usage error: exit 2, the reason on the first line of stderr, the usage after it, no stack trace, nothing in the cwd. */
function expectUsageError(r: ReturnType<typeof run>, firstLine: string | RegExp): void {
  const [line] = r.stderr.split('\n');
  if (typeof firstLine === 'string') expect(line).toBe(firstLine);
  else expect(line).toMatch(firstLine);
  expect(r.stderr).toContain('usage: csv-pipeline run');
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  expect(fs.readdirSync(cwd)).toEqual([]); // no .pipeline/ skeleton, no lock
}

test('an unknown --dataset: exit 2 naming the configured datasets, before the workdir is created', () => {
  expectUsageError(
    run([SIGNUPS, '--dataset', 'nope'], cwd),
    'csv-pipeline run: --dataset "nope" is not configured; use one of: signups, orders, or leave --dataset out to route files by name',
  );
});

test('a FILE that does not exist: exit 2 with the path, before the workdir is created', () => {
  const missing = path.join(cwd, 'nonexistent.csv');
  expectUsageError(run([SIGNUPS, missing], cwd), `csv-pipeline run: cannot read ${missing}: ENOENT; no such file; check the path`);
});

test('a folder as FILE, or two FILES that would go to one raw key: exit 2, nothing created', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-runargs-folder-'));
  try {
    expectUsageError(run([folder], cwd), /^csv-pipeline run: .*csvp-runargs-folder-\w+ is not a file; pass CSV files/);
    const other = path.join(folder, 'signups.csv');
    fs.copyFileSync(SIGNUPS, other);
    expectUsageError(
      run([SIGNUPS, other], cwd),
      `csv-pipeline run: ${SIGNUPS} and ${other} would both be copied to raw/signups/signups.csv; rename one of them (files with one name overwrite each other in raw/)`,
    );
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test('an unreadable FILE: exit 2 naming it and the fix', () => {
  if (process.getuid?.() === 0) return; // root reads anything: nothing to check
  const locked = path.join(os.tmpdir(), `csvp-runargs-locked-${process.pid}.csv`);
  fs.writeFileSync(locked, 'id\n1\n', { mode: 0o200 });
  try {
    expectUsageError(run([locked], cwd), `csv-pipeline run: cannot read ${locked}: EACCES; check its permissions (chmod u+r)`);
  } finally {
    fs.rmSync(locked, { force: true });
  }
});

test('an explicit --workdir that does not exist yet is not created either', () => {
  const workdir = path.join(cwd, 'wd');
  const r = run(['--workdir', workdir, path.join(cwd, 'nope.csv')], cwd);
  expect(r.status).toBe(2);
  expect(fs.existsSync(workdir)).toBe(false);
});
