// kill -9 of the DuckDB transform at every step of its publish, and at random times: readers see the whole old or the whole new table, and the next run cleans up.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { transformWithDuckDb } from '../../../local/duckdb-transform';
import { MANIFEST_FILE, readManifest } from '../../../local/engine/manifest';
import { isProcessAlive } from '../../../local/lock';
import { LocalObjectStore } from '../../../local/store';
import { openLocalTables } from '../../../local/tables';
import { REPO_ROOT } from '../../support/test-build';
import { configWith, SIGNUPS, tempDir, writeProcessed } from './helpers';

jest.setTimeout(240_000);

const AT = '2025-01-02T03:04:05.000Z';
const LATER = '2025-02-03T04:05:06.000Z';
const HEADER = 'id,name,email,signup_date,status\n';
/** Kills at random times per layout (each costs a child process, about a second on 2 cores). */
const RANDOM_KILLS = 5;

/** A dataset, its two runs, and how many files run 2 moves in and deletes. */
interface Case {
  readonly dataset: { readonly name: string } & Record<string, unknown>;
  readonly first: Record<string, string>;
  readonly second: Record<string, string>;
  readonly movesIn: number;
  readonly deletes: number;
}

/** Keyed and partitioned by month. Run 1: a.csv over three months, b.csv over six months that run 2 does not touch; run 2: a.csv re-uploaded, row 1 changed, row 2 moved to another month, row 3 gone, row 7 new in a new month. */
const SIGNUPS_CASE: Case = {
  dataset: SIGNUPS,
  first: {
    'a.csv': `${HEADER}1,Ann,a@x.com,2024-10-01,active\n2,Bob,b@x.com,2024-11-02,active\n3,Cid,c@x.com,2024-11-03,pending\n4,Dee,d@x.com,2024-12-04,active\n`,
    'b.csv': `${HEADER}${[1, 2, 3, 4, 5, 6].map((m) => `${10 + m},B${m},b${m}@x.com,2023-0${m}-15,inactive`).join('\n')}\n`,
  },
  second: {
    'a.csv': `${HEADER}1,Ann Lee,a@x.com,2024-10-01,inactive\n2,Bob,b@x.com,2024-12-20,active\n4,Dee,d@x.com,2024-12-04,active\n7,Eve,e@x.com,2025-01-07,pending\n`,
  },
  movesIn: 3, // the three months run 2 writes (2024-11 is left empty)
  deletes: 3, // the three months it replaces
};

/** No key, no partitions (the whole table is one partition): run 2 re-uploads a.csv with a row changed and one gone; b.csv's rows stay. */
const ITEMS_CASE: Case = {
  dataset: {
    name: 'items',
    key: [],
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'label', type: 'string' },
    ],
  },
  first: { 'a.csv': 'id,label\n1,one\n2,two\n3,three\n', 'b.csv': 'id,label\n4,four\n5,five\n' },
  second: { 'a.csv': 'id,label\n1,ONE\n3,three\n' },
  movesIn: 1,
  deletes: 1,
};

let childScript: string;
beforeAll(() => {
  // The engine bundled into one script, so each spawned child starts in well under a second.
  childScript = path.join(tempDir('crash-child-'), 'crash-child.js');
  buildSync({
    entryPoints: [path.join(__dirname, 'crash-child.ts')],
    outfile: childScript,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@duckdb/node-api'],
    logLevel: 'warning',
  });
});

type Layout = 'manifest' | 'plain';

interface Fixture {
  readonly case: Case;
  readonly work: string;
  readonly output: string;
  readonly second: string;
}

const configOf = (c: Case) => configWith([c.dataset]);

function runInProcess(f: Fixture, inputDir: string, ingestedAt: string): Promise<unknown> {
  const config = configOf(f.case);
  return transformWithDuckDb({ config, dataset: config.datasets[0], inputDir, outputDir: f.output, ingestedAt: new Date(ingestedAt) });
}

/** A workdir holding run 1's table (with its manifest, or as a plain folder written before manifests existed) and run 2's input. */
async function oldState(c: Case, layout: Layout): Promise<Fixture> {
  const work = tempDir('crash-');
  const fixture = { case: c, work, output: path.join(work, 'final_output', c.dataset.name), second: path.join(work, 'in2') };
  writeProcessed(path.join(work, 'in1'), c.first);
  writeProcessed(fixture.second, c.second, 1_800_000_000);
  await runInProcess(fixture, path.join(work, 'in1'), AT);
  if (layout === 'plain') fs.rmSync(path.join(fixture.output, MANIFEST_FILE));
  return fixture;
}

function copyOf(fixture: Fixture): Fixture {
  const work = tempDir('crash-');
  fs.cpSync(fixture.work, work, { recursive: true });
  return { case: fixture.case, work, output: path.join(work, 'final_output', fixture.case.dataset.name), second: path.join(work, 'in2') };
}

function childArgs(f: Fixture, killAt: number): string[] {
  return [childScript, JSON.stringify({ datasets: [f.case.dataset], inputDir: f.second, outputDir: f.output, ingestedAt: LATER, killAt })];
}

const childEnv = { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') };

/** Runs run 2 in a child process killed (SIGKILL) before publish step `killAt`; returns the steps it printed. */
function runChild(f: Fixture, killAt: number): { steps: string[]; signal: NodeJS.Signals | null } {
  const r = spawnSync(process.execPath, childArgs(f, killAt), { encoding: 'utf8', env: childEnv, timeout: 60_000 });
  if (r.status !== null && r.status !== 0) throw new Error(`crash child failed (${r.status}): ${r.stderr}`);
  // Steps name the files a run adds, whose names carry the run's pid and time: masked, so runs compare.
  const steps = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('step '))
    .map((l) => l.replace(/part-\d+-\d+-\d+-/, 'part-<stamp>-'));
  return { steps, signal: r.signal };
}

/** Every row of the table as `csv-pipeline query` and the dashboard read it, one JSON text per row, sorted. */
async function tableRows(f: Fixture): Promise<string[]> {
  const tables = await openLocalTables(f.work, configOf(f.case));
  try {
    const { rows } = await tables.query(`SELECT * FROM ${f.case.dataset.name}`);
    return rows.map((r) => JSON.stringify(r)).sort();
  } finally {
    tables.close();
  }
}

/** No staging folder is left, and the final folder holds the manifest and exactly the files it names: none unpublished, none replaced. */
function expectNoLeftovers(f: Fixture): void {
  expect(fs.readdirSync(path.dirname(f.output))).toEqual([f.case.dataset.name]);
  const onDisk = (fs.readdirSync(f.output, { recursive: true, encoding: 'utf8' }) as string[]).filter((p) => p.endsWith('.parquet') || p === MANIFEST_FILE);
  expect(onDisk.sort()).toEqual([...readManifest(f.output)!.files, MANIFEST_FILE].sort());
}

/** The rows of the table before run 2 and after an uninterrupted run 2. */
async function referenceStates(c: Case, layout: Layout): Promise<{ fixture: Fixture; before: string[]; after: string[]; steps: string[] }> {
  const fixture = await oldState(c, layout);
  const before = await tableRows(fixture);
  const reference = copyOf(fixture);
  const { steps, signal } = runChild(reference, 0);
  expect(signal).toBeNull();
  const after = await tableRows(reference);
  expect(after).not.toEqual(before);
  expectNoLeftovers(reference);
  return { fixture, before, after, steps };
}

/** After a kill: the reader sees `expected`; clean-up (the pipeline's under the lock, or the next run's own) and the next run leave the new table and nothing else. */
async function expectRecovers(f: Fixture, expected: string[], after: string[], storeCleanup: boolean): Promise<void> {
  expect(await tableRows(f)).toEqual(expected);
  if (storeCleanup) {
    new LocalObjectStore(f.work).removeStaleTemp((pid) => isProcessAlive(pid));
    expect(await tableRows(f)).toEqual(expected);
  }
  await runInProcess(f, f.second, LATER);
  expect(await tableRows(f)).toEqual(after);
  expectNoLeftovers(f);
}

describe.each([
  ['signups (keyed, partitioned)', 'manifest', SIGNUPS_CASE],
  ['signups (keyed, partitioned)', 'plain', SIGNUPS_CASE],
  ['items (no key, unpartitioned)', 'manifest', ITEMS_CASE],
] as const)('a kill -9 of the DuckDB transform of %s over a final folder (%s)', (_name, layout, c) => {
  test('at each step of the publish: the reader sees the whole old table before the publishing rename and the whole new one after it; the next run completes and cleans up', async () => {
    const { fixture, before, after, steps } = await referenceStates(c, layout);
    const publish = steps.findIndex((s) => s.endsWith(': publish the new manifest')) + 1;
    expect(steps.filter((s) => s.includes(': move in ')).length).toBe(c.movesIn);
    expect(steps.filter((s) => s.includes(': delete ')).length).toBe(c.deletes);
    expect(steps.some((s) => s.endsWith('publish a manifest of the files already there'))).toBe(layout === 'plain');
    for (let killAt = 1; killAt <= steps.length; killAt++) {
      const f = copyOf(fixture);
      const { steps: taken, signal } = runChild(f, killAt);
      expect(signal).toBe('SIGKILL');
      expect(taken).toEqual(steps.slice(0, killAt));
      // Killed just before step killAt: the new table is visible once the publishing rename (step `publish`) has run.
      await expectRecovers(f, killAt <= publish ? before : after, after, killAt % 2 === 0);
    }
  });
});

describe.each(['manifest', 'plain'] as const)('a kill -9 of the DuckDB transform of signups over a final folder (%s)', (layout) => {
  test('at random times over many runs: the reader sees the whole old or the whole new table, never a mix', async () => {
    const { fixture, before, after } = await referenceStates(SIGNUPS_CASE, layout);
    const started = Date.now();
    runChild(copyOf(fixture), 0);
    const duration = Date.now() - started;
    const seen = { before: 0, after: 0 };
    for (let i = 0; i < RANDOM_KILLS; i++) {
      const f = copyOf(fixture);
      const child = spawn(process.execPath, childArgs(f, 0), { stdio: 'ignore', env: childEnv });
      const delay = Math.floor(duration * (0.5 + Math.random() * 0.6)); // mostly while it reads, writes and publishes
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      await new Promise((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      const rows = await tableRows(f);
      expect([before, after]).toContainEqual(rows);
      seen[JSON.stringify(rows) === JSON.stringify(before) ? 'before' : 'after']++;
      await expectRecovers(f, rows, after, i % 2 === 0);
    }
    expect(seen.before + seen.after).toBe(RANDOM_KILLS); // how many of each depends on the timing; both are whole
  });
});
