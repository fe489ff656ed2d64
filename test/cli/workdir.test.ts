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
