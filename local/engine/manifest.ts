// Crash-safe writes of the DuckDB engine's final folder: immutable Parquet files, and a manifest of the current ones replaced with one rename.
//
// Layout, for a final folder <parent>/<name> (final_output/<ds> in a workdir):
//   <name>/<col>=<value>/part-<stamp>-data_0.parquet   data files, the S3 layout; each run gives its files new names
//                                                       and never changes a file once written;
//   <name>/_duckdb_manifest.json                       the table: which files are current ({ files, replaced });
//                                                       "_" keeps it out of Spark's, Hive's and our Parquet listings;
//   <parent>/.<name>.staging-<pid>-<ms>-<seq>/          one run's staging: DuckDB's output and spill files, and the
//                                                       log of the files it moves into <name>/ before publishing.
//
// A run writes the partitions it changes into its staging folder, logs their final names, moves them into <name>/
// (new names: no reader of the manifest sees them yet), then publishes a new manifest with one rename(2), and only
// then deletes the files of the partitions it replaced. The cost is that of the partitions it changes, plus writing
// a list of the table's files. After a kill -9 at any point the manifest names the complete old table or the
// complete new one. The next run (and the pipeline's start-up clean-up under the workdir lock) deletes what a run
// whose process is gone left: the logged files that did not make it into the manifest, the files the manifest says
// were replaced, and the staging folder. A folder without a manifest (written before manifests existed) is read
// whole; its first run publishes a manifest of those files before it moves anything in.
// Readers resolve the current files once (currentDuckDbFiles). Not covered: power loss (no fsync), and a reader
// that reads its files after a publish that replaced them: it fails with a missing file, never reads other rows.
// Readers that list <name>/**/*.parquet themselves (not through the manifest) see a run's new files early, and a
// killed run's until the next run: use currentDuckDbFiles.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles } from './files';

/** The manifest's name inside the final folder. */
export const MANIFEST_FILE = '_duckdb_manifest.json';
/** A run's staging folder next to the final folder: .<name>.staging-<pid>-<ms>-<seq>. */
const STAGING_NAME = /^\.(.+)\.staging-((\d+)-\d+-\d+)$/;
/** The staging folder's log of the files the run moves into the final folder (relative paths). */
const MOVE_LOG = 'moved.json';

/** The current files of a final folder (relative, '/'-separated) and those the last publish replaced (deleted after it). */
export interface Manifest {
  readonly version: 1;
  readonly files: readonly string[];
  readonly replaced: readonly string[];
}

/** The stamps of the runs this process has under way (not published yet): recoverStaleRuns leaves them alone. */
const inProgress = new Set<string>();
let sequence = 0;

/** The manifest of a final folder, or undefined when it has none (an empty folder, or one older than manifests). */
export function readManifest(outputDir: string): Manifest | undefined {
  const file = path.join(path.resolve(outputDir), MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Manifest;
    if (parsed.version === 1 && Array.isArray(parsed.files) && Array.isArray(parsed.replaced)) return parsed;
  } catch {
    // reported below
  }
  throw new Error(
    `${file} is not a manifest of the DuckDB engine (expected {"version":1,"files":[...],"replaced":[...]}, got ${JSON.stringify(text.slice(0, 80))}); ` +
      `it is only ever replaced whole, so it was edited by hand: restore it, or delete it to read every Parquet file of the folder`,
  );
}

/** The current files of a final folder, relative: the manifest's, or every Parquet file of a folder without one. */
function currentRelative(outputDir: string, manifest: Manifest | undefined): string[] {
  if (manifest) return [...manifest.files];
  return listFiles(outputDir, '.parquet').map((f) => path.relative(outputDir, f).split(path.sep).join('/'));
}

/** The Parquet files (absolute, sorted) of the current table in a DuckDB final folder; none when it does not exist. */
export function currentDuckDbFiles(outputDir: string): { readonly dir: string; readonly files: string[] } {
  const dir = path.resolve(outputDir);
  const files = currentRelative(dir, readManifest(dir)).map((rel) => path.join(dir, ...rel.split('/')));
  return { dir, files: files.sort() };
}

/** A run under way: where DuckDB writes (dataDir) and spills (staging). */
export interface StagedRun {
  readonly outputDir: string;
  readonly staging: string;
  readonly dataDir: string;
  /** <pid>-<ms>-<seq>: in the staging folder's name and the names of the files the run adds. */
  readonly stamp: string;
}

/** Names a run's staging folder; nothing is created yet. */
export function beginRun(outputDir: string): StagedRun {
  const resolved = path.resolve(outputDir);
  const stamp = `${process.pid}-${Date.now()}-${sequence++}`;
  const staging = path.join(path.dirname(resolved), `.${path.basename(resolved)}.staging-${stamp}`);
  inProgress.add(stamp);
  return { outputDir: resolved, staging, dataDir: path.join(staging, 'data'), stamp };
}

/** Called before each file-system change of a publish, with its name (crash tests stop the process there). */
export type StepHook = (step: string) => void;

/** The partition folder of a relative file path ('' at the root). */
function partitionOfRelative(rel: string): string {
  const dir = path.posix.dirname(rel);
  return dir === '.' ? '' : dir;
}

/**
 * Publishes the run: the Parquet files under its dataDir replace the current files of the `rewritten` partitions
 * (relative, '' for the root). Moves the new files in under new names, replaces the manifest with one rename, then
 * deletes the replaced files and the staging folder.
 */
export function publishRun(run: StagedRun, rewritten: readonly string[], onStep: StepHook = () => undefined): void {
  const { outputDir, staging } = run;
  fs.mkdirSync(staging, { recursive: true });
  fs.mkdirSync(outputDir, { recursive: true });
  const current = readManifest(outputDir);
  const existing = currentRelative(outputDir, current);
  if (!current) {
    onStep('publish a manifest of the files already there');
    writeManifest(run, { version: 1, files: existing, replaced: [] });
  }
  const moves = listFiles(run.dataDir, '.parquet').map((from) => {
    const rel = path.relative(run.dataDir, from).split(path.sep).join('/');
    const partition = partitionOfRelative(rel);
    const name = `part-${run.stamp}-${path.posix.basename(rel)}`;
    return { from, to: partition ? `${partition}/${name}` : name };
  });
  onStep('log the files to move in');
  writeAtomically(path.join(staging, MOVE_LOG), JSON.stringify(moves.map((m) => m.to)), staging);
  for (const { from, to } of moves) {
    onStep(`move in ${to}`);
    const target = path.join(outputDir, ...to.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(from, target);
  }
  const changed = new Set(rewritten);
  const replaced = existing.filter((rel) => changed.has(partitionOfRelative(rel)));
  const kept = existing.filter((rel) => !changed.has(partitionOfRelative(rel)));
  onStep('publish the new manifest');
  writeManifest(run, { version: 1, files: [...kept, ...moves.map((m) => m.to)].sort(), replaced });
  inProgress.delete(run.stamp);
  for (const rel of replaced) {
    onStep(`delete ${rel}`);
    removeFile(outputDir, rel);
  }
  onStep('remove the staging folder');
  fs.rmSync(staging, { recursive: true, force: true });
}

function writeManifest(run: StagedRun, manifest: Manifest): void {
  writeAtomically(path.join(run.outputDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`, run.staging);
}

/** Writes `file` by renaming a finished temp file (in `tempDir`, same file system) over it. */
function writeAtomically(file: string, text: string, tempDir: string): void {
  const temp = path.join(tempDir, `${path.basename(file)}.tmp`);
  fs.writeFileSync(temp, text);
  fs.renameSync(temp, file);
}

/** Deletes a file of the final folder and the partition folders it leaves empty. */
function removeFile(outputDir: string, rel: string): void {
  fs.rmSync(path.join(outputDir, ...rel.split('/')), { force: true });
  let dir = partitionOfRelative(rel);
  while (dir !== '') {
    try {
      fs.rmdirSync(path.join(outputDir, ...dir.split('/')));
    } catch {
      return; // not empty
    }
    dir = partitionOfRelative(dir);
  }
}

/** Undoes a run that was not published (failed or killed): its logged files that the manifest does not name, and its staging folder. */
function rollBack(outputDir: string, staging: string): void {
  let logged: string[] = [];
  try {
    logged = JSON.parse(fs.readFileSync(path.join(staging, MOVE_LOG), 'utf8')) as string[];
  } catch {
    // nothing was moved: the log is written (whole, by a rename) before the first move
  }
  const current = new Set(readManifest(outputDir)?.files ?? []);
  for (const rel of logged) if (!current.has(rel)) removeFile(outputDir, rel);
  fs.rmSync(staging, { recursive: true, force: true });
}

/** Ends a run in this process: a run that was not published is rolled back. */
export function endRun(run: StagedRun): void {
  if (inProgress.delete(run.stamp)) rollBack(run.outputDir, run.staging);
  else fs.rmSync(run.staging, { recursive: true, force: true });
}

/**
 * Deletes what runs of `outputDir` whose process is gone left (another process for which `isAlive(pid)` is false,
 * or this process when the run is no longer under way): unpublished files, staging folders, and the files the
 * manifest says were replaced. Returns the removed staging folders and files.
 */
export function recoverStaleRuns(outputDir: string, isAlive: (pid: number) => boolean): string[] {
  const resolved = path.resolve(outputDir);
  const parent = path.dirname(resolved);
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(parent);
  } catch {
    // no parent yet: nothing to recover
  }
  for (const name of names) {
    const match = STAGING_NAME.exec(name);
    if (!match || match[1] !== path.basename(resolved)) continue;
    const pid = Number(match[3]);
    if (pid === process.pid ? inProgress.has(match[2]) : isAlive(pid)) continue;
    rollBack(resolved, path.join(parent, name));
    removed.push(path.join(parent, name));
  }
  for (const rel of readManifest(resolved)?.replaced ?? []) {
    const file = path.join(resolved, ...rel.split('/'));
    if (!fs.existsSync(file)) continue;
    removeFile(resolved, rel);
    removed.push(file);
  }
  return removed;
}

/** The final folders under `parent` with a staging folder left next to them (for the workdir's start-up clean-up). */
export function foldersWithStaging(parent: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const folders = names.flatMap((name) => {
    const match = STAGING_NAME.exec(name);
    return match ? [path.join(parent, match[1])] : [];
  });
  return [...new Set(folders)].sort();
}
