// `--workdir ""` is refused by every command that takes it (exit 2, naming the flag and the fix) instead of filling the current folder.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_ENTRY } from '../support/test-build';

const ROOT = path.join(__dirname, '..', '..');
const CONFIG = path.join(ROOT, 'pipeline.config.json');

/** Runs the CLI from its TypeScript source (no build needed) in `cwd`. */
function cli(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), NODE_PATH: path.join(ROOT, 'node_modules') },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('--workdir ""', () => {
  let cwd: string;
  beforeEach(() => (cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-emptywd-'))));
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it.each([
    ['run', [path.join(ROOT, 'sample-data', 'signups.csv')], ['', '  ']],
    ['watch', [], ['']],
    ['serve', ['--port', '0'], ['']],
    ['query', ['SELECT 1'], ['']],
  ])('%s: exits 2 and says which flag is wrong and how to fix it, writing nothing in the current folder', (command, rest, values) => {
    for (const value of values) {
      const r = cli([command, ...rest, '--config', CONFIG, '--workdir', value], cwd);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`csv-pipeline ${command}: --workdir is empty (got ${JSON.stringify(value)})`);
      expect(r.stderr).toContain('--workdir .pipeline');
      expect(fs.readdirSync(cwd)).toEqual([]);
    }
  });
});

describe('a --workdir that does not exist', () => {
  let cwd: string;
  beforeEach(() => (cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-nowd-'))));
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it.each([
    ['serve', ['--port', '0']],
    ['query', ['SELECT count(*) FROM signups']],
  ])('%s: exits 2 naming the folder and the fix instead of reading an empty workdir, and creates nothing', (command, rest) => {
    const typo = path.join(cwd, '.pipline');
    const r = cli([command, ...rest, '--config', CONFIG, '--workdir', typo], cwd);
    expect([r.status, r.stdout]).toEqual([2, '']);
    expect(r.stderr.split('\n')[0]).toBe(`csv-pipeline ${command}: no workdir at ${typo}: run \`csv-pipeline run\` first, or check --workdir`);

    const byDefault = cli([command, ...rest, '--config', CONFIG], cwd); // no .pipeline/ in the current folder
    expect(byDefault.status).toBe(2);
    expect(byDefault.stderr.split('\n')[0]).toBe(
      `csv-pipeline ${command}: no workdir at ${path.join(fs.realpathSync(cwd), '.pipeline')}: run \`csv-pipeline run\` first, or check the default --workdir .pipeline/ of the current folder`,
    );

    fs.writeFileSync(typo, 'not a folder');
    const file = cli([command, ...rest, '--config', CONFIG, '--workdir', typo], cwd);
    expect(file.status).toBe(2);
    expect(file.stderr.split('\n')[0]).toBe(
      `csv-pipeline ${command}: no workdir at ${typo} (it is a file, not a folder): run \`csv-pipeline run\` first, or check --workdir`,
    );
    expect(fs.readdirSync(cwd)).toEqual(['.pipline']);
  });
});
