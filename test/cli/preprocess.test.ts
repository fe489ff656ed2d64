// The `csv-pipeline preprocess` command run as a user runs it (a child process): exit codes 0/2/1, outputs, summary and --json.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REJECT_COLUMNS } from '../../config/layout';
import { writeOutputs } from '../../cli/commands/preprocess';
import { CLI_ENTRY } from '../support/test-build';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'csv');

/** Runs the CLI from its TypeScript source (no build needed), in `cwd`. */
function cli(args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_ENTRY, 'preprocess', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), NODE_PATH: path.join(ROOT, 'node_modules') },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-preprocess-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function copyFixture(name: string): string {
  const to = path.join(dir, name);
  fs.copyFileSync(path.join(FIXTURES, name), to);
  return to;
}

test('every row valid: exit 0, outputs next to the input by default, a summary', () => {
  const input = copyFixture('semicolons.csv');
  const r = cli([input, '--dataset', 'signups']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/2 rows read, 2 valid, 0 rejected \(dataset signups\)/);
  expect(r.stdout).toMatch(/delimiter ";"/);
  expect(fs.readFileSync(`${input}.processed.csv`, 'utf8')).toBe(
    'id,name,email,signup_date,status\n1,"Doe, John",john@example.com,2024-11-01,active\n2,Jane Smith,jane@example.com,2024-11-02,inactive\n',
  );
  expect(fs.readFileSync(`${input}.rejects.jsonl`, 'utf8')).toBe(''); // JSON Lines: no rejected row, no line
});

test('some rows rejected: exit 2, rejects and report where asked, --json prints the report', () => {
  const input = path.join(ROOT, 'sample-data', 'orders.csv');
  const out = path.join(dir, 'valid.csv');
  const rejects = path.join(dir, 'rejects.jsonl');
  const reportFile = path.join(dir, 'report.json');
  const r = cli([
    input,
    '--config',
    path.join(ROOT, 'pipeline.config.json'),
    '--dataset',
    'orders',
    '--out',
    out,
    '--rejects',
    rejects,
    '--report',
    reportFile,
    '--json',
  ]);
  expect(r.status).toBe(2);
  const printed = JSON.parse(r.stdout);
  expect(printed).toEqual(JSON.parse(fs.readFileSync(reportFile, 'utf8')));
  expect(printed).toMatchObject({ dataset: 'orders', outcome: 'processed', read: { delimiter: ';', preambleLines: 1 } });
  expect(printed.rowsIn).toBe(printed.rowsValid + printed.rowsRejected);
  const rejectRows = fs
    .readFileSync(rejects, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(rejectRows).toHaveLength(printed.rowsRejected);
  for (const row of rejectRows) expect(Object.keys(row)).toEqual(REJECT_COLUMNS.map((c) => c.name));
  expect(rejectRows.map((row) => typeof row.line)).toEqual(rejectRows.map(() => 'number'));
  expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(printed.rowsValid + 1);
});

test('a file that cannot be processed: exit 1, a clear message, no outputs left behind', () => {
  const input = copyFixture('binary.csv');
  const r = cli([input, '--dataset', 'signups']);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/could not be processed \(BINARY_FILE\): the file contains NUL bytes/);
  expect(fs.existsSync(`${input}.processed.csv`)).toBe(false);
  expect(fs.existsSync(`${input}.rejects.jsonl`)).toBe(false);
});

test('a file that cannot be processed leaves files already at --out and --rejects as they were (and says so)', () => {
  const input = path.join(dir, 'empty.csv');
  fs.writeFileSync(input, '');
  const keep = path.join(dir, 'keep.csv');
  const keepRejects = path.join(dir, 'keep.jsonl');
  fs.writeFileSync(keep, 'precious\n');
  fs.writeFileSync(keepRejects, 'also precious\n');
  const r = cli([input, '--out', keep, '--rejects', keepRejects, '--report', path.join(dir, 'report.json')], dir);
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/could not be processed \(EMPTY_FILE\)/);
  expect(r.stdout).toContain(`No rows written: ${keep} and ${keepRejects} were left as they were.`);
  expect(fs.readFileSync(keep, 'utf8')).toBe('precious\n');
  expect(fs.readFileSync(keepRejects, 'utf8')).toBe('also precious\n');
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')).fileError.code).toBe('EMPTY_FILE'); // the report says why
  expect(fs.readdirSync(dir).sort()).toEqual(['empty.csv', 'keep.csv', 'keep.jsonl', 'report.json']); // no temp file left
});

test('a run that succeeds replaces existing outputs whole, keeps their permissions, and writes through a link to its target', () => {
  const input = copyFixture('crlf.csv');
  const out = path.join(dir, 'valid.csv');
  fs.writeFileSync(out, 'old content that is longer than the new one '.repeat(20));
  fs.chmodSync(out, 0o640);
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.symlinkSync(path.join('sub', 'rejects.jsonl'), path.join(dir, 'rejects-link.jsonl'));
  const r = cli([input, '--dataset', 'signups', '--out', out, '--rejects', path.join(dir, 'rejects-link.jsonl')]);
  expect(r.status).toBe(0);
  expect(fs.readFileSync(out, 'utf8')).toMatch(/^id,name,email,signup_date,status\n1,John Doe,.*\n3,Bob Martin,bob@example\.com,2024-11-03,active\n$/s);
  expect(fs.statSync(out).mode & 0o777).toBe(0o640);
  expect(fs.lstatSync(path.join(dir, 'rejects-link.jsonl')).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(path.join(dir, 'sub', 'rejects.jsonl'), 'utf8')).toBe('');
  expect(fs.readdirSync(dir).sort()).toEqual(['crlf.csv', 'rejects-link.jsonl', 'sub', 'valid.csv']);
});

test('an error while writing (a full disk, as any user): files already at the outputs left as they were, temp files removed', async () => {
  const [out, rejects, report] = ['valid.csv', 'rejects.jsonl', 'report.json'].map((f) => path.join(dir, f));
  for (const f of [out, rejects, report]) fs.writeFileSync(f, `precious ${path.basename(f)}\n`);
  const result = await writeOutputs(path.join(dir, 'in.csv'), { out, rejects, report }, async (sinks) => {
    await new Promise((resolve) => sinks.valid.write('id\n1\n', resolve));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  });
  expect(result).toBe('ENOSPC: no space left on device, write; no output written');
  for (const f of [out, rejects, report]) expect(fs.readFileSync(f, 'utf8')).toBe(`precious ${path.basename(f)}\n`);
  expect(fs.readdirSync(dir).sort()).toEqual(['rejects.jsonl', 'report.json', 'valid.csv']);
});

test('header not matching the dataset: exit 1 naming the missing column', () => {
  const r = cli([copyFixture('header-mismatch.csv'), '--dataset', 'signups', '--json']);
  expect(r.status).toBe(1);
  expect(JSON.parse(r.stdout).fileError.code).toBe('HEADER_MISMATCH');
  expect(r.stderr).toMatch(/HEADER_MISMATCH: .*missing required column email/);
});

test('without --dataset (and without a config in the cwd) the columns are inferred and listed', () => {
  const input = copyFixture('inferred-types.csv');
  const r = cli([input], dir);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/no dataset: columns inferred/);
  expect(r.stdout).toMatch(/columns: order_id integer, amount decimal, paid boolean, day date, at timestamp, contact email, zip string, note string/);
});

test('usage errors: exit 1 with the reason', () => {
  expect(cli([]).stderr).toMatch(/expected one INPUT file/);
  const missing = cli([path.join(dir, 'nope.csv')]);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/cannot read .*nope\.csv: ENOENT/);
  const unknown = cli([copyFixture('crlf.csv'), '--dataset', 'nosuch']);
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toMatch(/No dataset "nosuch".*signups, orders/);
  expect(cli([copyFixture('crlf.csv'), '--bogus']).stderr).toMatch(/Unknown option '--bogus'/);
});

describe('output paths that cannot work: exit 1 (2 means "rows rejected"), one clear line, nothing written', () => {
  const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/^\s+at /m);
  const writtenFiles = () => fs.readdirSync(dir).sort();

  test.each([
    ['--out and --rejects', (f: string) => ['--out', f, '--rejects', f], /--out and --rejects both name .*same\.out; give each output its own file/],
    ['--out and --report', (f: string) => ['--out', f, '--report', f], /--out and --report both name .*same\.out; give each output its own file/],
    [
      '--rejects and --report, one through a symbolic link to its folder',
      (f: string) => ['--rejects', f, '--report', path.join(dir, 'link', 'same.out')],
      /--rejects and --report both name .*same\.out/,
    ],
  ])('%s naming one file', (_name, args, message) => {
    const input = copyFixture('crlf.csv');
    fs.symlinkSync(dir, path.join(dir, 'link'));
    const before = writtenFiles();
    const r = cli([input, '--dataset', 'signups', ...args(path.join(dir, 'same.out'))]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    noStackTrace(r.stderr);
    expect(writtenFiles()).toEqual(before);
  });

  test.each([
    ['an absolute link', (d: string) => fs.symlinkSync(path.join(d, 'real.csv'), path.join(d, 'link.csv'))],
    [
      "a relative link (read from the link's folder)",
      (d: string) => {
        fs.mkdirSync(path.join(d, 'sub'));
        fs.symlinkSync('../real.csv', path.join(d, 'sub', 'hop.csv'));
        fs.symlinkSync(path.join('sub', 'hop.csv'), path.join(d, 'link.csv'));
      },
    ],
  ])('--rejects through a dangling symbolic link to the --out file: refused, nothing written (%s)', (_name, makeLink) => {
    const input = copyFixture('crlf.csv');
    makeLink(dir);
    const before = writtenFiles();
    const r = cli([input, '--config', path.join(ROOT, 'pipeline.config.json'), '--dataset', 'signups', '--out', 'real.csv', '--rejects', 'link.csv'], dir);
    expect(r.stderr).toMatch(/--out and --rejects both name .*real\.csv \(--rejects .*link\.csv links to it\); give each output its own file/);
    expect(r.status).toBe(1);
    expect(fs.existsSync(path.join(dir, 'real.csv'))).toBe(false);
    expect(writtenFiles()).toEqual(before);
  });

  test('a symbolic link loop as an output: refused with the reason', () => {
    const input = copyFixture('crlf.csv');
    fs.symlinkSync(path.join(dir, 'b.csv'), path.join(dir, 'a.csv'));
    fs.symlinkSync(path.join(dir, 'a.csv'), path.join(dir, 'b.csv'));
    const r = cli([input, '--dataset', 'signups', '--out', path.join(dir, 'a.csv')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--out .*a\.csv: more than 40 symbolic links in a row \(a loop\?\)/);
    noStackTrace(r.stderr);
  });

  test('an output in a folder that does not exist: named with the fix (the folder is not created: a typo would write somewhere new)', () => {
    const input = copyFixture('crlf.csv');
    const missing = path.join(dir, 'no-such-folder');
    const r = cli([input, '--dataset', 'signups', '--out', path.join(missing, 'valid.csv')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `csv-pipeline preprocess: the folder ${missing} of --out ${path.join(missing, 'valid.csv')} does not exist; create it first (mkdir -p ${JSON.stringify(missing)}) or choose another path\n`,
    );
    expect(fs.existsSync(missing)).toBe(false);
    expect(writtenFiles()).toEqual(['crlf.csv']);
    const report = cli([input, '--dataset', 'signups', '--report', path.join(missing, 'r.json')]);
    expect(report.status).toBe(1);
    expect(report.stderr).toMatch(/the folder .*no-such-folder of --report .* does not exist; create it first/);
    expect(writtenFiles()).toEqual(['crlf.csv']);
  });

  test('an output that is a folder, or the input itself', () => {
    const input = copyFixture('crlf.csv');
    const folder = cli([input, '--dataset', 'signups', '--rejects', dir]);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toMatch(/--rejects .* is a folder; name a file in it instead/);
    const itself = cli([input, '--dataset', 'signups', '--out', input]);
    expect(itself.status).toBe(1);
    expect(itself.stderr).toMatch(/--out .*crlf\.csv is the input file; choose another output path/);
    expect(writtenFiles()).toEqual(['crlf.csv']);
    noStackTrace(folder.stderr + itself.stderr);
  });

  test('an output file that cannot be created: a clear error, the other output left as it was, no temp file', () => {
    const input = copyFixture('crlf.csv');
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked);
    fs.writeFileSync(path.join(dir, 'valid.csv'), 'precious\n');
    fs.chmodSync(locked, 0o500);
    try {
      const r = cli([input, '--dataset', 'signups', '--out', path.join(dir, 'valid.csv'), '--rejects', path.join(locked, 'rejects.jsonl')]);
      if (process.getuid?.() === 0) return; // root writes anywhere: nothing to check
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/cannot write .*locked\/rejects\.jsonl: EACCES; no output written/);
      noStackTrace(r.stderr);
      expect(fs.readFileSync(path.join(dir, 'valid.csv'), 'utf8')).toBe('precious\n');
      expect(writtenFiles()).toEqual(['crlf.csv', 'locked', 'valid.csv']);
    } finally {
      fs.chmodSync(locked, 0o700);
    }
  });
});
