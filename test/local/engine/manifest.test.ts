// The DuckDB final folder's manifest (local/engine/manifest.ts) on a real file system: what readers see, a publish, and the clean-up after killed runs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beginRun, currentDuckDbFiles, endRun, MANIFEST_FILE, publishRun, readManifest, recoverStaleRuns } from '../../../local/engine/manifest';
import { isProcessAlive } from '../../../local/lock';
import { tempDir } from './helpers';

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function write(file: string, text = 'x'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function relative(dir: string, files: readonly string[]): string[] {
  return files.map((f) => path.relative(dir, f).split(path.sep).join('/'));
}

let live: ChildProcess | undefined;
afterEach(() => {
  live?.kill('SIGKILL');
  live = undefined;
});

describe('currentDuckDbFiles', () => {
  test('no folder: no files; a folder without a manifest: every Parquet file; with one: the files it names', () => {
    const out = path.join(tempDir('manifest-'), 'out');
    expect(currentDuckDbFiles(out).files).toEqual([]);
    write(path.join(out, 'p=1', 'a.parquet'));
    write(path.join(out, 'p=2', 'b.parquet'));
    write(path.join(out, 'p=2', '_hidden.parquet'));
    expect(relative(out, currentDuckDbFiles(out).files)).toEqual(['p=1/a.parquet', 'p=2/b.parquet']);
    write(path.join(out, MANIFEST_FILE), JSON.stringify({ version: 1, files: ['p=2/b.parquet'], replaced: ['p=1/a.parquet'] }));
    expect(relative(out, currentDuckDbFiles(out).files)).toEqual(['p=2/b.parquet']);
  });

  test('a manifest that is not one names the file, shows it and says what to do', () => {
    const out = path.join(tempDir('manifest-'), 'out');
    write(path.join(out, MANIFEST_FILE), '{"files": "all"}');
    expect(() => currentDuckDbFiles(out)).toThrow(
      `${path.join(out, MANIFEST_FILE)} is not a manifest of the DuckDB engine (expected {"version":1,"files":[...],"replaced":[...]}, got "{\\"files\\": \\"all\\"}")`,
    );
  });
});

describe('publishRun', () => {
  test('moves the new files in under new names, keeps the untouched partitions, publishes, then deletes the replaced files and empty folders', () => {
    const dir = tempDir('manifest-');
    const out = path.join(dir, 'out');
    for (const p of ['a=1/b=1', 'a=1/b=2', 'a=2/b=1']) write(path.join(out, ...p.split('/'), 'data_0.parquet'), p);
    const untouched = fs.statSync(path.join(out, 'a=1', 'b=1', 'data_0.parquet')).ino;
    const run = beginRun(out);
    write(path.join(run.dataDir, 'a=1', 'b=2', 'data_0.parquet'), 'new'); // a=1/b=2 rewritten; a=2/b=1 emptied
    const steps: string[] = [];
    publishRun(run, ['a=1/b=2', 'a=2/b=1'], (s) => steps.push(s));
    endRun(run);
    const added = `a=1/b=2/part-${run.stamp}-data_0.parquet`;
    expect(steps).toEqual([
      'publish a manifest of the files already there',
      'log the files to move in',
      `move in ${added}`,
      'publish the new manifest',
      'delete a=1/b=2/data_0.parquet',
      'delete a=2/b=1/data_0.parquet',
      'remove the staging folder',
    ]);
    expect(readManifest(out)).toEqual({ version: 1, files: ['a=1/b=1/data_0.parquet', added], replaced: ['a=1/b=2/data_0.parquet', 'a=2/b=1/data_0.parquet'] });
    expect(relative(out, currentDuckDbFiles(out).files)).toEqual(['a=1/b=1/data_0.parquet', added]);
    expect(fs.statSync(path.join(out, 'a=1', 'b=1', 'data_0.parquet')).ino).toBe(untouched); // not rewritten
    expect(fs.readFileSync(path.join(out, ...added.split('/')), 'utf8')).toBe('new');
    expect(fs.readdirSync(out).sort()).toEqual(['_duckdb_manifest.json', 'a=1']); // a=2 went with its last file
    expect(fs.readdirSync(dir)).toEqual(['out']); // no staging folder left
  });
});

describe('recoverStaleRuns', () => {
  test("deletes a gone process's unpublished files, staging folder and the replaced files still there; keeps a live process's run", () => {
    const dir = tempDir('manifest-');
    const out = path.join(dir, 'out');
    write(path.join(out, 'p=1', 'kept.parquet'));
    write(path.join(out, 'p=1', 'replaced.parquet'));
    write(path.join(out, MANIFEST_FILE), JSON.stringify({ version: 1, files: ['p=1/kept.parquet'], replaced: ['p=1/replaced.parquet'] }));
    const dead = deadPid();
    const deadStaging = path.join(dir, `.out.staging-${dead}-1-0`);
    write(path.join(deadStaging, 'moved.json'), JSON.stringify(['p=2/part-x.parquet', 'p=1/part-y.parquet']));
    write(path.join(out, 'p=2', 'part-x.parquet')); // moved in, never published
    live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const liveStaging = path.join(dir, `.out.staging-${live.pid}-2-0`);
    write(path.join(liveStaging, 'moved.json'), JSON.stringify(['p=3/part-z.parquet']));
    write(path.join(out, 'p=3', 'part-z.parquet')); // a live run's file, being moved in
    write(path.join(dir, '.other.staging-1-2-3', 'moved.json'), '[]'); // another folder's

    const removed = recoverStaleRuns(out, (pid) => isProcessAlive(pid));

    expect(removed.sort()).toEqual([deadStaging, path.join(out, 'p=1', 'replaced.parquet')].sort());
    expect(fs.readdirSync(dir).sort()).toEqual(['.other.staging-1-2-3', path.basename(liveStaging), 'out'].sort());
    expect((fs.readdirSync(out, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.parquet')).sort()).toEqual([
      path.join('p=1', 'kept.parquet'),
      path.join('p=3', 'part-z.parquet'),
    ]);
  });

  test("this process's run is kept while under way, and rolled back when it ends unpublished", () => {
    const dir = tempDir('manifest-');
    const out = path.join(dir, 'out');
    const run = beginRun(out);
    write(path.join(run.staging, 'moved.json'), JSON.stringify(['p=1/part-a.parquet']));
    write(path.join(out, 'p=1', 'part-a.parquet'));
    expect(recoverStaleRuns(out, () => false)).toEqual([]);
    endRun(run);
    expect(fs.readdirSync(dir)).toEqual(['out']);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});
