// One run at a time per workdir: a second run waits for the lock (naming its holder), a dead holder's lock and temp files are taken over and removed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../../config/load';
import { LOCK_FILE, newOwner, procStartOf, type LockOwner } from '../../../local/lock';
import { runLocalPipeline } from '../../../local/pipeline';
import { openLocalTables } from '../../../local/tables';
import { expectedSignups, SAMPLE_DIR } from './expected';

jest.setTimeout(120_000);

const config = loadPipelineConfig(path.resolve(__dirname, '../../../pipeline.config.json'));
const MORE = 'id,name,email,signup_date,status\n101,Zoe Field,zoe@example.com,2024-11-30,active\n';

async function countSignups(workdir: string): Promise<number> {
  const tables = await openLocalTables(workdir, config);
  try {
    return Number((await tables.query('SELECT count(*) FROM signups')).rows[0][0]);
  } finally {
    tables.close();
  }
}

async function until(found: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!found()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function writeLock(workdir: string, owner: Partial<LockOwner>): void {
  fs.mkdirSync(workdir, { recursive: true });
  fs.writeFileSync(path.join(workdir, LOCK_FILE), JSON.stringify({ ...newOwner('csv-pipeline run'), ...owner }));
}

describe('the workdir lock', () => {
  let dir: string;
  let workdir: string;
  let more: string;
  let child: ChildProcess | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-lock-'));
    workdir = path.join(dir, 'wd');
    more = path.join(dir, 'signups-more.csv');
    fs.writeFileSync(more, MORE);
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('makes two concurrent runs on one workdir take turns: the second waits, naming the first, and no rows are lost', async () => {
    const notices: string[][] = [[], []];
    const [a, b] = await Promise.all([
      runLocalPipeline({ config, workdir, files: [path.join(SAMPLE_DIR, 'signups.csv')], skipDashboard: true, notice: (m) => notices[0].push(m) }),
      runLocalPipeline({ config, workdir, files: [more], skipDashboard: true, notice: (m) => notices[1].push(m) }),
    ]);
    expect(notices[0]).toEqual([]);
    expect(notices[1]).toEqual([
      expect.stringMatching(new RegExp(`^the workdir .* is in use by process ${process.pid} \\(csv-pipeline run, started .*\\); waiting for it to finish`)),
    ]);
    expect([a.files[0].status, b.files[0].status]).toEqual(['processed', 'processed']);
    expect(await countSignups(workdir)).toBe(expectedSignups().final.length + 1);
    expect(fs.existsSync(path.join(workdir, LOCK_FILE))).toBe(false);
  });

  it('waits while another live process holds the lock, and takes it over once that process is gone', async () => {
    child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const pid = child.pid!;
    writeLock(workdir, { pid, procStart: procStartOf(pid), command: 'csv-pipeline watch' });
    const notices: string[] = [];
    let finished = false;
    const run = runLocalPipeline({ config, workdir, files: [more], skipDashboard: true, notice: (m) => notices.push(m) }).finally(() => (finished = true));

    await until(() => notices.length > 0, 'the waiting notice');
    expect(notices[0]).toMatch(new RegExp(`is in use by process ${pid} \\(csv-pipeline watch, started .* on ${os.hostname()}\\); waiting`));
    expect(finished).toBe(false);
    expect(fs.existsSync(path.join(workdir, 'raw', 'signups', 'signups-more.csv'))).toBe(false); // nothing done while waiting

    child.kill('SIGKILL');
    await run;
    expect(notices[1]).toMatch(new RegExp(`took over the workdir lock .*: process ${pid} \\(csv-pipeline watch, .*\\) is no longer running`));
    expect(await countSignups(workdir)).toBe(1);
  });

  it('takes over the lock of a dead process, or of a reused pid, with a message', async () => {
    const dead = deadPid();
    writeLock(workdir, { pid: dead });
    const notices: string[] = [];
    await runLocalPipeline({ config, workdir, files: [more], skipDashboard: true, notice: (m) => notices.push(m) });
    expect(notices).toEqual([expect.stringMatching(new RegExp(`took over the workdir lock .*: process ${dead} .* is no longer running`))]);

    const own = procStartOf(process.pid);
    if (own === undefined) return; // no /proc: pid reuse cannot be told apart here
    writeLock(workdir, { pid: process.pid, procStart: own + 1 }); // our pid, but another process's start time
    notices.length = 0;
    await runLocalPipeline({ config, workdir, skipDashboard: true, notice: (m) => notices.push(m) });
    expect(notices).toEqual([expect.stringContaining(`process ${process.pid}`)]);
    expect(notices[0]).toContain('is no longer running');
  });

  it('removes temp files and staging folders of processes that are gone, and keeps those of live ones', async () => {
    const dead = deadPid();
    const tmp = path.join(workdir, '.tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const stale = path.join(tmp, `x-1234.csv.${dead}.deadbeef.tmp`);
    const live = path.join(tmp, `y-1234.csv.${process.pid}.0badf00d.tmp`);
    fs.writeFileSync(stale, 'half a file');
    fs.writeFileSync(live, 'being written');
    const staging = path.join(workdir, 'final_output', `.signups.staging-${dead}-1700000000000`);
    fs.mkdirSync(path.join(staging, 'final'), { recursive: true });
    const notices: string[] = [];

    await runLocalPipeline({ config, workdir, files: [more], skipDashboard: true, notice: (m) => notices.push(m) });

    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(staging)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    expect(notices).toEqual([
      expect.stringContaining(
        `removed 2 temp file(s) left by stopped processes: .tmp/x-1234.csv.${dead}.deadbeef.tmp, final_output/.signups.staging-${dead}-1700000000000`,
      ),
    ]);
    expect(await countSignups(workdir)).toBe(1);
  });

  it('rolls back a killed DuckDB transform: its staging folder and the files it had moved in but not published go, the table keeps its rows', async () => {
    await runLocalPipeline({ config, workdir, files: [more], skipDashboard: true });
    const dead = deadPid();
    const final = path.join(workdir, 'final_output');
    const staging = path.join(final, `.signups.staging-${dead}-1700000000000-0`);
    const unpublished = path.join(final, 'signups', 'signup_month=2024-11', `part-${dead}-1700000000000-0-data_0.parquet`);
    fs.mkdirSync(staging, { recursive: true });
    fs.writeFileSync(path.join(staging, 'moved.json'), JSON.stringify([`signup_month=2024-11/${path.basename(unpublished)}`]));
    fs.copyFileSync(fs.readdirSync(path.dirname(unpublished)).map((f) => path.join(path.dirname(unpublished), f))[0], unpublished); // a duplicate of the rows
    expect(await countSignups(workdir)).toBe(1); // readers go by the manifest, which does not name it
    const notices: string[] = [];

    await runLocalPipeline({ config, workdir, skipDashboard: true, notice: (m) => notices.push(m) });

    expect(fs.existsSync(staging)).toBe(false);
    expect(fs.existsSync(unpublished)).toBe(false);
    expect(notices).toEqual([expect.stringContaining(`final_output/.signups.staging-${dead}-1700000000000-0`)]);
    expect(await countSignups(workdir)).toBe(1);
  });
});
