// The DuckDB transform, step by step (glue-scripts/TRANSFORMS.md), on small hand-made processed folders and real DuckDB.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../config/parse';
import { transformWithDuckDb } from '../../../local/duckdb-transform';
import { openDatabase } from '../../../local/engine/duckdb';
import type { DatasetConfig } from '../../../config/schema';
import { configWith, partitionFolders, readFinal, SIGNUPS, tempDir, writeProcessed } from './helpers';

const AT = new Date('2025-01-02T03:04:05.000Z');
const HEADER = 'id,name,email,signup_date,status\n';

async function runOn(dataset: unknown, files: Record<string, string>, dir = tempDir(), firstMtime?: number, ingestedAt = AT) {
  const config = configWith([dataset]);
  const input = path.join(dir, `in-${Object.keys(files).join('-')}`);
  writeProcessed(input, files, firstMtime);
  const output = path.join(dir, 'out');
  const result = await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: input, outputDir: output, ingestedAt });
  return { result, output, dir };
}

/** A small unpartitioned dataset to test the steps one at a time. */
function plain(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'items',
    key: [],
    extraColumns: 'keep',
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'label', type: 'string' },
      { name: 'price', type: 'decimal' },
      { name: 'active', type: 'boolean' },
      { name: 'day', type: 'date' },
      { name: 'at', type: 'timestamp' },
    ],
    ...overrides,
  };
}

async function parquetColumns(output: string): Promise<{ name: string; type: string }[]> {
  const file = fs.readdirSync(output, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.parquet'))!;
  const db = await openDatabase();
  try {
    const d = await db.all(`DESCRIBE SELECT * FROM read_parquet('${path.join(output, file)}', hive_partitioning = false)`);
    return d.rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
  } finally {
    db.close();
  }
}

describe('cast', () => {
  test('casts each config column to its SQL type; values that do not cast become null', async () => {
    const { result, output } = await runOn(plain(), {
      'a.csv': 'id,label,price,active,day,at\n1,one,12.50,true,2024-11-05,2024-11-05T10:11:12.345\nabc,two,x,maybe,2024-13-45,not a time\n,,,,,\n',
    });
    expect(result.rowsIn).toBe(3);
    expect(result.rowsOut).toBe(3);
    const rows = await readFinal(output, 'label NULLS LAST');
    expect(rows.map(({ ingested_at: _i, ...r }) => r)).toEqual([
      { id: 1, label: 'one', price: 12.5, active: true, day: '2024-11-05', at: '2024-11-05T10:11:12.345Z', source_file: 'a.csv' },
      { id: null, label: 'two', price: null, active: null, day: null, at: null, source_file: 'a.csv' },
      { id: null, label: null, price: null, active: null, day: null, at: null, source_file: 'a.csv' },
    ]);
    expect(await parquetColumns(output)).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'label', type: 'VARCHAR' },
      { name: 'price', type: 'DECIMAL(18,2)' },
      { name: 'active', type: 'BOOLEAN' },
      { name: 'day', type: 'DATE' },
      { name: 'at', type: 'TIMESTAMP WITH TIME ZONE' },
      { name: 'source_file', type: 'VARCHAR' },
      { name: 'ingested_at', type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
  });

  test('transforms.cast overrides the config type, and a config column absent from every file is a null column of its type', async () => {
    const { output } = await runOn(plain({ transforms: { cast: { price: 'int' } } }), { 'a.csv': 'id,label,price\n1,one,12\n' });
    const rows = await readFinal(output, 'id');
    expect(rows).toEqual([{ id: 1, label: 'one', price: 12, active: null, day: null, at: null, source_file: 'a.csv', ingested_at: AT.toISOString() }]);
    const types = Object.fromEntries((await parquetColumns(output)).map((c) => [c.name, c.type]));
    expect(types).toMatchObject({ price: 'INTEGER', active: 'BOOLEAN', day: 'DATE' });
  });
});

describe('rename, derive, filter, select', () => {
  test('renames, derives in order (later entries use earlier ones) and casts the derived value', async () => {
    const dataset = plain({
      transforms: {
        rename: { label: 'title', id: 'item_id' },
        derive: [
          { name: 'day_text', expr: 'cast(day as string)', type: 'string' },
          { name: 'month', expr: 'substr(day_text, 1, 7)', type: 'string' },
          { name: 'double_id', expr: 'item_id * 2', type: 'bigint' },
        ],
      },
    });
    const { output } = await runOn(dataset, { 'a.csv': 'id,label,day\n7,seven,2024-02-29\n' });
    const [row] = await readFinal(output, 'item_id');
    expect(row).toMatchObject({ item_id: 7, title: 'seven', day_text: '2024-02-29', month: '2024-02', double_id: 14 });
    expect(row).not.toHaveProperty('id');
    expect(row).not.toHaveProperty('label');
  });

  test('filter keeps only rows where it is TRUE: false and null are dropped, the boundary is kept', async () => {
    const dataset = { ...SIGNUPS, key: [] };
    const { result, output } = await runOn(dataset, {
      'a.csv': `${HEADER}1,Old,a@x.com,1999-12-31,active\n2,Edge,b@x.com,2000-01-01,active\n3,Nodate,c@x.com,,active\n4,Bad,d@x.com,2024-02-30,active\n5,New,e@x.com,2024-11-01,pending\n`,
    });
    expect(result.rowsIn).toBe(5);
    expect(result.rowsOut).toBe(2);
    expect((await readFinal(output, 'user_id')).map((r) => r.user_id)).toEqual([2, 5]);
  });

  test('select writes exactly its columns, in its order, then the lineage columns', async () => {
    const dataset = plain({ transforms: { select: ['price', 'label', 'id'] } });
    const { output } = await runOn(dataset, { 'a.csv': 'id,label,price,active\n1,one,2.5,true\n' });
    expect((await parquetColumns(output)).map((c) => c.name)).toEqual(['price', 'label', 'id', 'source_file', 'ingested_at']);
  });

  test('without select: config columns, derived columns, undeclared columns sorted by name, then lineage', async () => {
    const dataset = plain({ transforms: { derive: [{ name: 'big', expr: 'price > 10', type: 'boolean' }] } });
    const { output } = await runOn(dataset, { 'a.csv': 'zeta,id,label,alpha\nz,1,one,a\n' });
    expect((await parquetColumns(output)).map((c) => c.name)).toEqual([
      'id',
      'label',
      'price',
      'active',
      'day',
      'at',
      'big',
      'alpha',
      'zeta',
      'source_file',
      'ingested_at',
    ]);
  });
});

describe('dedupe by key', () => {
  const keyed = (extra: Record<string, unknown> = {}) => plain({ key: ['id'], ...extra });

  test('the row from the newest file wins, whatever the file names; within a file the last row wins', async () => {
    const { output } = await runOn(keyed(), {
      // Written in this order, so z-old.csv is older than a-new.csv.
      'z-old.csv': 'id,label\n1,old\n2,only-old\n',
      'a-new.csv': 'id,label\n1,new-first\n1,new-last\n',
    });
    const rows = await readFinal(output, 'id');
    expect(rows.map((r) => [r.id, r.label, r.source_file])).toEqual([
      [1, 'new-last', 'a-new.csv'],
      [2, 'only-old', 'z-old.csv'],
    ]);
  });

  test('with equal modification times the greater file base name wins; null keys are one key', async () => {
    const dir = tempDir();
    const input = path.join(dir, 'in');
    fs.mkdirSync(input);
    fs.writeFileSync(path.join(input, 'b.csv'), 'id,label\n1,from-b\n,null-b\n');
    fs.writeFileSync(path.join(input, 'a.csv'), 'id,label\n1,from-a\n,null-a\n,null-a2\n');
    for (const f of ['a.csv', 'b.csv']) fs.utimesSync(path.join(input, f), 1_700_000_000, 1_700_000_000);
    const config = configWith([keyed()]);
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: input, outputDir: path.join(dir, 'out'), ingestedAt: AT });
    const rows = await readFinal(path.join(dir, 'out'), 'id NULLS FIRST');
    expect(rows.map((r) => [r.id, r.label])).toEqual([
      [null, 'null-b'],
      [1, 'from-b'],
    ]);
  });

  test('the key uses the renamed names, and dedupe happens after the filter', async () => {
    const dataset = keyed({ transforms: { rename: { id: 'item_id' }, filter: "label <> 'drop'" } });
    const { output } = await runOn(dataset, { 'a.csv': 'id,label\n1,keep\n', 'b.csv': 'id,label\n1,drop\n' });
    expect((await readFinal(output, 'item_id')).map((r) => [r.item_id, r.label])).toEqual([[1, 'keep']]);
  });
});

describe('lineage and partitions', () => {
  test('source_file is the base name, ingested_at the run time; Hive folders by partitionBy, null -> __HIVE_DEFAULT_PARTITION__, values escaped', async () => {
    const dataset = plain({ transforms: { partitionBy: ['label'] } });
    const { result, output } = await runOn(dataset, { 'f-1.csv': 'id,label\n1,a/b:c\n2,\n3,plain\n4,Zoë 日本\n5,a+b 100%\n' });
    expect(partitionFolders(output)).toEqual(['label=Zoë 日本', 'label=__HIVE_DEFAULT_PARTITION__', 'label=a%2Fb%3Ac', 'label=a+b 100%25', 'label=plain']);
    expect([...result.partitions].sort()).toEqual(partitionFolders(output));
    const rows = await readFinal(output, 'id');
    expect(rows.map((r) => [r.id, r.label, r.source_file, r.ingested_at])).toEqual([
      [1, 'a/b:c', 'f-1.csv', AT.toISOString()],
      [2, null, 'f-1.csv', AT.toISOString()],
      [3, 'plain', 'f-1.csv', AT.toISOString()],
      [4, 'Zoë 日本', 'f-1.csv', AT.toISOString()],
      [5, 'a+b 100%', 'f-1.csv', AT.toISOString()],
    ]);
    // Partition columns live in the folder names, not in the files.
    expect((await parquetColumns(output)).map((c) => c.name)).not.toContain('label');
  });
  test('Iceberg transforms in partitionBy (month(c), bucket(N, c)) leave their columns in the files; only identity fields make Hive folders', async () => {
    const dataset = plain({ transforms: { partitionBy: ['month(day)', 'label', 'bucket(4, id)'] } });
    const { output } = await runOn(dataset, { 'a.csv': 'id,label,day\n1,a,2024-11-05\n2,b,2024-12-01\n' });
    expect(partitionFolders(output)).toEqual(['label=a', 'label=b']);
    expect((await parquetColumns(output)).map((c) => c.name)).toEqual(expect.arrayContaining(['id', 'day']));
    expect((await readFinal(output, 'id')).map((r) => [r.id, r.label, r.day])).toEqual([
      [1, 'a', '2024-11-05'],
      [2, 'b', '2024-12-01'],
    ]);
  });
  test('an empty string partition value goes to __HIVE_DEFAULT_PARTITION__ too, as Spark writes it', async () => {
    const dataset = plain({
      transforms: { derive: [{ name: 'bucket', expr: "CASE WHEN id = 1 THEN '' ELSE 'x' END", type: 'string' }], partitionBy: ['bucket'] },
    });
    const { output } = await runOn(dataset, { 'a.csv': 'id,label\n1,a\n2,b\n' });
    expect(partitionFolders(output)).toEqual(['bucket=__HIVE_DEFAULT_PARTITION__', 'bucket=x']);
    expect((await readFinal(output, 'id')).map((r) => [r.id, r.bucket])).toEqual([
      [1, null],
      [2, 'x'],
    ]);
  });
});

describe('merge with the existing output', () => {
  const A = `${HEADER}1,John Doe,john@example.com,2024-11-01,active\n2,Jane Smith,jane@example.com,2024-11-02,inactive\n3,Old Row,old@example.com,1999-12-31,active\n`;
  const B = `${HEADER}2,Jane Smith,jane@example.com,2024-12-02,active\n`;

  test('a re-run of the same input gives the same rows and files layout, no duplicates', async () => {
    const dir = tempDir();
    const config = configWith([SIGNUPS]);
    writeProcessed(path.join(dir, 'in'), { 'a.csv': A, 'b.csv': B });
    const options = { config, dataset: config.datasets[0], inputDir: path.join(dir, 'in'), outputDir: path.join(dir, 'out') };
    await transformWithDuckDb({ ...options, ingestedAt: AT });
    const first = await readFinal(options.outputDir, 'user_id');
    const later = new Date('2025-06-01T00:00:00Z');
    const again = await transformWithDuckDb({ ...options, ingestedAt: later });
    const second = await readFinal(options.outputDir, 'user_id');
    expect(second).toEqual(first.map((r) => ({ ...r, ingested_at: later.toISOString() })));
    expect(second).toHaveLength(2);
    expect(again.partitions).toEqual(['signup_month=2024-11', 'signup_month=2024-12']);
    expect(partitionFolders(options.outputDir)).toEqual(['signup_month=2024-11', 'signup_month=2024-12']);
    expect(fs.readdirSync(dir).filter((f) => f.includes('staging'))).toEqual([]);
  });

  test('an incremental run replaces rows by key, also across partitions, deletes emptied partitions and leaves others alone (the TRANSFORMS.md example)', async () => {
    const dir = tempDir();
    const config = configWith([SIGNUPS]);
    const output = path.join(dir, 'out');
    writeProcessed(path.join(dir, 'in1'), { 'a.csv': A, 'b.csv': B });
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in1'), outputDir: output, ingestedAt: AT });
    writeProcessed(path.join(dir, 'in-other'), { 'x.csv': `${HEADER}9,Other,o@x.com,2024-10-10,active\n` }, 1_750_000_000);
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in-other'), outputDir: output, ingestedAt: AT });
    const untouched = path.join(output, 'signup_month=2024-10');
    const untouchedFiles = fs.readdirSync(untouched).map((f) => [f, fs.statSync(path.join(untouched, f)).mtimeMs]);

    const later = new Date('2025-02-01T00:00:00Z');
    writeProcessed(path.join(dir, 'in2'), { 'c.csv': `${HEADER}1,John Doe,john@new.example,2024-12-05,active\n` }, 1_800_000_000);
    const result = await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in2'), outputDir: output, ingestedAt: later });
    expect(result.partitions).toEqual(['signup_month=2024-12']);
    expect(partitionFolders(output)).toEqual(['signup_month=2024-10', 'signup_month=2024-12']);
    const rows = await readFinal(output, 'user_id');
    expect(rows.map((r) => [r.user_id, r.email, r.signup_month, r.source_file])).toEqual([
      [1, 'john@new.example', '2024-12', 'c.csv'],
      [2, 'jane@example.com', '2024-12', 'b.csv'],
      [9, 'o@x.com', '2024-10', 'x.csv'],
    ]);
    expect(fs.readdirSync(untouched).map((f) => [f, fs.statSync(path.join(untouched, f)).mtimeMs])).toEqual(untouchedFiles);
  });

  test('a file re-sent under the same name replaces its earlier rows, also rows it no longer has', async () => {
    const dir = tempDir();
    const dataset = plain({ transforms: { partitionBy: ['label'] } });
    const config = configWith([dataset]);
    const output = path.join(dir, 'out');
    writeProcessed(path.join(dir, 'in1'), { 'f.csv': 'id,label\n1,a\n2,b\n' });
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in1'), outputDir: output, ingestedAt: AT });
    writeProcessed(path.join(dir, 'in2'), { 'f.csv': 'id,label\n3,c\n' });
    const result = await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in2'), outputDir: output, ingestedAt: AT });
    expect(result.partitions).toEqual(['label=c']);
    expect(partitionFolders(output)).toEqual(['label=c']);
    expect((await readFinal(output, 'id')).map((r) => r.id)).toEqual([3]);
  });

  test('schema evolution: a new optional column in a newer file is carried through, null for older rows', async () => {
    const dir = tempDir();
    const dataset = plain({ key: ['id'] });
    const config = configWith([dataset]);
    const output = path.join(dir, 'out');
    writeProcessed(path.join(dir, 'in1'), { 'old.csv': 'id,label\n1,one\n2,two\n' });
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in1'), outputDir: output, ingestedAt: AT });
    writeProcessed(path.join(dir, 'in2'), { 'new.csv': 'id,label,colour\n2,two,red\n3,three,blue\n' }, 1_800_000_000);
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in2'), outputDir: output, ingestedAt: AT });
    const rows = await readFinal(output, 'id');
    expect(rows.map((r) => [r.id, r.label, r.colour])).toEqual([
      [1, 'one', null],
      [2, 'two', 'red'],
      [3, 'three', 'blue'],
    ]);
    expect((await parquetColumns(output)).map((c) => c.name)).toEqual(['id', 'label', 'price', 'active', 'day', 'at', 'colour', 'source_file', 'ingested_at']);
  });

  test('columns only the existing data has and undeclared columns of this run are sorted by name together (TRANSFORMS.md step 8)', async () => {
    const dir = tempDir();
    const config = configWith([plain()]);
    const output = path.join(dir, 'out');
    writeProcessed(path.join(dir, 'in1'), { 'old.csv': 'id,label,alpha\n1,one,a\n' });
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in1'), outputDir: output, ingestedAt: AT });
    writeProcessed(path.join(dir, 'in2'), { 'new.csv': 'id,label,zeta\n2,two,z\n' }, 1_800_000_000);
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in2'), outputDir: output, ingestedAt: AT });
    expect((await parquetColumns(output)).map((c) => c.name)).toEqual([
      'id',
      'label',
      'price',
      'active',
      'day',
      'at',
      'alpha',
      'zeta',
      'source_file',
      'ingested_at',
    ]);
    expect((await readFinal(output, 'id')).map((r) => [r.id, r.alpha, r.zeta])).toEqual([
      [1, 'a', null],
      [2, null, 'z'],
    ]);
  });
});

describe('errors, raised before anything is written', () => {
  function snapshot(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).map((f) => `${f}:${fs.statSync(path.join(dir, f)).mtimeMs}`).sort();
  }

  const signups = (): DatasetConfig => structuredClone(configWith([SIGNUPS]).datasets[0]);
  const file = { 'a.csv': `${HEADER}1,John,j@x.com,2024-11-01,active\n` };

  // The engine executes the dataset's TransformPlan; the plan is built only from a dataset that passes the config
  // loader's checks, so a dataset changed after loading fails with the loader's messages (one place checks a spec).
  async function expectConfigError(dataset: DatasetConfig, pattern: RegExp): Promise<void> {
    const dir = tempDir();
    writeProcessed(path.join(dir, 'in'), file);
    const run = transformWithDuckDb({
      config: configWith([SIGNUPS]),
      dataset,
      inputDir: path.join(dir, 'in'),
      outputDir: path.join(dir, 'out'),
      ingestedAt: AT,
    });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(
      transformWithDuckDb({ config: configWith([SIGNUPS]), dataset, inputDir: path.join(dir, 'in'), outputDir: path.join(dir, 'out'), ingestedAt: AT }),
    ).rejects.toThrow(pattern);
    expect(fs.readdirSync(dir)).toEqual(['in']);
  }

  test("a spec naming a missing column is refused with the config loader's message (key, value, known columns)", async () => {
    const d = signups();
    d.transforms.select = [...d.transforms.select!, 'country'];
    await expectConfigError(d, /transforms\.select\[6\]: is not a column after rename and derive; known columns: user_id/);
    const k = signups();
    k.transforms.select = ['full_name', 'email', 'signup_month'];
    await expectConfigError(k, /key\[0\]: is "id" \("user_id" after rename\), which transforms\.select leaves out/);
  });

  test("an invalid expression is refused with the config loader's message: the key, the expression and a caret", async () => {
    const d = signups();
    d.transforms.derive = [{ name: 'signup_month', expr: 'substr(cast(signup_day as string), 1, 7)', type: 'string' }];
    await expectConfigError(d, /transforms\.derive\[0\]\.expr: .*signup_day/);
    const syntax = signups();
    syntax.transforms.filter = 'signup_date >=';
    await expectConfigError(syntax, /transforms\.filter: /);
    const notBoolean = signups();
    notBoolean.transforms.filter = 'full_name';
    await expectConfigError(notBoolean, /transforms\.filter: a filter must be a condition \(boolean\)/);
  });

  test('a type conflict with the existing final data names the column and both types, and leaves the output as it was', async () => {
    const dir = tempDir();
    const config = configWith([plain()]);
    const output = path.join(dir, 'out');
    writeProcessed(path.join(dir, 'in'), { 'a.csv': 'id,label,price\n1,one,2.5\n' });
    await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in'), outputDir: output, ingestedAt: AT });
    const before = snapshot(output);
    const changed = configWith([plain({ transforms: { cast: { price: 'bigint' } } })]);
    await expect(
      transformWithDuckDb({ config: changed, dataset: changed.datasets[0], inputDir: path.join(dir, 'in'), outputDir: output, ingestedAt: AT }),
    ).rejects.toThrow(/column "price" is bigint in this run but decimal\(18,2\) in the existing final data/);
    expect(snapshot(output)).toEqual(before);
    expect(fs.readdirSync(dir).sort()).toEqual(['in', 'out']); // no staging folder left
  });

  test('an input folder that does not exist says which folder to pass', async () => {
    const config = configWith([SIGNUPS]);
    await expect(
      transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: '/nonexistent/processed/signups', outputDir: tempDir() }),
    ).rejects.toThrow(/input folder \/nonexistent\/processed\/signups does not exist; pass the processed\/<dataset>\/ folder with --input/);
  });
});
