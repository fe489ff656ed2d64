// The expression language: what the parser accepts and rejects, where errors point, the config loader's messages, and the SQL it prints.
import {
  compileDerive,
  compileExpression,
  describeExpressionError,
  type Expr,
  ExpressionError,
  expressionsSql,
  toDuckDbSql,
  toSparkSql,
} from '../../config/expression';
import type { SqlType } from '../../config/layout';
import { ConfigError, parsePipelineConfig } from '../../config/parse';

const COLUMNS = new Map<string, SqlType>([
  ['amount', 'double'],
  ['qty', 'int'],
  ['id', 'bigint'],
  ['name', 'string'],
  ['day', 'date'],
  ['at', 'timestamp'],
  ['ok', 'boolean'],
]);

function errorOf(text: string, columns = COLUMNS): ExpressionError {
  try {
    compileExpression(text, columns);
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw err;
  }
  throw new Error(`expected ${text} to be rejected`);
}

describe('accepted', () => {
  test.each([
    '1',
    "'it''s'",
    'amount * 100 + qty - id / 2',
    '-amount',
    'NOT ok AND (qty > 1 OR name IS NULL)',
    'name IS NOT NULL',
    "name IN ('a', 'b') AND qty NOT IN (1, 2)",
    'amount BETWEEN 0 AND 10.5 AND qty NOT BETWEEN -1 AND 1',
    "name LIKE 'a_%' OR name NOT LIKE '%z'",
    "CASE WHEN qty > 1 THEN 'many' WHEN qty = 1 THEN 'one' ELSE NULL END",
    'CAST(qty AS double) / CAST(id AS double)',
    "day >= DATE '2024-01-01' AND at < TIMESTAMP '2024-01-01 00:00:00.5'",
    'round(amount, 2) + abs(qty) + length(trim(upper(lower(name))))',
    "substr(concat(name, '-', CAST(day AS string)), 1, 7)",
    'coalesce(qty, id, 0)',
    'year(day) + quarter(at) + month(day) + day(at) + hour(at) + minute(at) + second(at)',
    "date_trunc('month', day) = DATE '2024-01-01'",
    '"at" IS NULL AND at IS NULL',
    'TRUE != FALSE',
  ])('%s', (text) => {
    expect(() => compileExpression(text, COLUMNS)).not.toThrow();
  });
});

describe('rejected, with the character and what is allowed', () => {
  test.each<[string, RegExp, number]>([
    ["reflect('java.lang.Runtime', 'getRuntime')", /unknown function reflect\(\); the functions are round, substr, concat, upper, lower, trim/, 0],
    ["java_method('java.lang.System', 'exit', 1)", /unknown function java_method\(\)/, 0],
    ['qty IN (SELECT 1)', /subqueries and SQL statements are not allowed/, 8],
    ['(select max(qty) from t)', /subqueries and SQL statements are not allowed/, 1],
    ['qty; DROP TABLE t', /";" is not allowed/, 3],
    ['qty -- comment', /comments are not allowed/, 4],
    ['qty /* c */ + 1', /comments are not allowed/, 4],
    ['now()', /unknown function now\(\)/, 0],
    ['amont > 1', /unknown column "amont"; it may use these columns: amount, qty, id, name, day, at, ok/, 0],
    ['`qty` > 1', /backquotes are not allowed/, 0],
    ["name || 'x'", /"\|\|" is not supported; use concat\(a, b\)/, 5],
    ['qty % 2', /"%" is not supported/, 4],
    ["name + 'x'", /each side of \+ \(join strings with concat\(a, b\)\) must be int or bigint or double or decimal, but this is string/, 0],
    ["day = '2024-01-01'", /the comparison = mixes date and string/, 4],
    ['CAST(amount AS string)', /CAST of a double to string is not allowed/, 0],
    ['CAST(day AS int)', /CAST from date to int is not supported/, 0],
    ['CAST(qty AS varchar)', /"VARCHAR" is not a type to cast to; use one of string, int, bigint, double, boolean, date, timestamp/, 12],
    ["DATE '2024-02-30'", /DATE '2024-02-30' is not a valid date/, 5],
    ['round(amount, qty)', /the digits of round\(\) must be a whole number written out, from 0 to 15/, 14],
    ['substr(name, 1)', /./, -1],
    ['upper(name, 1)', /upper\(\) takes 1 argument, got 2: upper\(string\)/, 13],
    ["date_trunc('fortnight', day)", /the unit of date_trunc\(\) must be one of 'year', 'quarter', 'month', 'week', 'day'/, 11],
    ['qty > 1 = TRUE', /comparisons do not chain/, 8],
    ['qty qty', /unexpected "QTY" after a complete expression/, 4],
    ["name LIKE 'a\\%'", /a LIKE pattern may not contain "\\"/, 12],
    ["'open", /unterminated string/, 0],
    ["name LIKE '%😀'", /a LIKE pattern may not contain characters beyond U\+FFFF such as emoji \(Spark matches them wrongly\)/, 12],
    ['CASE qty WHEN 1 THEN 2 END', /expected WHEN after CASE/, 5],
    ['99999999999999999999', /too large for a bigint/, 0],
    ['1e999', /out of the range of a double/, 0],
    ['select', /subqueries and SQL statements are not allowed/, 0],
    ['qty >', /expected a value: a column, a literal .* found the end of the expression/, 5],
  ])('%s', (text, message, offset) => {
    if (offset < 0) {
      expect(() => compileExpression(text, COLUMNS)).not.toThrow();
      return;
    }
    const err = errorOf(text);
    expect(err.message).toMatch(message);
    expect(err.offset).toBe(offset);
  });

  test('the caret line points at the character', () => {
    const text = 'amount +\n  nme * 2';
    expect(describeExpressionError(text, errorOf(text))).toBe(
      'unknown column "nme"; it may use these columns: amount, qty, id, name, day, at, ok\n        nme * 2\n        ^ character 12',
    );
  });

  test('a derived column whose expression cannot be stored as its type says both', () => {
    expect(() => compileDerive('amount * 2', COLUMNS, 'string')).toThrow(
      /the expression gives double, and the column's type is string: CAST of a double to string/,
    );
    expect(() => compileDerive('amount * 2', COLUMNS, 'bigint')).not.toThrow();
  });
});

describe('the config loader checks every expression', () => {
  const dataset = (transforms: unknown) => ({
    datasets: [
      {
        name: 'orders',
        columns: [
          { name: 'id', type: 'integer' },
          { name: 'at', type: 'timestamp' },
          { name: 'amount', type: 'decimal' },
        ],
        transforms,
      },
    ],
  });

  function problemsOf(transforms: unknown): string {
    try {
      parsePipelineConfig(dataset(transforms), 'test config');
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    return '';
  }

  test('a column named at, renames and earlier derived columns are usable', () => {
    expect(
      problemsOf({
        rename: { amount: 'total' },
        derive: [
          { name: 'cents', expr: 'CAST(total * 100 AS bigint)', type: 'bigint' },
          { name: 'label', expr: "concat(CAST(cents AS string), '@', CAST(at AS string))" },
        ],
        filter: 'at IS NOT NULL AND cents > 0',
      }),
    ).toBe('');
  });

  test('each problem names the key, shows the value and a caret', () => {
    const message = problemsOf({
      rename: { amount: 'total' },
      derive: [
        { name: 'cents', expr: 'CAST(amount * 100 AS bigint)', type: 'bigint' },
        { name: 'later', expr: 'cents + reflect(1)', type: 'bigint' },
        { name: 'early', expr: 'later2 + 1', type: 'bigint' },
        { name: 'later2', expr: '1', type: 'bigint' },
      ],
      filter: 'id; DROP TABLE orders',
    });
    expect(message).toContain('Invalid pipeline config test config (4 problems):');
    expect(message).toContain(
      '  - datasets[0].transforms.derive[0].expr: unknown column "amount"; it may use these columns: id, at, total (got "CAST(amount * 100 AS bigint)")\n      CAST(amount * 100 AS bigint)\n           ^ character 6',
    );
    expect(message).toContain('datasets[0].transforms.derive[1].expr: unknown function reflect(); the functions are round, substr');
    expect(message).toContain('datasets[0].transforms.derive[2].expr: unknown column "later2"; it may use these columns: id, at, total, cents, later (got');
    expect(message).toContain(
      'datasets[0].transforms.filter: ";" is not allowed: an expression is one value, not a list of statements (got "id; DROP TABLE orders")',
    );
  });

  test('a filter that is not a condition', () => {
    expect(problemsOf({ filter: 'amount * 2' })).toMatch(
      /transforms\.filter: a filter must be a condition \(boolean\), but this expression gives decimal\(29,2\)/,
    );
  });
});

describe('generated SQL', () => {
  const sql = (text: string): { duckdb: string; spark: string } => {
    const tree: Expr = compileExpression(text, COLUMNS);
    return { duckdb: toDuckDbSql(tree), spark: toSparkSql(tree) };
  };

  test('identifiers are quoted and string literals escaped for each engine', () => {
    expect(sql(`"at" IS NULL AND name = 'it''s \\ here'`)).toEqual({
      duckdb: `(("at" IS NULL) AND ("name" = 'it''s \\ here'))`,
      spark: "((`at` IS NULL) AND (`name` = 'it\\'s \\\\ here'))",
    });
  });

  test.each([
    'round(amount, 2)',
    'substr(name, 0, 3)',
    "upper(concat(name, '-', lower(name)))",
    'CAST(amount * 100 AS bigint)',
    'CAST(name AS date)',
    'qty + id * 2',
    'CASE WHEN ok THEN qty ELSE amount END',
    "date_trunc('month', day)",
  ])('%s', (text) => {
    expect(sql(text)).toMatchSnapshot();
  });
});

describe('expressionsSql: what the transform spec would carry to each engine', () => {
  test('derive cast to its type, the filter, quoted identifiers', () => {
    const config = parsePipelineConfig(
      {
        datasets: [
          {
            name: 'orders',
            columns: [
              { name: 'id', type: 'integer' },
              { name: 'at', type: 'timestamp' },
            ],
            transforms: { derive: [{ name: 'day', expr: 'CAST(at AS date)', type: 'string' }], filter: 'id > 0' },
          },
        ],
      },
      'test config',
    );
    expect(expressionsSql(config.datasets[0], 'spark')).toEqual({
      derive: [{ name: 'day', type: 'string', sql: 'CAST(CAST(`at` AS DATE) AS STRING)' }],
      filter: '(`id` > CAST(0 AS BIGINT))',
    });
    expect(expressionsSql(config.datasets[0], 'duckdb').filter).toBe('("id" > CAST(0 AS BIGINT))');
  });
});
