// `csv-pipeline transform` holds the lock `run` and `watch` hold: two transforms of one folder, or a transform during a run, take turns.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run as runTransform } from '../../cli/commands/transform';
import { loadPipelineConfig } from '../../config/load';
import { LOCK_FILE } from '../../local/lock';
import { readManifest } from '../../local/engine/manifest';
import { transformLockFolder } from '../../local/pipeline';
import { openLocalTables } from '../../local/tables';
import { CLI_ENTRY, REPO_ROOT } from '../support/test-build';

jest.setTimeout(180_000);

const CONFIG = path.join(REPO_ROOT, 'pipeline.config.json');
const config = loadPipelineConfig(CONFIG);
const INGESTED_AT = '2024-12-01T10:00:00Z';
/** Rows per input: enough that one transform takes seconds, so two started together overlap. */
const ROWS = 150_000;
const STATUSES = ['active', 'inactive', 'pending'];

interface Exit {
  readonly pid: number;
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
}

/** Starts the CLI from its test build; `exited` resolves when it ends. */
function start(args: string[], cwd: string): { pid: number; stderr: () => string; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code) => resolve({ pid: child.pid!, code, stderr, stdout })));
  return { pid: child.pid!, stderr: () => stderr, exited };
}

function transform(input: string, output: string, cwd: string) {
  return start(['transform', '--config', CONFIG, '--dataset', 'signups', '--input', input, '--output', output, '--ingested-at', INGESTED_AT], cwd);
}

/** Valid signups rows with ids first..first+count-1 over 2024's twelve months, as CSV (header first). */
function signupsCsv(first: number, count: number): string {
  const lines = ['id,name,email,signup_date,status'];
  for (let id = first; id < first + count; id++) {
    const month = String((id % 12) + 1).padStart(2, '0');
    const day = String((id % 28) + 1).padStart(2, '0');
    lines.push(`${id},Person ${id},p${id}@example.com,2024-${month}-${day},${STATUSES[id % 3]}`);
  }
  return `${lines.join('\n')}\n`;
}

function writeFile(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

async function until(found: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!found()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Whether the signups table, read with the project's reader, holds exactly the rows of ids 1..count (each once,
 * with its generated values): the rows that differ either way are counted by DuckDB against the expectation.
 */
async function expectSignups(workdir: string, count: number): Promise<void> {
  const tables = await openLocalTables(workdir, config);
  try {
    const expected = `SELECT i AS user_id, 'Person ' || i AS full_name, 'p' || i || '@example.com' AS email,
      make_date(2024, (i % 12) + 1, (i % 28) + 1) AS signup_date, ['active', 'inactive', 'pending'][(i % 3) + 1] AS status
      FROM range(1, ${count + 1}) t(i)`;
    const actual = 'SELECT CAST(user_id AS BIGINT), full_name, email, CAST(signup_date AS DATE), CAST(status AS VARCHAR) FROM signups';
    const { rows } = await tables.query(
      `SELECT (SELECT count(*) FROM signups), (SELECT count(*) FROM ((${actual}) EXCEPT ALL (${expected}))), (SELECT count(*) FROM ((${expected}) EXCEPT ALL (${actual})))`,
    );
    expect(rows[0].map(Number)).toEqual([count, 0, 0]);
  } finally {
    tables.close();
  }
}

/** No lock left in `lockRoot`, no staging folder beside the table, no temp file; the table folder holds exactly the Parquet files its manifest names. */
function expectNothingLeft(lockRoot: string, table: string): void {
  expect(fs.readdirSync(lockRoot).filter((n) => n.startsWith(LOCK_FILE))).toEqual([]); // .lock, .lock.takeover
  expect(fs.readdirSync(path.dirname(table)).filter((n) => n !== path.basename(table) && n.startsWith('.'))).toEqual([]); // no .signups.staging-*
  const onDisk = fs
    .readdirSync(table, { recursive: true, encoding: 'utf8' })
    .filter((f) => !fs.statSync(path.join(table, f)).isDirectory() && f !== '_duckdb_manifest.json')
    .map((f) => f.split(path.sep).join('/'))
    .sort();
  expect(onDisk).toEqual(readManifest(table)?.files);
  expect(fs.existsSync(path.join(lockRoot, '.tmp')) ? fs.readdirSync(path.join(lockRoot, '.tmp')) : []).toEqual([]);
}

/** A workdir whose signups table is `table` (a symbolic link), for the project's reader. */
function readerWorkdir(table: string): string {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-transform-lock-reader-'));
  fs.mkdirSync(path.join(workdir, 'final_output'));
  fs.symlinkSync(table, path.join(workdir, 'final_output', 'signups'));
  return workdir;
}

const WAITING = (place: string, root: string, pid: number, command: string) =>
  new RegExp(`^csv-pipeline transform: the ${place} ${root} is in use by process ${pid} \\(${command}, started [^)]*\\); waiting for it to finish`, 'm');

describe('csv-pipeline transform takes the workdir lock', () => {
  let dir: string;
  let workdir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-transform-lock-'));
    workdir = path.join(dir, 'wd');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('locks the workdir of <workdir>/final_output/<ds>, else the output folder parent', () => {
    expect(transformLockFolder(path.join(dir, 'wd', 'final_output', 'signups'))).toEqual({ root: workdir, workdir: true });
    expect(transformLockFolder(`${path.join(dir, 'wd', 'final_output', 'signups')}/`)).toEqual({ root: workdir, workdir: true });
    expect(transformLockFolder(path.join(dir, 'out', 'signups'))).toEqual({ root: path.join(dir, 'out'), workdir: false });
  });

  it('checks --input before the lock: a missing input folder fails (exit 1, naming it) and creates no folder for the lock', async () => {
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    try {
      for (const engine of ['duckdb', 'spark']) {
        const input = path.join(dir, 'typo', 'signups');
        const args = ['--input', input, '--output', path.join(workdir, 'final_output', 'signups'), '--config', CONFIG, '--engine', engine];
        expect(await runTransform(args, () => undefined)).toBe(1);
        expect(errors.pop()).toContain(
          `transform (${engine}) of dataset "signups": input folder ${input} does not exist; pass the processed/<dataset>/ folder with --input`,
        );
      }
    } finally {
      spy.mockRestore();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['<workdir>/final_output/signups', 'workdir', ['wd', 'final_output', 'signups'], ['wd']],
    ['any other folder', 'folder', ['plain', 'signups'], ['plain']],
  ])('two transforms of %s started together take turns: the second waits naming the first, then both inputs are in', async (_, place, outputAt, lockAt) => {
    const inputA = path.join(workdir, 'processed', 'signups');
    writeFile(path.join(inputA, 'a.csv'), signupsCsv(1, ROWS));
    const inputB = path.join(dir, 'more', 'signups');
    writeFile(path.join(inputB, 'b.csv'), signupsCsv(ROWS + 1, ROWS));
    const output = path.join(dir, ...outputAt);
    const lockRoot = path.join(dir, ...lockAt);

    const a = transform(inputA, output, dir);
    const b = transform(inputB, output, dir);
    const [ea, eb] = await Promise.all([a.exited, b.exited]);

    expect([ea.code, eb.code]).toEqual([0, 0]);
    for (const e of [ea, eb]) expect(e.stdout).toMatch(/^transform signups \(duckdb\): 1 file, 150000 rows in, 150000 rows out, 12 partitions written/);
    const reader = readerWorkdir(output);
    try {
      await expectSignups(reader, 2 * ROWS);
    } finally {
      fs.rmSync(reader, { recursive: true, force: true });
    }
    expectNothingLeft(lockRoot, output);
    const waited = [ea, eb].filter((e) => e.stderr.includes('waiting for it to finish'));
    expect(waited).toHaveLength(1); // the other one got the lock first
    const holder = waited[0] === ea ? eb : ea;
    expect(waited[0].stderr).toMatch(WAITING(place, lockRoot, holder.pid, 'csv-pipeline transform'));
    expect(waited[0].stderr).toContain('(Ctrl-C to stop; if that process is stuck, stop it, or write to another --output)');
    expect(holder.stderr).toBe('');
  });

  it('waits while a csv-pipeline run holds the workdir, then merges into what the run wrote', async () => {
    const raw = writeFile(path.join(dir, 'signups.csv'), signupsCsv(1, ROWS));
    const input = path.join(dir, 'more', 'signups');
    writeFile(path.join(input, 'b.csv'), signupsCsv(ROWS + 1, 1000));

    const run = start(['run', raw, '--config', CONFIG, '--workdir', workdir, '--quiet'], dir);
    const lockFile = path.join(workdir, LOCK_FILE);
    await until(() => fs.existsSync(lockFile) && fs.readFileSync(lockFile, 'utf8').includes('"csv-pipeline run"'), "the run's lock");
    const t = transform(input, path.join(workdir, 'final_output', 'signups'), dir);
    const [er, et] = await Promise.all([run.exited, t.exited]);

    expect([er.code, et.code]).toEqual([0, 0]);
    expect(et.stdout).toMatch(/^transform signups \(duckdb\): 1 file, 1000 rows in, 1000 rows out/);
    await expectSignups(workdir, ROWS + 1000);
    expect(et.stderr).toMatch(WAITING('workdir', workdir, run.pid, 'csv-pipeline run')); // it started while the run held the lock
    expectNothingLeft(workdir, path.join(workdir, 'final_output', 'signups'));
  });
});
