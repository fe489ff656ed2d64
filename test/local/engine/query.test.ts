// The local tables (DuckDB views over final Parquet and rejected rows) and the `query` and `transform` commands.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run as runQuery } from '../../../cli/commands/query';
import { chooseDataset, run as runTransform } from '../../../cli/commands/transform';
import { openLocalTables } from '../../../local/tables';
import { REJECT_COLUMNS } from '../../../config/layout';
import { rejectLine, type RejectedRow } from '../../../lambda/core/rejects-jsonl';
import { configWith, SIGNUPS, tempDir, writeProcessed } from './helpers';

const ORDERS = {
  name: 'orders',
  key: ['order_id'],
  columns: [
    { name: 'order_id', type: 'integer' },
    { name: 'ordered_at', type: 'timestamp' },
    { name: 'amount', type: 'decimal' },
  ],
  transforms: { derive: [{ name: 'order_month', expr: 'substr(cast(ordered_at as string), 1, 7)', type: 'string' }], partitionBy: ['order_month'] },
};

/** Rejected rows of signups, written by the core's writer; the second one's raw record spans two lines and holds backslashes. */
const REJECTED: RejectedRow[] = [
  {
    source_file: 'raw/signups/a.csv',
    line: 3,
    reason_code: 'INVALID_DATE',
    column_name: 'signup_date',
    reason: 'not a date: "2024-13-05"',
    raw_record: '9,Eve,eve@example.com,2024-13-05,active',
  },
  {
    source_file: 'raw/signups/a.csv',
    line: 4,
    reason_code: 'INVALID_ENUM',
    column_name: 'status',
    reason: 'not allowed',
    raw_record: '10,"F\r\n\\x\\",f@x.com,2024-11-05,banned',
  },
];

/** A workdir with signups transformed through the CLI, rejected rows for signups, and no orders data. */
async function workdirWithData(): Promise<{ workdir: string; configFile: string }> {
  const workdir = tempDir('query-');
  const configFile = path.join(workdir, 'pipeline.config.json');
  fs.writeFileSync(configFile, JSON.stringify({ datasets: [SIGNUPS, ORDERS] }));
  writeProcessed(path.join(workdir, 'processed', 'signups'), {
    'a.csv':
      'id,name,email,signup_date,status\n1,John Doe,john@example.com,2024-11-01,active\n2,"Lee, Min",lee@example.com,2024-11-02,inactive\n3,Zoë,zoe@example.com,2024-12-01,active\n',
  });
  const rejects = path.join(workdir, 'quarantine', 'signups', 'rows');
  fs.mkdirSync(rejects, { recursive: true });
  fs.writeFileSync(path.join(rejects, 'a.jsonl'), REJECTED.map(rejectLine).join(''));
  const out: string[] = [];
  const code = await runTransform(
    [
      '--input',
      path.join(workdir, 'processed', 'signups'),
      '--output',
      path.join(workdir, 'final_output', 'signups'),
      '--config',
      configFile,
      '--ingested-at',
      '2025-01-01T00:00:00Z',
    ],
    (t) => out.push(t),
  );
  expect(code).toBe(0);
  expect(out.join('')).toMatch(
    /^transform signups \(duckdb\): 1 file, 3 rows in, 3 rows out, 2 partitions written \(signup_month=2024-11, signup_month=2024-12\), \d+\.\d\d s\n$/,
  );
  return { workdir, configFile };
}

describe('openLocalTables', () => {
  test('views <ds> and <ds>_rejects return plain JS values; datasets without data give empty views with the right columns', async () => {
    const { workdir } = await workdirWithData();
    const config = configWith([SIGNUPS, ORDERS]);
    const tables = await openLocalTables(workdir, config);
    try {
      const final = await tables.query('SELECT user_id, full_name, signup_date, signup_month, ingested_at FROM signups ORDER BY user_id');
      expect(final).toEqual({
        columns: ['user_id', 'full_name', 'signup_date', 'signup_month', 'ingested_at'],
        rows: [
          [1, 'John Doe', '2024-11-01', '2024-11', '2025-01-01T00:00:00.000Z'],
          [2, 'Lee, Min', '2024-11-02', '2024-11', '2025-01-01T00:00:00.000Z'],
          [3, 'Zoë', '2024-12-01', '2024-12', '2025-01-01T00:00:00.000Z'],
        ],
      });
      const rejects = await tables.query('SELECT * FROM signups_rejects ORDER BY line');
      expect(rejects.columns).toEqual(REJECT_COLUMNS.map((c) => c.name));
      expect(rejects.rows).toEqual(REJECTED.map((r) => REJECT_COLUMNS.map((c) => r[c.name as keyof RejectedRow])));
      const empty = await tables.query('SELECT * FROM orders');
      expect(empty).toEqual({ columns: ['order_id', 'ordered_at', 'amount', 'source_file', 'ingested_at', 'order_month'], rows: [] });
      expect((await tables.query('SELECT count(*) AS n FROM orders_rejects')).rows).toEqual([[0]]);
      await expect(tables.query('SELECT * FROM nope')).rejects.toThrow(/nope.*tables: signups, signups_rejects, orders, orders_rejects/s);
    } finally {
      tables.close();
    }
  });
});

describe('csv-pipeline query', () => {
  test('prints an aligned text table by default, JSON with --json and CSV with --csv', async () => {
    const { workdir, configFile } = await workdirWithData();
    const sql = 'SELECT status, count(*) AS signups FROM signups GROUP BY status ORDER BY signups DESC, status';
    const text: string[] = [];
    expect(await runQuery([sql, '--workdir', workdir, '--config', configFile], (t) => text.push(t))).toBe(0);
    expect(text.join('')).toBe(['status    signups', '--------  -------', 'active          2', 'inactive        1', '(2 rows)', ''].join('\n'));
    const json: string[] = [];
    expect(await runQuery([sql, '--workdir', workdir, '--config', configFile, '--json'], (t) => json.push(t))).toBe(0);
    expect(JSON.parse(json.join(''))).toEqual([
      { status: 'active', signups: 2 },
      { status: 'inactive', signups: 1 },
    ]);
    const csv: string[] = [];
    expect(await runQuery(['SELECT full_name FROM signups ORDER BY user_id', '--workdir', workdir, '--config', configFile, '--csv'], (t) => csv.push(t))).toBe(
      0,
    );
    expect(csv.join('')).toBe('full_name\nJohn Doe\n"Lee, Min"\nZoë\n');
  });

  test('a failing query exits 1 and names the tables; bad usage exits 2', async () => {
    const { workdir, configFile } = await workdirWithData();
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    try {
      expect(await runQuery(['SELECT * FROM signupz', '--workdir', workdir, '--config', configFile], () => undefined)).toBe(1);
      expect(errors.join('\n')).toMatch(/signupz.*tables: signups, signups_rejects, orders, orders_rejects/s);
      expect(await runQuery(['--workdir', workdir], () => undefined)).toBe(2);
      expect(await runQuery(['SELECT 1', '--json', '--csv'], () => undefined)).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('csv-pipeline transform', () => {
  test('the dataset defaults to the input folder name, else the error lists the datasets', () => {
    const config = configWith([SIGNUPS, ORDERS]);
    expect(chooseDataset(config, '/x/processed/orders/').name).toBe('orders');
    expect(chooseDataset(config, '/x/anything', 'signups').name).toBe('signups');
    expect(() => chooseDataset(config, '/x/processed')).toThrow(
      'the input folder "processed" is not named like a dataset; pass --dataset NAME (configured datasets: signups, orders)',
    );
    expect(() => chooseDataset(config, '/x', 'nope')).toThrow(/No dataset "nope".*signups, orders/);
  });

  test('a failure exits 1 naming the stage, the dataset, the folders and the cause; bad usage exits 2', async () => {
    const workdir = tempDir('transform-cli-');
    const configFile = path.join(workdir, 'c.json');
    const broken = structuredClone(SIGNUPS);
    broken.transforms.filter = 'signup_dat > 1';
    fs.writeFileSync(configFile, JSON.stringify({ datasets: [broken] }));
    writeProcessed(path.join(workdir, 'signups'), { 'a.csv': 'id,name,email,signup_date,status\n1,J,j@x.com,2024-11-01,active\n' });
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    try {
      expect(
        await runTransform(['--input', path.join(workdir, 'signups'), '--output', path.join(workdir, 'out'), '--config', configFile], () => undefined),
      ).toBe(1);
      expect(errors.join('\n')).toMatch(
        /stage transform \(duckdb\) failed for dataset "signups" \(input .*signups, output .*out, config .*c\.json\):\n {2}Invalid pipeline config .*c\.json \(1 problem\):\n {2}- datasets\[0\]\.transforms\.filter: unknown column "signup_dat"; it may use these columns: user_id, .*\(got "signup_dat > 1"\)/,
      );
      expect(fs.existsSync(path.join(workdir, 'out'))).toBe(false);
      expect(await runTransform(['--input', 'x'], () => undefined)).toBe(2);
      expect(await runTransform(['--input', 'x', '--output', 'y', '--engine', 'flink'], () => undefined)).toBe(2);
    } finally {
      spy.mockRestore();
    }
  });
});
