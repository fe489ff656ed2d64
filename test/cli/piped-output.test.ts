// The CLI's exit waits for its output: a slow pipe reader gets every byte (process.exit used to drop what the
// pipe had not taken, with exit status 0).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_ENTRY } from '../support/test-build';

const ROOT = path.join(__dirname, '..', '..');

/** Runs the CLI with stdout on a pipe that nobody reads for `stallMs`, then reads it all. */
function runWithSlowReader(args: string[], stallMs: number): Promise<{ status: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  child.stdout.pause();
  const parts: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => parts.push(d));
  setTimeout(() => child.stdout.resume(), stallMs);
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout: Buffer.concat(parts).toString('utf8') })));
}

test('preprocess --json prints its whole report to a pipe read late (far more than a pipe buffer)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'piped-'));
  try {
    const names = Array.from({ length: 3000 }, (_v, i) => `column_${i}_with_a_long_name`);
    const input = path.join(dir, 'wide.csv');
    fs.writeFileSync(input, `${names.join(',')}\n${names.map(() => 'x').join(',')}\n`);
    const { status, stdout } = await runWithSlowReader(
      ['preprocess', input, '--json', '--out', path.join(dir, 'o.csv'), '--rejects', path.join(dir, 'r.jsonl')],
      3000,
    );
    expect(stdout.length).toBeGreaterThan(1 << 17);
    const report = JSON.parse(stdout);
    expect(report.columns).toHaveLength(3000);
    expect(status).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);
