// Differential test: the DuckDB engine and the real Glue script on local PySpark must write the same final data.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { transformWithDuckDb, type TransformRunResult } from '../../../local/duckdb-transform';
import { openDatabase } from '../../../local/engine/duckdb';
import { transformWithSpark } from '../../../local/spark-transform';
import { icebergSnapshotFiles } from '../../../local/tables';
import { partitionFolder } from '../../../local/engine/files';
import type { PipelineConfig } from '../../../config/schema';
import { parsePipelineConfig, loadPipelineConfig } from '../../../config/load';
import { partitionFolders, tempDir, writeProcessed } from './helpers';
import { prng } from '../../../bench/prng';

// Every case runs Spark (JVM start ~15-25 s per run).
jest.setTimeout(600_000);

const AT = new Date('2025-03-04T05:06:07.000Z');

interface Run {
  /** Processed files of this run, written in order with increasing modification times from `mtime`. */
  readonly files: Record<string, string>;
  readonly mtime: number;
}

interface EngineOutcome {
  readonly results: TransformRunResult[];
  readonly folders: string[];
  readonly schema: string[];
  readonly rows: unknown[][];
}

/** The final data as both engines must agree on it: the schema of the union, every row (sorted), the partition folders.
 *  The Spark engine's output is an Iceberg table: its current snapshot's files (the list local/tables.ts reads too). */
async function readOutcome(output: string, results: TransformRunResult[]): Promise<EngineOutcome> {
  const db = await openDatabase();
  try {
    const iceberg = icebergSnapshotFiles(output);
    const source = iceberg
      ? `(SELECT ${iceberg.columns.map((c) => `"${c}"`).join(', ')} FROM read_parquet([${iceberg.files.map((f) => `'${f}'`).join(', ')}], hive_partitioning = false, union_by_name = true))`
      : `read_parquet('${output}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`;
    const described = await db.all(`DESCRIBE SELECT * FROM ${source}`);
    const columns = described.rows.map((r) => String(r[0]));
    const rows = await db.all(`SELECT * FROM ${source} ORDER BY ALL`);
    const folders = iceberg
      ? [...new Set(iceberg.files.map((f) => hiveFolderOf(path.relative(path.join(output, 'data'), path.dirname(f)))))].sort()
      : partitionFolders(output);
    return {
      results,
      folders,
      schema: described.rows.map((r) => `${r[0]} ${r[1]}`),
      rows: rows.rows.map((r) => r.map((v, i) => [columns[i], v])),
    };
  } finally {
    db.close();
  }
}

/** An Iceberg data file's folder (`region=S%C3%A3o+Paulo`, form-encoded, null as `null`) named as the Hive layout names it. */
function hiveFolderOf(relative: string): string {
  if (!relative) return '';
  const fields = relative.split(path.sep).map((segment) => {
    const [name, encoded] = [segment.slice(0, segment.indexOf('=')), segment.slice(segment.indexOf('=') + 1)];
    return { name, value: encoded === 'null' ? null : decodeURIComponent(encoded.replace(/\+/g, ' ')) };
  });
  return partitionFolder(
    fields.map((f) => f.name),
    fields.map((f) => f.value),
  );
}

/** Runs the same sequence of runs through both engines, each into its own output folder. */
async function bothEngines(config: PipelineConfig, datasetName: string, runs: readonly Run[]): Promise<{ duckdb: EngineOutcome; spark: EngineOutcome }> {
  const dir = tempDir('differential-');
  const dataset = config.datasets.find((d) => d.name === datasetName)!;
  const outcomes: Partial<Record<'duckdb' | 'spark', EngineOutcome>> = {};
  for (const engine of ['duckdb', 'spark'] as const) {
    const output = path.join(dir, `out-${engine}`);
    const results: TransformRunResult[] = [];
    for (const [i, run] of runs.entries()) {
      const input = path.join(dir, `run-${i}`, datasetName);
      writeProcessed(input, run.files, run.mtime);
      const options = { config, dataset, inputDir: input, outputDir: output, ingestedAt: AT };
      results.push(engine === 'spark' ? await transformWithSpark(options, { onLog: () => undefined }) : await transformWithDuckDb(options));
    }
    outcomes[engine] = await readOutcome(output, results);
  }
  return outcomes as { duckdb: EngineOutcome; spark: EngineOutcome };
}

/** A raw object's processed file as the preprocessing leaves it in a workdir: processed/<ds>/<name>.csv and its report. */
interface Upload {
  readonly name: string;
  readonly rawKey: string;
  readonly content: string;
}

/**
 * Runs both engines on workdirs (one per engine) where the runs' processed files accumulate, each with the report
 * that names its raw key, as `csv-pipeline run` leaves them: the engines take source_file from the reports, and a
 * re-upload's newer processed file stands beside the one it replaces.
 */
async function bothEnginesInWorkdir(
  config: PipelineConfig,
  datasetName: string,
  runs: readonly Upload[][],
): Promise<{ duckdb: EngineOutcome; spark: EngineOutcome }> {
  const dir = tempDir('differential-workdir-');
  const dataset = config.datasets.find((d) => d.name === datasetName)!;
  const outcomes: Partial<Record<'duckdb' | 'spark', EngineOutcome>> = {};
  for (const engine of ['duckdb', 'spark'] as const) {
    const processed = path.join(dir, engine, 'processed', datasetName);
    const reports = path.join(dir, engine, 'reports', datasetName);
    const output = path.join(dir, engine, 'final_output', datasetName);
    fs.mkdirSync(reports, { recursive: true });
    const results: TransformRunResult[] = [];
    for (const [i, uploads] of runs.entries()) {
      writeProcessed(processed, Object.fromEntries(uploads.map((u) => [u.name, u.content])), 1_730_000_000 + i * 10_000);
      for (const u of uploads)
        fs.writeFileSync(path.join(reports, u.name.replace(/\.csv$/, '.json')), JSON.stringify({ source: u.rawKey, outcome: 'processed' }));
      const options = { config, dataset, inputDir: processed, outputDir: output, ingestedAt: AT };
      results.push(engine === 'spark' ? await transformWithSpark(options, { onLog: () => undefined }) : await transformWithDuckDb(options));
    }
    outcomes[engine] = await readOutcome(output, results);
  }
  return outcomes as { duckdb: EngineOutcome; spark: EngineOutcome };
}

/** `ledgerSkips`: runs whose files the Spark engine's ledger already holds (same name and modification time): it reads
 *  nothing there (counts 0), where the DuckDB engine reads its input folder again; the rows must still agree. */
function expectSame(outcome: { duckdb: EngineOutcome; spark: EngineOutcome }, ledgerSkips: readonly number[] = []): void {
  const counts = (o: EngineOutcome) =>
    o.results.map((r, i) => (ledgerSkips.includes(i) ? null : { rowsIn: r.rowsIn, rowsOut: r.rowsOut, partitions: [...r.partitions].sort() }));
  expect(counts(outcome.duckdb)).toEqual(counts(outcome.spark));
  for (const i of ledgerSkips) expect([outcome.spark.results[i].rowsIn, outcome.spark.results[i].partitions]).toEqual([0, []]);
  expect(outcome.duckdb.folders).toEqual(outcome.spark.folders);
  expect(outcome.duckdb.schema).toEqual(outcome.spark.schema);
  expect(outcome.duckdb.rows).toEqual(outcome.spark.rows);
  expect(outcome.duckdb.rows.length).toBeGreaterThan(0);
}

/** The sample files (sample-data/) as the preprocessing writes their valid rows under processed/<ds>/. */
const SIGNUPS_PROCESSED = [
  'id,name,email,signup_date,status',
  '1,John Doe,john@example.com,2024-11-01,active',
  '2,Jane Smith,jane@example.com,2024-11-02,inactive',
  '3,Alice Brown,alice@example.com,2024-11-02,active',
  '4,Bob Martin,bob.martin@example.com,2024-11-03,active',
  '5,Carla Gómez,carla@example.com,2024-11-03,pending',
  '6,"Lee, Min-jun",minjun@example.com,2024-11-04,active',
  '11,Grace Hopper,grace@example.com,2024-11-05,active',
  '12,Hiro Tanaka,hiro@example.com,2024-11-06,active',
  '13,Ivy Chen,ivy@example.com,2024-11-06,inactive',
  '15,"Lena ""LJ"" Jones",lena@example.com,2024-11-07,active',
  `16,"'=HYPERLINK(1)",mallory@example.com,2024-11-08,pending`,
  '17,Noah Kim,noah@example.com,2024-11-08,active',
  '18,Olivia Park,olivia@example.com,2024-11-08,active',
  '',
].join('\n');

const ORDERS_PROCESSED = [
  'order_id,customer_email,ordered_at,amount,currency,paid',
  '1001,anna@example.com,2024-11-01T09:15:00,19.99,EUR,true',
  '1002,ben@example.com,2024-11-01T10:02:11,5.00,USD,true',
  '1003,cara@example.com,2024-11-02T14:30:00,120.5,EUR,false',
  '1005,eli@example.com,2024-11-03T11:00:00,-3.50,GBP,true',
  '1009,ida@example.com,2024-11-04T09:30:00,64.10,GBP,',
  '',
].join('\n');

describe('DuckDB engine = Spark engine (real pyspark through transformWithSpark)', () => {
  const config = loadPipelineConfig(path.join(__dirname, '..', '..', '..', 'pipeline.config.json'));

  test('signups sample, then a newer file updating a key into another partition', async () => {
    const outcome = await bothEngines(config, 'signups', [
      { files: { 'signups-1.csv': SIGNUPS_PROCESSED }, mtime: 1_730_000_000 },
      {
        files: {
          'signups-2.csv': 'id,name,email,signup_date,status\n2,Jane Smith,jane@new.example,2024-12-02,active\n99,Old,old@example.com,1999-12-31,active\n',
        },
        mtime: 1_740_000_000,
      },
    ]);
    expectSame(outcome);
    expect(outcome.duckdb.folders).toEqual(['signup_month=2024-11', 'signup_month=2024-12']);
  });

  test('orders sample: timestamps, decimals, booleans with nulls, the amount filter', async () => {
    const outcome = await bothEngines(config, 'orders', [{ files: { 'orders-1.csv': ORDERS_PROCESSED }, mtime: 1_730_000_000 }]);
    expectSame(outcome);
    expect(outcome.duckdb.rows).toHaveLength(4);
  });

  test('generated data: nulls, odd dates, Unicode, quotes and line breaks, filter edge cases, dedupe, schema evolution, re-sent files', async () => {
    const generatedConfig = parsePipelineConfig(
      {
        datasets: [
          {
            name: 'events',
            key: ['event_id'],
            extraColumns: 'keep',
            columns: [
              { name: 'event_id', type: 'integer' },
              { name: 'title', type: 'string' },
              { name: 'region', type: 'string' },
              { name: 'day', type: 'date' },
              { name: 'at', type: 'timestamp' },
              { name: 'amount', type: 'decimal' },
              { name: 'flag', type: 'boolean' },
            ],
            transforms: {
              rename: { title: 'label' },
              derive: [
                { name: 'day_month', expr: 'substr(cast(day as string), 1, 7)', type: 'string' },
                { name: 'label_len', expr: 'length(label)', type: 'bigint' },
                { name: 'is_big', expr: 'CASE WHEN amount > 100 THEN true ELSE false END', type: 'boolean' },
              ],
              filter: "(amount IS NULL OR amount >= 0) AND coalesce(label, '') <> 'drop me'",
              partitionBy: ['region'],
            },
          },
        ],
      },
      'generated config',
    );
    const files = generatedFiles(20241105);
    const outcome = await bothEngines(generatedConfig, 'events', [
      { files: { 'g-1.csv': files[0], 'g-2.csv': files[1] }, mtime: 1_730_000_000 },
      // Incremental: a newer file (with a new optional column), and g-1.csv sent again with other rows.
      { files: { 'g-3.csv': files[2], 'g-1.csv': files[3] }, mtime: 1_740_000_000 },
    ]);
    expectSame(outcome);
    expect(outcome.duckdb.schema).toContain('note VARCHAR');
    expect(outcome.duckdb.folders).toContain('region=__HIVE_DEFAULT_PARTITION__');
  });

  describe.each([
    ['keyed (by id)', true],
    ['keyless', false],
  ])('signups re-uploaded without its last row, in a workdir with reports: %s', (_kind, keyed) => {
    test('both engines take row 18 out, keep the other raw object, and write the raw key as source_file', async () => {
      const signups = (
        JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'pipeline.config.json'), 'utf8')) as { datasets: { name: string; key?: string[] }[] }
      ).datasets.find((d) => d.name === 'signups')!;
      const reuploadConfig = parsePipelineConfig({ datasets: [keyed ? signups : { ...signups, key: undefined }] }, 'signups re-upload config');
      const withoutLast = `${SIGNUPS_PROCESSED.trimEnd().split('\n').slice(0, -1).join('\n')}\n`;
      const other = 'id,name,email,signup_date,status\n30,Other Person,other@example.com,2024-12-01,active\n';
      const outcome = await bothEnginesInWorkdir(reuploadConfig, 'signups', [
        [
          { name: 'signups-9d0954b5f4d4.csv', rawKey: 'raw/signups/signups.csv', content: SIGNUPS_PROCESSED },
          { name: 'more-0a1b2c3d4e5f.csv', rawKey: 'raw/signups/2024/more.csv', content: other },
        ],
        [{ name: 'signups-d922efbad757.csv', rawKey: 'raw/signups/signups.csv', content: withoutLast }],
      ]);
      // Spark's ledger reads only the new file in run 2; the DuckDB engine lists all three and reads the newest of each raw object.
      expect(outcome.spark.results.map((r) => [r.files, r.rowsIn])).toEqual([
        [2, 14],
        [1, 12],
      ]);
      expect(outcome.duckdb.results.map((r) => [r.files, r.rowsIn])).toEqual([
        [2, 14],
        [3, 13],
      ]);
      for (const engine of [outcome.duckdb, outcome.spark]) {
        const value = (row: unknown[], name: string) => (row as [string, unknown][]).find(([c]) => c === name)?.[1];
        expect(engine.rows.map((r) => Number(value(r, 'user_id')))).not.toContain(18);
        expect(engine.rows).toHaveLength(13);
        expect([...new Set(engine.rows.map((r) => value(r, 'source_file')))].sort()).toEqual(['raw/signups/2024/more.csv', 'raw/signups/signups.csv']);
      }
      expect(outcome.duckdb.folders).toEqual(outcome.spark.folders);
      expect(outcome.duckdb.schema).toEqual(outcome.spark.schema);
      expect(outcome.duckdb.rows).toEqual(outcome.spark.rows); // source_file included; ingested_at is the same AT on both
    });
  });

  test('unpartitioned and keyless, with a cast override and select: a fresh run, then the same input again (idempotent)', async () => {
    const plainConfig = parsePipelineConfig(
      {
        datasets: [
          {
            name: 'readings',
            columns: [
              { name: 'sensor', type: 'string' },
              { name: 'value', type: 'decimal' },
              { name: 'taken_on', type: 'date' },
              { name: 'ok', type: 'boolean' },
            ],
            transforms: {
              cast: { value: 'int' },
              derive: [{ name: 'year_text', expr: 'substr(cast(taken_on as string), 1, 4)', type: 'string' }],
              filter: 'ok OR value IS NULL',
              select: ['year_text', 'sensor', 'value'],
            },
          },
        ],
      },
      'readings config',
    );
    const file = 'sensor,value,taken_on,ok\nA,12,2024-01-02,true\nB,,2024-02-30,false\nC,-7,,\nD,3,2023-12-31,false\nÄ,100,2000-01-01,true\n';
    const outcome = await bothEngines(plainConfig, 'readings', [
      { files: { 'r-1.csv': file }, mtime: 1_730_000_000 },
      { files: { 'r-1.csv': file }, mtime: 1_730_000_000 },
    ]);
    expectSame(outcome, [1]);
    expect(outcome.duckdb.folders).toEqual(['']);
    expect(outcome.duckdb.rows).toHaveLength(3);
  });
});

function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\n\r]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Four processed files with normalised values (as the Lambda writes them) and every edge case the engines must agree on. */
function generatedFiles(seed: number): string[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const titles = ['plain', 'Zoë', '日本語のタイトル', 'emoji 🙂 ok', 'שלום', 'comma, inside', 'quote "q" inside', 'line\nbreak', '  padded  ', 'drop me', null];
  const regions = ['north', 'Île-de-France', 'São Paulo', 'a/b:c', 'x=y', 'with space', null];
  const days = ['2024-02-29', '2023-02-29', '1999-12-31', '2000-01-01', '1970-01-01', '9999-12-31', '2024-11-05', '2024-13-01', null];
  const ats = ['2024-11-05T10:11:12', '2024-11-05T10:11:12.345', '2024-03-31T02:30:00', '2000-01-01T00:00:00', 'not-a-time', null];
  const amounts = ['0', '0.00', '-0.01', '12.50', '100.01', '-5', '99999999.99', 'abc', null];
  const flags = ['true', 'false', null];
  const file = (ids: readonly number[], withNote: boolean): string => {
    const header = ['event_id', 'title', 'region', 'day', 'at', 'amount', 'flag', ...(withNote ? ['note'] : [])];
    const lines = ids.map((id) => {
      const values = [random() < 0.05 ? null : String(id), pick(titles), pick(regions), pick(days), pick(ats), pick(amounts), pick(flags)];
      if (withNote) values.push(pick(['n1', 'ünïcode', null]));
      return values.map(csvField).join(',');
    });
    return `${[header.join(','), ...lines].join('\n')}\n`;
  };
  const ids = (n: number, max: number) => Array.from({ length: n }, () => 1 + Math.floor(random() * max));
  return [file(ids(60, 50), false), file(ids(60, 50), false), file(ids(40, 70), true), file(ids(20, 50), false)];
}
