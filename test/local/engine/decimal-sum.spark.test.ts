// Sums of money are exact: both engines write decimal columns as DECIMAL(p,s) Parquet, and ten times 0.10 sums to 1.00 on each (issue 11).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { transformWithDuckDb } from '../../../local/duckdb-transform';
import { openDatabase } from '../../../local/engine/duckdb';
import { transformWithSpark } from '../../../local/spark-transform';
import { configWith, tempDir, writeProcessed } from './helpers';

jest.setTimeout(600_000);

const AT = new Date('2025-03-04T05:06:07.000Z');

/** A ledger of ten payments of 0.10 and prices with three places; line_total is price * 3, exact, as decimal(18,3). */
const config = configWith([
  {
    name: 'ledger',
    key: ['id'],
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'amount', type: 'decimal' },
      { name: 'price', type: 'decimal', precision: 10, scale: 3 },
    ],
    transforms: { derive: [{ name: 'line_total', expr: 'price * 3', type: 'decimal(18,3)' }] },
  },
]);
const LEDGER = ['id,amount,price', ...Array.from({ length: 10 }, (_, i) => `${i + 1},0.1,${i % 2 ? '1.005' : '0.333'}`), ''].join('\n');

/** Every Parquet data file an engine wrote under its output (the Spark engine's Iceberg metadata is Avro and JSON). */
function parquetFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && fs.statSync(p).isDirectory())) walk(p);
      else if (e.name.endsWith('.parquet')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

const files = (list: readonly string[]) => `[${list.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`;

/** DuckDB reading the files: the Parquet types, the decimal sums as text, and the same sum in double for contrast. */
async function duckdbSums(list: readonly string[]): Promise<Record<string, unknown>> {
  const db = await openDatabase();
  try {
    const source = `read_parquet(${files(list)}, union_by_name = true, hive_partitioning = false)`;
    const types = await db.all(`DESCRIBE SELECT amount, price, line_total FROM ${source}`);
    const sums = await db.all(
      `SELECT CAST(sum(amount) AS VARCHAR), CAST(sum(line_total) AS VARCHAR), CAST(sum(price) AS VARCHAR), sum(CAST(amount AS DOUBLE)) FROM ${source}`,
    );
    const [amount, lineTotal, price, asDouble] = sums.rows[0];
    return { types: types.rows.map((r) => `${r[0]} ${r[1]}`), amount, lineTotal, price, asDouble };
  } finally {
    db.close();
  }
}

/** Spark reading the files: the column types and the sums, as Spark's own Decimal text. */
function sparkSums(list: readonly string[]): Record<string, unknown> {
  const script = String.raw`
import json, sys
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
df = spark.read.parquet(*json.loads(sys.argv[1]))
row = df.agg(F.sum("amount").alias("a"), F.sum("line_total").alias("l"), F.sum("price").alias("p")).collect()[0]
types = [f"{f.name} {f.dataType.simpleString()}" for f in df.schema.fields if f.name in ("amount", "price", "line_total")]
print(json.dumps({"types": sorted(types), "amount": str(row["a"]), "lineTotal": str(row["l"]), "price": str(row["p"])}))
spark.stop()
`;
  const run = spawnSync(process.env.PYTHON ?? 'python3', ['-c', script, JSON.stringify(list)], { encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) throw new Error(`pyspark failed (${run.status}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}

describe('ten payments of 0.10 sum to exactly 1.00 in the final table of each engine', () => {
  const dir = tempDir('decimal-sum-');
  const dataset = config.datasets[0];
  const input = path.join(dir, 'in');
  writeProcessed(input, { 'ledger.csv': LEDGER });

  test('DuckDB engine: DECIMAL(18,2) Parquet, DuckDB sums 1.00 (a double sum is 0.9999999999999999)', async () => {
    const output = path.join(dir, 'out-duckdb');
    await transformWithDuckDb({ config, dataset, inputDir: input, outputDir: output, ingestedAt: AT });
    const got = await duckdbSums(parquetFiles(output));
    expect(got).toEqual({
      types: ['amount DECIMAL(18,2)', 'price DECIMAL(10,3)', 'line_total DECIMAL(18,3)'],
      amount: '1.00',
      lineTotal: '20.070',
      price: '6.690',
      asDouble: 0.9999999999999999,
    });
  });

  test('Spark engine (the Glue script on local PySpark): decimal(18,2) Parquet, Spark sums 1.00, and DuckDB reads the same', async () => {
    const output = path.join(dir, 'out-spark');
    await transformWithSpark({ config, dataset, inputDir: input, outputDir: output, ingestedAt: AT }, { onLog: () => undefined });
    const list = parquetFiles(output);
    expect(sparkSums(list)).toEqual({
      types: ['amount decimal(18,2)', 'line_total decimal(18,3)', 'price decimal(10,3)'],
      amount: '1.00',
      lineTotal: '20.070',
      price: '6.690',
    });
    expect(await duckdbSums(list)).toMatchObject({ amount: '1.00', lineTotal: '20.070', price: '6.690' });
  });
});
