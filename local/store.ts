// The local object store: a folder laid out like the S3 buckets (key K is the file <workdir>/K), with atomic writes.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { foldersWithStaging, recoverStaleRuns } from './engine/manifest';

/** The workdir when --workdir is not given. */
export const DEFAULT_WORKDIR = '.pipeline';

/** Folders every workdir has: the S3 prefixes plus the local catalog and dashboard. */
export const STORE_FOLDERS = ['raw', 'processed', 'quarantine', 'reports', 'inferred', 'final_output', 'catalog', 'dashboard'] as const;

/** Where raw files that match no dataset go (read in inferred mode, like an S3 key under no dataset prefix). */
export const UNROUTED_RAW_PREFIX = 'raw/_unrouted/';

/** Scratch space for temp files; inside the workdir so that renames stay on one filesystem. */
const TEMP_FOLDER = '.tmp';
/** A temp file's name (see tempPath): <name>.<pid>.<8 hex>.tmp; group 1 is the pid of the writer. */
const TEMP_NAME = /\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** The staging folder an older DuckDB transform made next to final_output/<ds>/: .<ds>.staging-<pid>-<ms> (today's: local/engine/manifest.ts). */
const STAGING_NAME = /^\..+\.staging-(\d+)-\d+$/;
const PREFIXES_FINAL = 'final_output';

export class LocalObjectStore {
  readonly root: string;

  constructor(workdir: string) {
    if (workdir.trim() === '') {
      throw new Error(
        `The workdir is empty (got ${JSON.stringify(workdir)}); give a folder such as "${DEFAULT_WORKDIR}" (an empty one would be the current folder)`,
      );
    }
    this.root = path.resolve(workdir);
  }

  /** Creates the workdir and its top-level folders. */
  init(): void {
    for (const folder of [...STORE_FOLDERS, TEMP_FOLDER]) fs.mkdirSync(path.join(this.root, folder), { recursive: true });
  }

  /** The file that holds key K. Keys are S3-style ("raw/signups/a.csv"); ".." and absolute keys are refused. */
  pathOf(key: string): string {
    const normalised = path.posix.normalize(key);
    if (normalised.startsWith('../') || normalised === '..' || path.posix.isAbsolute(normalised)) {
      throw new Error(`Object key "${key}" leaves the local store ${this.root}; use a key relative to the workdir, e.g. "raw/signups/file.csv"`);
    }
    return path.join(this.root, ...normalised.split('/'));
  }

  /** The key of a file inside the store. */
  keyOf(file: string): string {
    const relative = path.relative(this.root, path.resolve(file));
    if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`${file} is not inside the local store ${this.root}`);
    return relative.split(path.sep).join('/');
  }

  exists(key: string): boolean {
    return fs.existsSync(this.pathOf(key));
  }

  /** Keys of the files under a prefix, sorted; temp files and hidden files are skipped. */
  list(prefix: string): string[] {
    const base = this.pathOf(prefix);
    const keys: string[] = [];
    const walk = (dir: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile()) keys.push(this.keyOf(full));
      }
    };
    walk(base);
    return keys.sort();
  }

  /** A fresh temp file path (not created) for a write that is renamed into place later. */
  tempPath(hint: string): string {
    fs.mkdirSync(path.join(this.root, TEMP_FOLDER), { recursive: true });
    return path.join(this.root, TEMP_FOLDER, `${path.basename(hint)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  }

  /** Moves a finished temp file to key K in one rename, so readers never see a partial object (as S3 PutObject). */
  commit(tempFile: string, key: string): void {
    const target = this.pathOf(key);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(tempFile, target);
  }

  /** Writes bytes or text to key K atomically. */
  put(key: string, body: string | Uint8Array): void {
    const temp = this.tempPath(key);
    fs.writeFileSync(temp, body);
    this.commit(temp, key);
  }

  /** Copies a local file to key K atomically. */
  async putFile(key: string, source: string): Promise<void> {
    const temp = this.tempPath(key);
    await pipeline(fs.createReadStream(source), fs.createWriteStream(temp));
    this.commit(temp, key);
  }

  /**
   * Removes what a killed process (kill -9, power loss) left behind: temp files under .tmp/, and under final_output/
   * the DuckDB transform's staging folders with the files they moved in unpublished (local/engine/manifest.ts), when
   * their process is not running (`isAlive(pid)` false). Call it while holding the workdir lock. Returns the removed paths.
   */
  removeStaleTemp(isAlive: (pid: number) => boolean): string[] {
    const removed = foldersWithStaging(path.join(this.root, PREFIXES_FINAL)).flatMap((folder) => recoverStaleRuns(folder, isAlive));
    for (const [folder, pattern] of [
      [TEMP_FOLDER, TEMP_NAME],
      [PREFIXES_FINAL, STAGING_NAME],
    ] as const) {
      let names: string[];
      try {
        names = fs.readdirSync(path.join(this.root, folder));
      } catch {
        continue;
      }
      for (const name of names) {
        const pid = Number(pattern.exec(name)?.[1]);
        if (!Number.isInteger(pid) || pid <= 0 || isAlive(pid)) continue;
        const full = path.join(this.root, folder, name);
        fs.rmSync(full, { recursive: true, force: true });
        removed.push(full);
      }
    }
    return removed;
  }

  /** Removes a temp file that will not be committed; missing files are fine. */
  discard(tempFile: string): void {
    fs.rmSync(tempFile, { force: true });
  }

  readText(key: string): string {
    return fs.readFileSync(this.pathOf(key), 'utf8');
  }
}

/** A short content hash: the local stand-in for S3's ETag/versionId, so a re-delivered file maps to the same output keys. */
export async function contentTag(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex').slice(0, 16);
}
