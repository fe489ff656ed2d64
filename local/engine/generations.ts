// Crash-safe writes of the DuckDB engine's final folder: each run writes a whole new generation and publishes it with one rename.
//
// Layout, for a final folder <parent>/<name> (final_output/<ds> in a workdir):
//   <parent>/<name>                     a symlink to .<name>.duckdb/g-<pid>-<ms>-<seq>, the current generation: the
//                                       Hive-partitioned Parquet as S3 holds it (<col>=<value>/*.parquet), so readers
//                                       that open <name>/ see the S3 layout;
//   <parent>/.<name>.duckdb/g-...       generations, each a complete copy of the table. A run writes the partitions it
//                                       changes with DuckDB and hard-links every file of the other partitions from the
//                                       current generation (no data copied; files are never changed once written);
//   <parent>/.<name>.duckdb/previous    a symlink to the generation that was current before the last publish, kept
//                                       so a reader that resolved it just before a publish can still read it;
//   <parent>/.<name>.duckdb/s-...       a run's staging folder: DuckDB's spill files and the link being published;
//   <parent>/.<name>.duckdb/t-...       a generation being deleted (renamed first, so a listing of it is whole or fails);
//   <parent>/.<name>.duckdb/legacy      a final folder written before generations existed, moved aside by the first run.
//
// Publishing is one rename(2) of a new symlink over <name>, which is atomic: after a kill -9 at any point, <name>
// points at the complete old generation or the complete new one. Readers resolve <name> once (currentDuckDbFiles)
// and read that generation's real paths. What a killed run leaves (an unpublished generation, a staging folder, a
// temp link) carries the pid of its writer, and removeStaleGenerations removes it once that process is gone; the
// next run of the dataset, and the pipeline's start-up clean-up under the workdir lock, both call it.
// Not covered: power loss (no fsync; the page cache survives kill -9 but not a crash of the machine), and a reader
// that keeps one generation open across two later publishes (the older one is deleted then; the reader's next read
// of it fails with a missing-file error, never with other rows).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isProcessAlive } from '../lock';
import { isHiddenName, listFiles } from './files';

/** The generation folder's kinds: g = generation, s = staging, t = being deleted; the name ends <pid>-<ms>-<seq>. */
const ENTRY_NAME = /^([gst])-((\d+)-\d+-\d+)$/;
const LEGACY = 'legacy';
const PREVIOUS = 'previous';
/** The name of the staging folder's symlink that is renamed over the final folder. */
const NEXT_LINK = 'current.link';

/** The <pid>-<ms>-<seq> stamps of the generations this process is writing (not published yet): removeStaleGenerations keeps them. */
const inProgress = new Set<string>();
let sequence = 0;

/** The hidden folder next to `outputDir` that holds its generations: <parent>/.<name>.duckdb. */
export function generationHome(outputDir: string): string {
  const resolved = path.resolve(outputDir);
  return path.join(path.dirname(resolved), `.${path.basename(resolved)}.duckdb`);
}

/** Whether a name in a final folder's parent is a DuckDB generation home (".<name>.duckdb"); hidden, so listings skip it. */
export function isGenerationHomeName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.duckdb') && name.length > '..duckdb'.length;
}

/** The final folder a generation home belongs to. */
export function outputDirOfHome(home: string): string {
  return path.join(path.dirname(home), path.basename(home).slice(1, -'.duckdb'.length));
}

/**
 * The real folder that holds the current data of a DuckDB final folder: the target of its symlink; the folder
 * itself when it is a plain folder (written before generations existed); the moved-aside legacy folder when a
 * run was killed while moving it; undefined when there is no data yet.
 */
export function currentDuckDbDir(outputDir: string): string | undefined {
  const resolved = path.resolve(outputDir);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(resolved);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const legacy = path.join(generationHome(resolved), LEGACY);
    return fs.existsSync(legacy) ? legacy : undefined;
  }
  if (stat.isSymbolicLink()) {
    try {
      return fs.realpathSync(resolved);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new Error(
        `the final folder ${resolved} links to ${fs.readlinkSync(resolved)}, which is missing (deleted by hand?); restore it, or remove the link ${resolved} to start the table again empty`,
      );
    }
  }
  if (stat.isDirectory()) return resolved;
  throw new Error(
    `${resolved} should be the DuckDB engine's final folder (a folder, or a link to one) but is a file; move it away and run the transform again`,
  );
}

/**
 * The Parquet files (real paths, sorted) of the current generation of a DuckDB final folder, listed whole: a
 * generation is renamed before it is deleted, so a listing is kept only when its folder is still the same one.
 */
export function currentDuckDbFiles(outputDir: string): { readonly dir: string | undefined; readonly files: string[] } {
  for (let attempt = 0; attempt < 10; attempt++) {
    const dir = currentDuckDbDir(outputDir);
    if (dir === undefined) return { dir, files: [] };
    const before = inodeOf(dir);
    const files = listFiles(dir, '.parquet');
    if (before !== undefined && inodeOf(dir) === before) return { dir, files };
  }
  throw new Error(`the final folder ${path.resolve(outputDir)} changed under every one of 10 listings (runs publishing faster than it can be read); try again`);
}

function inodeOf(dir: string): bigint | undefined {
  try {
    return fs.statSync(dir, { bigint: true }).ino;
  } catch {
    return undefined;
  }
}

/** A generation being written: its folder (created by the writer) and its staging folder (DuckDB spill files, the link to publish). */
export interface NewGeneration {
  readonly outputDir: string;
  readonly home: string;
  /** <pid>-<ms>-<seq>: the end of the generation's and the staging folder's names. */
  readonly stamp: string;
  readonly dir: string;
  readonly staging: string;
}

/** Names a new generation of `outputDir` for this process; nothing is created yet. */
export function beginGeneration(outputDir: string): NewGeneration {
  const resolved = path.resolve(outputDir);
  const home = generationHome(resolved);
  const stamp = `${process.pid}-${Date.now()}-${sequence++}`;
  inProgress.add(stamp);
  return { outputDir: resolved, home, stamp, dir: path.join(home, `g-${stamp}`), staging: path.join(home, `s-${stamp}`) };
}

/** Called before each file-system change of a publish, with its name (crash tests stop the process there). */
export type StepHook = (step: string) => void;

/**
 * Completes `generation` (hard links to the files of `currentDir` outside the `rewritten` partitions) and makes it
 * the current one with one rename; then deletes the generation that is now neither current nor previous.
 */
export function publishGeneration(
  generation: NewGeneration,
  currentDir: string | undefined,
  rewritten: readonly string[],
  onStep: StepHook = () => undefined,
): void {
  const { outputDir, home, dir, staging } = generation;
  fs.mkdirSync(dir, { recursive: true });
  if (currentDir !== undefined) linkUnchanged(currentDir, dir, new Set(rewritten), onStep);
  fs.mkdirSync(staging, { recursive: true });
  if (currentDir !== undefined) {
    const kept = currentDir === outputDir ? LEGACY : path.relative(home, currentDir);
    onStep('point previous at the current generation');
    replaceLink(path.join(staging, PREVIOUS), kept, path.join(home, PREVIOUS));
    if (currentDir === outputDir) {
      onStep('move the plain final folder aside');
      removeEntry(home, LEGACY);
      fs.renameSync(outputDir, path.join(home, LEGACY));
    }
  }
  onStep('publish the new generation');
  replaceLink(path.join(staging, NEXT_LINK), path.relative(path.dirname(outputDir), dir), outputDir);
  inProgress.delete(generation.stamp);
  onStep('delete the generations no longer in use');
  removeStaleGenerations(outputDir, (pid) => isProcessAlive(pid));
}

/** Makes `target` a symlink to `linkText` in one rename (of a new link made at `temp`). */
function replaceLink(temp: string, linkText: string, target: string): void {
  fs.rmSync(temp, { force: true });
  fs.symlinkSync(linkText, temp);
  fs.renameSync(temp, target);
}

/** Hard-links every file of `from` outside the `rewritten` partitions into `to` (a copy where links are refused). */
function linkUnchanged(from: string, to: string, rewritten: ReadonlySet<string>, onStep: StepHook): void {
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
      if (isHiddenName(entry.name)) continue;
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!rewritten.has(child)) walk(child);
        continue;
      }
      if (!entry.isFile() || (rewritten.has(rel) && (rel !== '' || entry.name.endsWith('.parquet')))) continue;
      const source = path.join(from, ...child.split('/'));
      const target = path.join(to, ...child.split('/'));
      onStep(`link ${child}`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      try {
        fs.linkSync(source, target);
      } catch (err) {
        if (!['EPERM', 'EXDEV', 'ENOTSUP', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
        fs.copyFileSync(source, target);
      }
    }
  };
  walk('');
}

/** Deletes a generation folder by renaming it first (so a reader's listing of it is whole or fails), then removing it. */
function removeEntry(home: string, name: string): string | undefined {
  const full = path.join(home, name);
  if (!fs.existsSync(full) && !isLink(full)) return undefined;
  const trash = path.join(home, `t-${process.pid}-${Date.now()}-${sequence++}`);
  fs.renameSync(full, trash);
  fs.rmSync(trash, { recursive: true, force: true });
  return full;
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The name (in the home) a link of the home points at, or undefined. */
function linkedName(home: string, link: string): string | undefined {
  try {
    const target = path.resolve(path.dirname(link), fs.readlinkSync(link));
    return path.dirname(target) === home ? path.basename(target) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes what is no longer needed in `outputDir`'s generation home: generations that are neither current nor
 * previous, staging folders and half-deleted generations, when their writer is gone (another process for which
 * `isAlive(pid)` is false, or this process when it is not writing them). The home goes when it is left empty.
 * Returns the removed paths.
 */
export function removeStaleGenerations(outputDir: string, isAlive: (pid: number) => boolean): string[] {
  const resolved = path.resolve(outputDir);
  const home = generationHome(resolved);
  let names: string[];
  try {
    names = fs.readdirSync(home);
  } catch {
    return [];
  }
  const inUse = new Set([linkedName(home, resolved), linkedName(home, path.join(home, PREVIOUS))]);
  if (!fs.existsSync(resolved)) inUse.add(LEGACY); // a run was killed while moving the plain folder aside: it is still the current data
  const removed: string[] = [];
  for (const name of names) {
    if (inUse.has(name)) continue;
    const match = ENTRY_NAME.exec(name);
    if (name !== LEGACY && !match) continue;
    const pid = match ? Number(match[3]) : 0;
    const running = pid === process.pid ? inProgress.has(match?.[2] ?? '') : pid > 0 && isAlive(pid);
    if (running) continue;
    if (match?.[1] === 'g' || name === LEGACY) {
      const gone = removeEntry(home, name); // a generation may be read: renamed first
      if (gone) removed.push(gone);
    } else {
      fs.rmSync(path.join(home, name), { recursive: true, force: true }); // staging, or already being deleted
      removed.push(path.join(home, name));
    }
  }
  removeIfEmpty(home);
  return removed;
}

/** Removes a generation that was not published (a failed run) and its staging folder; the home goes when left empty. */
export function abandonGeneration(generation: NewGeneration): void {
  fs.rmSync(generation.staging, { recursive: true, force: true });
  if (inProgress.delete(generation.stamp)) fs.rmSync(generation.dir, { recursive: true, force: true });
  removeIfEmpty(generation.home);
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty, or gone
  }
}
