// Prints a checked expression tree as DuckDB SQL or as Spark SQL, spelling out each function so both engines compute the same value.
//
// Every identifier is quoted, every literal typed, and each construct whose built-in differs between the engines
// (round, substr, upper/lower, trim, concat's nulls, casts from string and to integers, integer overflow) is
// written as an explicit formula: the definitions are in glue-scripts/TRANSFORMS.md, "Expressions".
import { decimalParts, type SqlType } from '../layout';
import type { Call, Expr, ExprType } from './ast';
import { commonType, exactDecimal, isDecimal, typeOf } from './check';

export type Engine = 'duckdb' | 'spark';

interface Dialect {
  readonly engine: Engine;
  ident(name: string): string;
  string(value: string): string;
  type(t: SqlType): string;
  /** Integer + - * on two bigints; NULL on overflow. */
  integer(op: '+' | '-' | '*', a: string, b: string): string;
  /** A double result; NULL when it is not finite. */
  finite(r: string): string;
  /** Whether the whole string matches the regular expression (RE2 and java.util.regex alike). */
  matches(s: string, regex: string): string;
  /** A cast both engines implement alike for the values that reach it (the callers guard the rest). */
  tryCast(x: string, to: SqlType): string;
}

/** Double arithmetic and parsing give ±Infinity on overflow in both engines (never NaN here: no input is infinite); both map it to NULL. */
function finiteSql(r: string): string {
  return `NULLIF(NULLIF(${r}, CAST('Infinity' AS DOUBLE)), CAST('-Infinity' AS DOUBLE))`;
}

/** The name of `decimal(p,s)` in both engines' SQL, or undefined for any other type. */
function decimalName(t: SqlType): string | undefined {
  const d = decimalParts(t);
  return d && `DECIMAL(${d.precision},${d.scale})`;
}

const DUCKDB_NAMES: Readonly<Record<string, string>> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

/** DuckDB's name for a transform SQL type, `decimal(p,s)` included (the DuckDB engine and its tests use this one function). */
export function duckdbType(t: SqlType): string {
  return decimalName(t) ?? DUCKDB_NAMES[t];
}

const SPARK_NAMES: Readonly<Record<string, string>> = {
  string: 'STRING',
  int: 'INT',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

const DUCKDB: Dialect = {
  engine: 'duckdb',
  ident: (name) => `"${name.replace(/"/g, '""')}"`,
  string: (value) => `'${value.replace(/'/g, "''")}'`,
  type: (t) => duckdbType(t),
  integer: (op, a, b) => `TRY(${a} ${op} ${b})`,
  finite: (r) => finiteSql(r),
  matches: (s, regex) => `regexp_full_match(${s}, '${regex}')`,
  tryCast: (x, to) => `TRY_CAST(${x} AS ${DUCKDB.type(to)})`,
};

const SPARK: Dialect = {
  engine: 'spark',
  ident: (name) => `\`${name.replace(/`/g, '``')}\``,
  // Spark reads backslash escapes in string literals; escape both the backslash and the quote.
  string: (value) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
  type: (t) => decimalName(t) ?? SPARK_NAMES[t],
  integer: (op, a, b) => `${{ '+': 'try_add', '-': 'try_subtract', '*': 'try_multiply' }[op]}(${a}, ${b})`,
  finite: (r) => finiteSql(r),
  matches: (s, regex) => `(${s} RLIKE ${SPARK.string(`^(?:${regex})\\z`)})`,
  tryCast: (x, to) => `CAST(${x} AS ${SPARK.type(to)})`,
};

const DIALECTS: Record<Engine, Dialect> = { duckdb: DUCKDB, spark: SPARK };

/** Texts a cast from string accepts (anything else casts to NULL); both engines parse these alike. */
const YEAR = '(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})';
export const STRING_FORMATS = {
  integer: '[+-]?[0-9]+',
  double: '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]{1,3})?',
  decimal: '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)',
  date: `${YEAR}-[0-9]{2}-[0-9]{2}`,
  timestamp: `${YEAR}-[0-9]{2}-[0-9]{2}([ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?)?`,
} as const;

const ASCII_LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ASCII_UPPER = ASCII_LOWER.toUpperCase();

function doubleLiteral(value: number | string): string {
  return `CAST('${String(value)}' AS DOUBLE)`;
}

function bigint(value: number | string): string {
  return `CAST('${String(value)}' AS BIGINT)`;
}

function castFromString(d: Dialect, x: string, to: SqlType): string {
  switch (to) {
    case 'int':
    case 'bigint':
      return `CASE WHEN ${d.matches(x, STRING_FORMATS.integer)} THEN ${d.tryCast(x, to)} END`;
    case 'double':
      return `CASE WHEN ${d.matches(x, STRING_FORMATS.double)} THEN ${d.finite(d.tryCast(x, 'double'))} END`;
    case 'boolean':
      return `CASE ${x} WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END`;
    case 'date':
    case 'timestamp':
      return `CASE WHEN ${d.matches(x, STRING_FORMATS[to])} THEN ${d.tryCast(x, to)} END`;
    default:
      // decimal(p,s): rounded half away from zero to the scale; NULL when it does not fit.
      return decimalParts(to) ? `CASE WHEN ${d.matches(x, STRING_FORMATS.decimal)} THEN ${d.tryCast(x, to)} END` : x;
  }
}

/** CAST(x AS to) for a value of type `from`, as defined in TRANSFORMS.md (checked allowed by castProblem). */
export function castSql(d: Dialect, from: ExprType, to: SqlType, x: string): string {
  if (from === to) return x;
  if (from === 'null') return `CAST(NULL AS ${d.type(to)})`;
  if (from === 'string') return castFromString(d, x, to);
  if ((from === 'int' || from === 'bigint') && to === 'boolean') return `(${x} <> 0)`;
  if (isDecimal(to) || isDecimal(from)) return decimalCastSql(d, from, to, x);
  // Both truncate a double toward zero and give NULL out of range (Spark's try_cast has ANSI rules: no wrap-around).
  // Not TRY_CAST in DuckDB: its optimizer drops TRY_CAST(bigint AS INTEGER) in a comparison with a constant
  // (TRY_CAST(9223372035495859813 AS INTEGER) <> 0 gives true), so the range is checked explicitly.
  if (from === 'bigint' && to === 'int') {
    return d.engine === 'duckdb' ? `CASE WHEN ${x} BETWEEN -2147483648 AND 2147483647 THEN CAST(${x} AS INTEGER) END` : `try_cast(${x} AS INT)`;
  }
  if (from === 'double' && (to === 'int' || to === 'bigint')) {
    if (d.engine === 'duckdb') return d.tryCast(`trunc(${x})`, to);
    // Spark's try_cast lets 2^63 through as 9223372036854775807, a value no double has: that one is NULL too.
    return to === 'int' ? `try_cast(${x} AS INT)` : `NULLIF(try_cast(${x} AS BIGINT), 9223372036854775807)`;
  }
  return `CAST(${x} AS ${d.type(to)})`;
}

/** 2^53: integers from here on are not all doubles; a double's value times 10^scale must stay under it to make a decimal. */
const DOUBLE_EXACT_INTEGERS = 2 ** 53;

/** Casts to or from decimal(p,s) (TRANSFORMS.md): both engines round half away from zero and give NULL when the value does not fit. */
function decimalCastSql(d: Dialect, from: ExprType, to: SqlType, x: string): string {
  const target = decimalParts(to);
  if (target && from === 'double') {
    // round(x, scale) on the double (half away from zero): an exact whole number k, then k * 10^-scale, exact. Spark
    // reads "kE-s"; DuckDB parses that string at the target scale before the exponent (and overflows), so it multiplies.
    const k = roundedDouble(x, target.scale);
    const whole = `CAST(${k} AS BIGINT)`;
    const place = target.scale === 0 ? '1' : `0.${'0'.repeat(target.scale - 1)}1`;
    const exact =
      d.engine === 'duckdb'
        ? `(CAST(${whole} AS DECIMAL(38,0)) * CAST('${place}' AS DECIMAL(38,${target.scale})))`
        : `concat(CAST(${whole} AS STRING), 'E-${target.scale}')`;
    return `CASE WHEN abs(${k}) < ${doubleLiteral(DOUBLE_EXACT_INTEGERS)} THEN ${d.tryCast(exact, to)} END`;
  }
  // From int, bigint or another decimal: exact, or rounded half away from zero to a smaller scale (both engines do).
  if (target) return d.tryCast(x, to);
  if (to === 'int' || to === 'bigint') {
    // Truncated toward zero (DuckDB's cast rounds, Spark's truncates); NULL out of range.
    if (d.engine === 'spark') return `try_cast(${x} AS ${d.type(to)})`;
    const [low, high] = to === 'int' ? ['-2147483648', '2147483647'] : ['-9223372036854775808', '9223372036854775807'];
    return `CASE WHEN trunc(${x}) BETWEEN ${low} AND ${high} THEN CAST(trunc(${x}) AS ${d.type(to)}) END`;
  }
  // To double (the nearest double, both) or to string (plain digits with the scale's places, scale <= 6: castProblem).
  return `CAST(${x} AS ${d.type(to)})`;
}

/** floor(abs(x) * 10^digits + 0.5) with x's sign, as a double: the half-away-from-zero rounding of x at `digits` places, times 10^digits. */
function roundedDouble(x: string, digits: number): string {
  const p = doubleLiteral(10 ** digits);
  const half = doubleLiteral(0.5);
  return `CASE WHEN ${x} < ${doubleLiteral(0)} THEN (- CAST(floor((- ${x}) * ${p} + ${half}) AS DOUBLE)) ELSE CAST(floor(${x} * ${p} + ${half}) AS DOUBLE) END`;
}

class Printer {
  constructor(private readonly d: Dialect) {}

  /** The node's SQL, converted to `to` when it is a narrower number or an untyped NULL. */
  widened(e: Expr, to: ExprType): string {
    const from = typeOf(e);
    if (from === to || to === 'null') return this.sql(e);
    return castSql(this.d, from, to, this.sql(e));
  }

  private list(es: readonly Expr[]): { sql: string[]; type: ExprType } {
    const type = commonType(es.map(typeOf)) ?? 'null';
    return { sql: es.map((e) => this.widened(e, type)), type };
  }

  sql(e: Expr): string {
    const d = this.d;
    const not = (negated: boolean) => (negated ? 'NOT ' : '');
    switch (e.kind) {
      case 'literal':
        return this.literal(e);
      case 'column':
        return d.ident(e.name);
      case 'unary':
        if (e.op === 'NOT') return `(NOT ${this.widened(e.operand, 'boolean')})`;
        if (typeOf(e) === 'double' || isDecimal(typeOf(e))) return `(- ${this.widened(e.operand, typeOf(e))})`;
        return d.integer('-', bigint(0), this.widened(e.operand, 'bigint'));
      case 'binary':
        return this.binary(e);
      case 'isNull':
        return `(${this.sql(e.operand)} IS ${not(e.negated)}NULL)`;
      case 'in': {
        const [x, ...items] = this.list([e.operand, ...e.list]).sql;
        return `(${x} ${not(e.negated)}IN (${items.join(', ')}))`;
      }
      case 'between': {
        const [x, low, high] = this.list([e.operand, e.low, e.high]).sql;
        return `(${x} ${not(e.negated)}BETWEEN ${low} AND ${high})`;
      }
      case 'like':
        return `(${this.widened(e.operand, 'string')} ${not(e.negated)}LIKE ${d.string(e.pattern)})`;
      case 'case': {
        const results = this.list([...e.whens.map((w) => w.result), ...(e.otherwise ? [e.otherwise] : [])]).sql;
        const whens = e.whens.map((w, i) => `WHEN ${this.widened(w.when, 'boolean')} THEN ${results[i]}`).join(' ');
        return `CASE ${whens}${e.otherwise ? ` ELSE ${results[results.length - 1]}` : ''} END`;
      }
      case 'cast':
        return castSql(d, typeOf(e.operand), e.to, this.sql(e.operand));
      case 'call':
        return this.call(e);
    }
  }

  private literal(e: Expr & { kind: 'literal' }): string {
    switch (e.literalType) {
      case 'int':
        return Number(e.value) < 0 ? `(${e.value})` : String(e.value);
      case 'bigint':
        return bigint(String(e.value));
      case 'double':
        return doubleLiteral(String(e.value));
      case 'string':
        return this.d.string(String(e.value));
      case 'boolean':
        return e.value ? 'TRUE' : 'FALSE';
      case 'date':
        return `DATE '${e.value}'`;
      case 'timestamp':
        return `TIMESTAMP '${e.value}'`;
      case 'null':
        return 'NULL';
      default:
        // DECIMAL '12.50': its digits, exact in both engines.
        if (isDecimal(e.literalType)) return `CAST('${e.value}' AS ${this.d.type(e.literalType as SqlType)})`;
        throw new Error(`no literal of type ${e.literalType}`);
    }
  }

  private binary(e: Expr & { kind: 'binary' }): string {
    const d = this.d;
    if (e.op === 'AND' || e.op === 'OR') return `(${this.widened(e.left, 'boolean')} ${e.op} ${this.widened(e.right, 'boolean')})`;
    if (e.op === '/') {
      const [a, b] = [this.widened(e.left, 'double'), this.widened(e.right, 'double')];
      return d.finite(`(${a} / NULLIF(${b}, ${doubleLiteral(0)}))`);
    }
    if (e.op === '+' || e.op === '-' || e.op === '*') {
      if (isDecimal(typeOf(e))) return this.decimalArithmetic(e, e.op);
      if (typeOf(e) === 'double') return d.finite(`(${this.widened(e.left, 'double')} ${e.op} ${this.widened(e.right, 'double')})`);
      return d.integer(e.op, this.widened(e.left, 'bigint'), this.widened(e.right, 'bigint'));
    }
    const [a, b] = this.list([e.left, e.right]).sql;
    return `(${a} ${e.op} ${b})`;
  }

  /**
   * Exact decimal + - *: each side cast to a decimal that holds it, so that the engine's own result type holds the
   * exact result (e's type, from decimalArithmeticType), then cast to e's type. DuckDB computes in DECIMAL(38, s)
   * (its narrower types overflow with an error); Spark gets operands whose result type is e's exactly (a wider one
   * would make it round the scale down).
   */
  private decimalArithmetic(e: Expr & { kind: 'binary' }, op: '+' | '-' | '*'): string {
    const result = decimalParts(typeOf(e))!;
    const side = (x: Expr) => {
      const own = exactDecimal(typeOf(x) === 'null' ? typeOf(e) : typeOf(x))!;
      const scale = op === '*' ? own.scale : result.scale;
      const precision = this.d.engine === 'duckdb' ? 38 : op === '*' ? own.precision : result.precision - 1;
      return this.widened(x, `decimal(${precision},${scale})`);
    };
    return `CAST((${side(e.left)} ${op} ${side(e.right)}) AS ${this.d.type(typeOf(e) as SqlType)})`;
  }

  private call(e: Call): string {
    const d = this.d;
    const a = e.args;
    // An untyped NULL argument gets the argument's type, so both engines find the function.
    const str = (i = 0) => this.widened(a[i], 'string');
    const x = () => str();
    switch (e.name) {
      case 'round':
        if (typeOf(e) === 'double') return this.round(this.widened(a[0], 'double'), Number((a[1] as { value: string }).value));
        // A decimal to fewer places: the cast rounds half away from zero in both engines.
        return isDecimal(typeOf(e)) && typeOf(e) !== typeOf(a[0]) ? `CAST(${this.sql(a[0])} AS ${d.type(typeOf(e) as SqlType)})` : this.sql(a[0]);
      case 'substr':
        return this.substr(
          x(),
          a.slice(1).map((n) => Number((n as { value: string }).value)),
        );
      case 'concat':
        return d.engine === 'duckdb' ? `(${a.map((_, i) => str(i)).join(' || ')})` : `concat(${a.map((_, i) => str(i)).join(', ')})`;
      case 'upper':
        return `translate(${x()}, '${ASCII_LOWER}', '${ASCII_UPPER}')`;
      case 'lower':
        return `translate(${x()}, '${ASCII_UPPER}', '${ASCII_LOWER}')`;
      case 'trim':
        return d.engine === 'duckdb' ? `trim(${x()}, ' ')` : `trim(BOTH ' ' FROM ${x()})`;
      case 'length':
        return d.engine === 'duckdb' ? `CAST(length(${x()}) AS INTEGER)` : `length(${x()})`;
      case 'coalesce':
        return `coalesce(${this.list(a).sql.join(', ')})`;
      case 'abs': {
        if (typeOf(e) === 'double' || isDecimal(typeOf(e))) return `abs(${this.widened(a[0], typeOf(e))})`;
        const v = this.widened(a[0], 'bigint');
        return `CASE WHEN ${v} < 0 THEN ${d.integer('-', bigint(0), v)} ELSE ${v} END`;
      }
      case 'date_trunc': {
        if (typeOf(e) === 'null') return 'NULL';
        const unit = String((a[0] as { value: string }).value);
        const value = this.widened(a[1], typeOf(e));
        if (typeOf(e) === 'date') return `CAST(date_trunc('${unit}', ${value}) AS DATE)`;
        // DuckDB folds date_trunc(unit, NULL) = <a timestamp not on a unit boundary> to false, not NULL: hide the NULL from it.
        return d.engine === 'duckdb' ? `CASE WHEN ${value} IS NOT NULL THEN date_trunc('${unit}', ${value}) END` : `date_trunc('${unit}', ${value})`;
      }
      default: {
        // year, quarter, month, day, hour, minute, second: whole numbers, as int.
        const v = this.widened(a[0], ['hour', 'minute', 'second'].includes(e.name) ? 'timestamp' : typeOf(a[0]) === 'null' ? 'date' : typeOf(a[0]));
        return d.engine === 'duckdb' ? `CAST(${e.name}(${v}) AS INTEGER)` : `${e.name}(${v})`;
      }
    }
  }

  /** round(x, n) half away from zero on the double value: sign(x) * floor(|x| * 10^n + 0.5) / 10^n, x itself from 2^52 / 10^n up. */
  private round(x: string, digits: number): string {
    const p = doubleLiteral(10 ** digits);
    const limit = doubleLiteral(2 ** 52 / 10 ** digits);
    const half = doubleLiteral(0.5);
    const up = (v: string) => `CAST(floor(${v} * ${p} + ${half}) AS DOUBLE) / ${p}`;
    return `CASE WHEN abs(${x}) >= ${limit} THEN ${x} WHEN ${x} < ${doubleLiteral(0)} THEN (- (${up(`(- ${x})`)})) ELSE ${up(x)} END`;
  }

  /** SQL-standard substring: the characters at positions start .. start + length - 1 that exist (1-based, code points). */
  private substr(s: string, [start, length]: number[]): string {
    const from = Math.max(start, 1);
    if (length === undefined) return `substr(${s}, ${from})`;
    const count = start + length - from;
    if (count <= 0) return `CASE WHEN ${s} IS NULL THEN NULL ELSE '' END`;
    return `substr(${s}, ${from}, ${count})`;
  }
}

/** The SQL of a checked expression for one engine. */
export function expressionSql(expr: Expr, engine: Engine): string {
  return new Printer(DIALECTS[engine]).sql(expr);
}

/** DuckDB SQL of a checked expression. */
export function toDuckDbSql(expr: Expr): string {
  return expressionSql(expr, 'duckdb');
}

/** Spark SQL of a checked expression. */
export function toSparkSql(expr: Expr): string {
  return expressionSql(expr, 'spark');
}
