// Evaluates typed expression trees over the same typed rows on DuckDB (in process) and on local Spark (pyspark through python3).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { duckdbType, type Expr, isDecimal, toDuckDbSql, toSparkSql, typeOf } from '../../config/expression';
import { decimalParts, type SqlType } from '../../config/layout';
import { openDatabase } from '../../local/engine/duckdb';

/** A row's values as text in the engines' common input formats (null: null): casts from VARCHAR/STRING make them typed. */
export type TextRow = readonly (string | null)[];

export interface Table {
  readonly columns: readonly { readonly name: string; readonly type: SqlType }[];
  readonly rows: readonly TextRow[];
}

/** What an engine gave for one expression: a value per row, or the engine's error. */
export type Outcome = { readonly values: readonly unknown[] } | { readonly error: string };

/**
 * The tree as compared: integers, dates and timestamps cast to string (no precision lost on the way to JS). Decimals
 * are compared as their plain digits: DuckDB's VARCHAR (duckDbSql below), Spark's Decimal printed with format 'f'.
 */
export function comparable(tree: Expr): Expr {
  return ['int', 'bigint', 'date', 'timestamp'].includes(typeOf(tree)) ? { kind: 'cast', operand: tree, to: 'string', offset: 0, type: 'string' } : tree;
}

function duckString(value: string | null): string {
  return value === null ? 'NULL' : `'${value.replace(/'/g, "''")}'`;
}

/** Evaluates each tree (comparable()) over the table on DuckDB, one query per tree. */
export async function evaluateOnDuckDb(table: Table, trees: readonly Expr[]): Promise<Outcome[]> {
  const db = await openDatabase();
  try {
    const names = table.columns.map((c) => `"${c.name}"`);
    const values = table.rows.map((r, i) => `(${i}, ${r.map(duckString).join(', ')})`);
    const typed = table.columns.map((c) => `CAST("${c.name}" AS ${duckdbType(c.type)}) AS "${c.name}"`);
    const source = table.rows.length
      ? `SELECT * FROM (VALUES ${values.join(', ')}) v(__i, ${names.join(', ')})`
      : `SELECT 0 AS __i, ${names.map((n) => `CAST(NULL AS VARCHAR) AS ${n}`).join(', ')} LIMIT 0`;
    await db.run(`CREATE TABLE t AS SELECT __i, ${typed.join(', ')} FROM (${source})`);
    const outcomes: Outcome[] = [];
    for (const tree of trees) {
      try {
        const sql = toDuckDbSql(comparable(tree));
        const result = await db.all(`SELECT ${isDecimal(typeOf(tree)) ? `CAST((${sql}) AS VARCHAR)` : sql} AS v FROM t ORDER BY __i`);
        outcomes.push({ values: result.rows.map((r) => r[0]) });
      } catch (err) {
        outcomes.push({ error: (err as Error).message.split('\n')[0] });
      }
    }
    return outcomes;
  } finally {
    db.close();
  }
}

/** The Spark side: one long-lived pyspark process that answers one JSON line per request. */
const SPARK_SERVER = String.raw`
import decimal, json, math, os, sys, time
os.environ["TZ"] = "UTC"
time.tzset()
from pyspark.sql import SparkSession, functions as F
spark = (SparkSession.builder.master("local[1]").appName("expression-differential")
         .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
         .config("spark.sql.shuffle.partitions", "1").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")

def plain(v):
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return "float:" + repr(v)
    return v

def run(df, exprs):
    rows = df.select([F.expr(e).alias("c%d" % i) for i, e in enumerate(exprs)]).collect()
    return [{"values": [plain(r[i]) for r in rows]} for i in range(len(exprs))]

print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    cols = [c["name"] for c in req["columns"]]
    data = [tuple([i] + list(r)) for i, r in enumerate(req["rows"])]
    bq = chr(96)
    schema = "__i INT" + "".join(", %s%s%s STRING" % (bq, c, bq) for c in cols)
    df = spark.createDataFrame(data, schema)
    df = df.select(["__i"] + [F.col(bq + c["name"] + bq).cast(c["type"]).alias(c["name"]) for c in req["columns"]]).orderBy("__i")
    exprs = req["exprs"]
    try:
        out = run(df, exprs)
    except Exception:
        out = []
        for e in exprs:
            try:
                out += run(df, [e])
            except Exception as err:
                out.append({"error": str(err).split("\n")[0][:300]})
    print(json.dumps(out), flush=True)
`;

/**
 * A decimal's digits with exactly its type's places. PySpark hands some results over with a trailing zero past the
 * scale (a decimal(19,8) product of 1E-8 arrives as Decimal('1.0E-8'), printed 0.000000010); the Parquet value is the
 * same. Only zeros are dropped: any other digit past the scale stays, and shows as a difference.
 */
function atScale(outcome: Outcome, type: string): Outcome {
  const scale = decimalParts(type)?.scale;
  if ('error' in outcome || scale === undefined) return outcome;
  return {
    values: outcome.values.map((v) => {
      if (typeof v !== 'string' || !/^-?\d+(\.\d+)?$/.test(v)) return v;
      const [whole, frac = ''] = v.split('.');
      const kept = frac.length > scale && /^0*$/.test(frac.slice(scale)) ? frac.slice(0, scale) : frac.padEnd(scale, '0');
      return kept ? `${whole}.${kept}` : whole;
    }),
  };
}

function fromSpark(outcome: Outcome): Outcome {
  if ('error' in outcome) return outcome;
  return { values: outcome.values.map((v) => (typeof v === 'string' && v.startsWith('float:') ? Number(v.slice(6).replace('inf', 'Infinity')) : v)) };
}

export class SparkEvaluator {
  private child?: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting?: (line: string) => void;
  private stderr = '';
  private scriptDir = '';

  /** Starts pyspark (a JVM: 15-40 s). */
  async start(python = process.env.PYTHON ?? 'python3'): Promise<void> {
    this.scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'expr-spark-'));
    const script = path.join(this.scriptDir, 'server.py');
    fs.writeFileSync(script, SPARK_SERVER);
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      this.deliver();
    });
    child.on('close', (code) => {
      this.buffer += `${JSON.stringify({ exited: code, stderr: this.stderr })}\n`;
      this.deliver();
    });
    const ready = JSON.parse(await this.nextLine());
    if (!ready.ready) throw new Error(`pyspark did not start: ${JSON.stringify(ready)}`);
  }

  private deliver(): void {
    const newline = this.buffer.indexOf('\n');
    if (newline < 0 || !this.waiting) return;
    const line = this.buffer.slice(0, newline);
    this.buffer = this.buffer.slice(newline + 1);
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve(line);
  }

  private nextLine(): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.deliver();
    });
  }

  /** Evaluates each tree (comparable()) over the table on Spark, in one select. */
  async evaluate(table: Table, trees: readonly Expr[]): Promise<Outcome[]> {
    const request = { columns: table.columns, rows: table.rows, exprs: trees.map((t) => toSparkSql(comparable(t))) };
    const line = this.nextLine();
    this.child!.stdin.write(`${JSON.stringify(request)}\n`);
    const answer = JSON.parse(await line);
    if (!Array.isArray(answer)) throw new Error(`pyspark stopped: ${JSON.stringify(answer)}`);
    return (answer as Outcome[]).map((o, i) => atScale(fromSpark(o), typeOf(trees[i])));
  }

  /** Ends the script (its input closes, so it stops Spark and exits); kills it after 30 s. */
  async close(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.scriptDir) fs.rmSync(this.scriptDir, { recursive: true, force: true });
  }
}

/** The columns and rows of the issue 11 table (amount 2.675 and 1e7; a null name). */
export const ISSUE_TABLE: Table = {
  columns: [
    { name: 'amount', type: 'double' },
    { name: 'name', type: 'string' },
    { name: 'region', type: 'string' },
  ],
  rows: [
    ['2.675', null, 'north'],
    ['10000000', 'Ann', 'south'],
  ],
};

/** Each row of the issue 11 table: the value both engines must give per row, or the validation message. */
export const ISSUE_ROWS: readonly { readonly expr: string; readonly values?: readonly unknown[]; readonly rejected?: RegExp }[] = [
  { expr: 'cast(amount * 100 as bigint)', values: ['267', '1000000000'] },
  { expr: 'cast(amount as string)', rejected: /CAST of a double to string is not allowed: DuckDB writes 10000000\.0 where Spark writes 1\.0E7/ },
  { expr: 'round(1.005, 2)', values: [1, 1] },
  { expr: "substr('hello', 0, 3)", values: ['he', 'he'] },
  { expr: "upper('straße')", values: ['STRAßE', 'STRAßE'] },
  { expr: "concat(name, '-', region)", values: [null, 'Ann-south'] },
];

/** More definitions the engines used to disagree on, with the values both must give per row of ISSUE_TABLE. */
export const DEFINITION_ROWS: readonly { readonly expr: string; readonly values: readonly unknown[] }[] = [
  { expr: 'round(amount, 2)', values: [2.68, 10000000] },
  { expr: 'round(-2.5, 0)', values: [-3, -3] },
  { expr: 'round(2.5, 0)', values: [3, 3] },
  { expr: 'round(0.125, 2)', values: [0.13, 0.13] },
  { expr: "substr('hello', -1, 3)", values: ['h', 'h'] },
  { expr: "substr('hello', 2)", values: ['ello', 'ello'] },
  { expr: "substr('héllo😀x', 5, 3)", values: ['o😀x', 'o😀x'] },
  { expr: 'substr(name, 0, 1)', values: [null, ''] },
  { expr: "lower('ÀBC İ')", values: ['Àbc İ', 'Àbc İ'] },
  { expr: "trim('  a b \t')", values: ['a b \t', 'a b \t'] },
  { expr: "length('e😀')", values: ['2', '2'] },
  { expr: "concat('a', 'b')", values: ['ab', 'ab'] },
  { expr: "coalesce(name, 'none')", values: ['none', 'Ann'] },
  { expr: "cast('12.5' as bigint)", values: [null, null] },
  { expr: "cast(' 12' as int)", values: [null, null] },
  { expr: "cast('+12' as int)", values: ['12', '12'] },
  { expr: "cast('99999999999' as int)", values: [null, null] },
  { expr: "cast('2024-02-30' as date)", values: [null, null] },
  { expr: "cast('2024-11' as date)", values: [null, null] },
  { expr: "cast('2024-02-29T10:11:12.5' as timestamp)", values: ['2024-02-29 10:11:12.5', '2024-02-29 10:11:12.5'] },
  { expr: "cast('1e400' as double)", values: [null, null] },
  { expr: "cast('TRUE' as boolean)", values: [null, null] },
  { expr: "cast('true' as boolean)", values: [true, true] },
  { expr: 'cast(amount * 1e300 as bigint)', values: [null, null] },
  { expr: 'cast(-2.9 as int)', values: ['-2', '-2'] },
  { expr: 'cast(9223372036854775807.0 as bigint)', values: [null, null] },
  { expr: 'cast(-9223372036854775808.0 as bigint)', values: ['-9223372036854775808', '-9223372036854775808'] },
  { expr: 'cast(2147483647.9 as int)', values: ['2147483647', '2147483647'] },
  { expr: 'cast(3000000000 as int)', values: [null, null] },
  { expr: 'CAST(CAST((-1358915994 + 9223372036854775807) AS int) AS boolean)', values: [null, null] },
  { expr: '9223372036854775807 + 1', values: [null, null] },
  { expr: 'abs(-9223372036854775807 - 1)', values: [null, null] },
  { expr: 'amount * 1e308', values: [null, null] },
  { expr: 'amount / 0', values: [null, null] },
  { expr: '7 / 2', values: [3.5, 3.5] },
  { expr: "'é' LIKE '_'", values: [true, true] },
  { expr: "'😀x' LIKE '_x'", values: [true, true] },
  { expr: "name LIKE 'A%'", values: [null, true] },
  { expr: "year(DATE '2024-02-29') + month(TIMESTAMP '2024-02-29 23:59:59')", values: ['2026', '2026'] },
  { expr: "date_trunc('week', DATE '2024-03-07')", values: ['2024-03-04', '2024-03-04'] },
  { expr: "date_trunc('month', TIMESTAMP '2024-03-07 10:11:12.123456')", values: ['2024-03-01 00:00:00', '2024-03-01 00:00:00'] },
  { expr: 'CASE WHEN amount > 100 THEN 1 ELSE 2.5 END', values: [2.5, 1] },
  { expr: "date_trunc('year', CAST(name AS timestamp)) = TIMESTAMP '2024-02-29 12:30:00.25'", values: [null, null] },
  { expr: 'amount IN (2.675, 3)', values: [true, false] },
  { expr: 'amount NOT BETWEEN 0 AND 10', values: [false, true] },
];

/** A table of decimal columns: prices with three places, money with the default two, a rate with four, a count. */
export const DECIMAL_TABLE: Table = {
  columns: [
    { name: 'price', type: 'decimal(18,3)' },
    { name: 'cents', type: 'decimal(18,2)' },
    { name: 'rate', type: 'decimal(9,4)' },
    { name: 'n', type: 'bigint' },
  ],
  rows: [
    ['1.005', '0.10', '0.0825', '3'],
    ['-2.675', '9999999999999999.99', '1.0000', null],
  ],
};

/** Decimal definitions (TRANSFORMS.md, "Expressions"): the values both engines give per row of DECIMAL_TABLE (decimals as plain digits). */
export const DECIMAL_ROWS: readonly { readonly expr: string; readonly values?: readonly unknown[]; readonly rejected?: RegExp }[] = [
  { expr: 'round(price, 2)', values: ['1.01', '-2.68'] },
  { expr: 'round(price, 0)', values: ['1', '-3'] },
  { expr: 'round(price, 5)', values: ['1.005', '-2.675'] },
  { expr: 'round(cents, 0)', values: ['0', '10000000000000000'] },
  { expr: 'price * n', values: ['3.015', null] },
  { expr: 'cents + cents', values: ['0.20', '19999999999999999.98'] },
  { expr: 'cents - price', values: ['-0.905', '10000000000000002.665'] },
  { expr: 'cents * rate', values: ['0.008250', '9999999999999999.990000'] },
  { expr: 'CAST(cents * rate AS decimal(18,2))', values: ['0.01', '9999999999999999.99'] },
  { expr: 'CAST(cents * 10 AS decimal(18,2))', values: ['1.00', null] },
  { expr: 'cents / 3', values: [0.1 / 3, 1e16 / 3] },
  { expr: 'cents * 1.5', values: [0.15000000000000002, 1.5e16] },
  { expr: 'CAST(price AS bigint)', values: ['1', '-2'] },
  { expr: 'CAST(price AS int)', values: ['1', '-2'] },
  { expr: 'CAST(price AS string)', values: ['1.005', '-2.675'] },
  { expr: 'CAST(price AS double)', values: [1.005, -2.675] },
  { expr: 'CAST(2.675 AS decimal(18,2))', values: ['2.68', '2.68'] },
  { expr: 'CAST(1.005 AS decimal)', values: ['1.00', '1.00'] },
  { expr: 'CAST(-0.125 AS decimal(9,2))', values: ['-0.13', '-0.13'] },
  { expr: 'CAST(1e300 AS decimal(38,0))', values: [null, null] },
  { expr: 'CAST(CAST(n AS double) AS decimal(9,4))', values: ['3.0000', null] },
  { expr: 'CAST(18.0 AS decimal(9,4))', values: ['18.0000', '18.0000'] },
  { expr: 'CAST(-99999.99995 AS decimal(9,4))', values: [null, null] },
  { expr: 'CAST(0.00005 AS decimal(9,4))', values: ['0.0001', '0.0001'] },
  { expr: "CAST('1.005' AS decimal(18,2))", values: ['1.01', '1.01'] },
  { expr: "CAST('-.5' AS decimal(3,0))", values: ['-1', '-1'] },
  { expr: "CAST('1e3' AS decimal(18,2))", values: [null, null] },
  { expr: "CAST(' 1' AS decimal(18,2))", values: [null, null] },
  { expr: "CAST('123' AS decimal(4,2))", values: [null, null] },
  { expr: 'CAST(n AS decimal(2,1))', values: ['3.0', null] },
  { expr: 'price = 1.005', values: [true, false] },
  { expr: 'price > cents', values: [true, false] },
  { expr: 'price IN (1.005, 2)', values: [true, false] },
  { expr: 'coalesce(n, price)', values: ['3.000', '-2.675'] },
  { expr: 'CASE WHEN n IS NULL THEN rate ELSE cents END', values: ['0.1000', '1.0000'] },
  { expr: "round(DECIMAL '1.005', 2)", values: ['1.01', '1.01'] },
  { expr: "DECIMAL '0.1' + DECIMAL '0.2' = DECIMAL '0.3'", values: [true, true] },
  { expr: "cents * DECIMAL '-1.10'", values: ['-0.1100', '-10999999999999999.9890'] },
  { expr: "DECIMAL '007.50'", values: ['7.50', '7.50'] },
  { expr: 'abs(price)', values: ['1.005', '2.675'] },
  { expr: '- price', values: ['-1.005', '2.675'] },
  { expr: 'cents * cents * rate', rejected: /\* of decimal\(37,4\) and decimal\(9,4\) is exact only as a decimal of more than 38 digits/ },
  { expr: 'CAST(rate * rate AS string)', rejected: /CAST of a decimal\(19,8\) to string is not allowed/ },
  { expr: 'CAST(price AS boolean)', rejected: /CAST from decimal\(18,3\) to boolean is not supported/ },
  { expr: 'CAST(price AS decimal(40,2))', rejected: /precision 40 is not a whole number from 1 to 38/ },
  { expr: "DECIMAL '1e3'", rejected: /DECIMAL '1e3' is not written as digits with an optional sign and point/ },
];
