// `csv-pipeline init`: prints a valid entry (stdout pure JSON, the why on stderr), --write adds it to the config (others kept,
// duplicates refused, nothing written on failure), and `run` on the samples with the written config rejects no row a rule could accept.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../../config/load';
import { parsePipelineConfig } from '../../config/parse';
import { run } from '../../cli/commands/init';
import { runLocalPipeline } from '../../local/pipeline';
import { everyTypeCsv } from '../local/init/core-check';
import { CLI_ENTRY } from '../support/test-build';

const ROOT = path.join(__dirname, '..', '..');
const SHIPPED_CONFIG = path.join(ROOT, 'pipeline.config.json');
const ORDERS = path.join(ROOT, 'sample-data', 'orders.csv');
const SIGNUPS = path.join(ROOT, 'sample-data', 'signups.csv');

let dir: string;
let config: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-init-cli-'));
  config = path.join(dir, 'pipeline.config.json');
  fs.copyFileSync(SHIPPED_CONFIG, config);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs the command in this process, capturing what it writes. */
async function init(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    stderr += `${parts.join(' ')}\n`;
  });
  try {
    return { status: await run(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

test('the csv-pipeline binary prints the entry as pure JSON on stdout and why on stderr', () => {
  const r = spawnSync(process.execPath, [CLI_ENTRY, 'init', ORDERS, '--config', config, '--name', 'orders_new'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
  });
  expect(r.status).toBe(0);
  const entry = JSON.parse(r.stdout);
  expect(entry.name).toBe('orders_new');
  expect(parsePipelineConfig({ datasets: [entry] }).datasets[0].key).toEqual(['order_no']);
  expect(r.stderr).toMatch(/^csv-pipeline init: dataset "orders_new" from .*orders\.csv\n/);
  expect(r.stderr).toMatch(/\nkey: order_no: named like an id/);
  expect(r.stderr).toMatch(/\ncheck: .* 9 rows, 9 valid, 0 rejected/);
  expect(fs.readFileSync(config, 'utf8')).toBe(fs.readFileSync(SHIPPED_CONFIG, 'utf8'));
});

test('--write adds the entries, keeps the rest of the file, and `run` on the samples then rejects no row a rule could accept', async () => {
  const customers = path.join(dir, 'customers.csv');
  fs.writeFileSync(customers, everyTypeCsv({ delimiter: ';', decimalComma: true }));
  const files = { orders_init: ORDERS, signups_init: SIGNUPS, customers };
  for (const [name, file] of Object.entries(files)) {
    const r = await init([file, '--config', config, '--name', name, '--write']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`added dataset "${name}" to ${config}`);
    expect(r.status).toBe(0);
  }
  const before = fs.readFileSync(SHIPPED_CONFIG, 'utf8');
  const after = fs.readFileSync(config, 'utf8');
  expect(after.startsWith(before.slice(0, before.lastIndexOf('}\n  ],')))).toBe(true);
  expect(after.endsWith(before.slice(before.lastIndexOf('\n  ],')))).toBe(true);
  expect(fs.readdirSync(dir).sort()).toEqual(['customers.csv', 'pipeline.config.json']); // no temp file left
  const loaded = loadPipelineConfig(config);
  expect(loaded.datasets.map((d) => d.name)).toEqual(['signups', 'orders', 'orders_init', 'signups_init', 'customers']);

  // Files named like the datasets route to them.
  const inputs = Object.entries(files).map(([name, file]) => {
    const copy = path.join(dir, `${name}.csv`);
    if (file !== copy) fs.copyFileSync(file, copy);
    return copy;
  });
  const result = await runLocalPipeline({ config: loaded, workdir: path.join(dir, 'wd'), files: inputs });
  const byDataset = Object.fromEntries(result.files.map((f) => [f.dataset, f.report]));
  expect(byDataset.orders_init).toMatchObject({ outcome: 'processed', rowsIn: 9, rowsRejected: 0 });
  expect(byDataset.customers).toMatchObject({ outcome: 'processed', rowsIn: 80, rowsRejected: 0 });
  // signups.csv's 4-field row (line 17) is rejected whatever the config: the only reject.
  expect(byDataset.signups_init).toMatchObject({ outcome: 'processed', rowsIn: 20, rowsRejected: 1, rejectedByReason: { WRONG_FIELD_COUNT: 1 } });
  expect(result.transforms.map((t) => t.dataset).sort()).toEqual(['customers', 'orders_init', 'signups_init']);
  const rowsOf = (dataset: string, name: string) => result.queries.find((q) => q.dataset === dataset && q.name === name)?.rows;
  const months = rowsOf('customers', 'customers_by_month')!;
  expect(months.length).toBeGreaterThan(1);
  expect(months.reduce((n, row) => n + Number((row as unknown[])[1]), 0)).toBe(80);
  expect(rowsOf('orders_init', 'orders_init_by_currency')).toHaveLength(4);
  const html = fs.readFileSync(result.dashboardFile!, 'utf8');
  expect(html).toContain('data-kpi-id="customers_rows" data-value="80"');
  expect(html).toContain('data-kpi-id="orders_init_rows" data-value="9"');
}, 120000);

test('--write refuses a dataset name the config has, exit 2, the file unchanged', async () => {
  const r = await init([ORDERS, '--config', config, '--name', 'orders', '--write']);
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    `csv-pipeline init: ${config} already has a dataset named "orders"; nothing was written. Choose another name with --name NAME, or remove the existing entry first\n`,
  );
  expect(r.stdout).toBe('');
  expect(fs.readFileSync(config, 'utf8')).toBe(fs.readFileSync(SHIPPED_CONFIG, 'utf8'));
});

test('without --write, a taken name still prints the entry, with a note', async () => {
  const r = await init([ORDERS, '--config', config]);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout).name).toBe('orders');
  expect(r.stderr).toContain(`note: ${config} already has a dataset named "orders"; pass --name to add this one beside it`);
});

test('--write writes nothing when the config would not validate with the entry', async () => {
  const text = JSON.stringify({ datasets: [{ name: 'everything', rawPrefix: 'raw/', columns: [{ name: 'a', type: 'string' }] }] }, null, 2);
  fs.writeFileSync(config, text);
  const r = await init([ORDERS, '--config', config, '--name', 'orders_new', '--write']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/cannot add dataset "orders_new" to .*: Invalid pipeline config .*overlaps the raw prefix "raw\/".*; the file was not changed/s);
  expect(fs.readFileSync(config, 'utf8')).toBe(text);
  expect(fs.readdirSync(dir)).toEqual(['pipeline.config.json']);
});

describe('errors say what was wrong and how to fix it', () => {
  it('a missing file: exit 2', async () => {
    const missing = path.join(dir, 'nope.csv');
    const r = await init([missing, '--config', config]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^csv-pipeline init: cannot read ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT; no such file, check the path\n\nusage: csv-pipeline init FILE`,
      ),
    );
  });

  it('a file over the sample limit: exit 2, with how to cut a sample', async () => {
    const big = path.join(dir, 'big.csv');
    fs.writeFileSync(big, 'id\n1\n');
    fs.truncateSync(big, 17 * 1024 * 1024); // sparse: the size is what is checked
    const r = await init([big, '--config', config]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `${big} is 17 MB, over the 16 MB a sample may have; init reads a sample whole: cut one, e.g. head -n 100000 ${big} > sample.csv`,
    );
  });

  it('an empty file: exit 1, nothing printed or written', async () => {
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '');
    const r = await init([empty, '--config', config, '--write']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`csv-pipeline init: ${empty} is empty (0 bytes); give a CSV file with a header row and some data rows\n`);
    expect(fs.readFileSync(config, 'utf8')).toBe(fs.readFileSync(SHIPPED_CONFIG, 'utf8'));
  });

  it('a bad --name: exit 2 with a name that would do', async () => {
    const r = await init([ORDERS, '--config', config, '--name', 'Orders 2024']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      '--name "Orders 2024" is not a dataset name: use lower case letters, digits and "_", starting with a letter, e.g. --name orders_2024',
    );
  });

  it('--config naming no file: exit 2', async () => {
    const r = await init([ORDERS, '--config', path.join(dir, 'missing.json'), '--write']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`--config ${path.join(dir, 'missing.json')}: no such file; check the path`);
  });

  it('no FILE: exit 2 with the usage', async () => {
    const r = await init(['--config', config]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected one sample FILE, got 0\n\nusage: csv-pipeline init FILE \[--name NAME\] \[--config FILE\] \[--write\]/);
  });
});
