// Types an expression tree against the columns available where it runs, rejecting unknown columns and mixed types at their character.
import { DECIMAL_MAX_PRECISION, decimalParts, decimalSqlType, type SqlType } from '../layout';
import { type Call, type Expr, type ExprType, ExpressionError } from './ast';
import { DATE_PARTS, DATE_TRUNC_UNITS, FUNCTIONS } from './functions';

const NUMERIC: readonly ExprType[] = ['int', 'bigint', 'double'];

/** Whether the type is an exact `decimal(p,s)`. */
export function isDecimal(t: ExprType | undefined): boolean {
  return t?.startsWith('decimal(') === true;
}

export function isNumeric(t: ExprType | undefined): boolean {
  return t !== undefined && (NUMERIC.includes(t) || isDecimal(t));
}

/** The exact decimal an integer or decimal type fits: int decimal(10,0), bigint decimal(19,0); undefined for a double. */
export function exactDecimal(t: ExprType): { readonly precision: number; readonly scale: number } | undefined {
  if (t === 'int') return { precision: 10, scale: 0 };
  if (t === 'bigint') return { precision: 19, scale: 0 };
  return decimalParts(t);
}

/** The decimal every one of these exact types fits without loss (the most digits before and after the point), or undefined past 38 digits. */
function widestDecimal(types: readonly ExprType[]): SqlType | undefined {
  const parts = types.map((t) => exactDecimal(t)!);
  const scale = Math.max(...parts.map((p) => p.scale));
  const precision = Math.max(...parts.map((p) => p.precision - p.scale)) + scale;
  return precision <= DECIMAL_MAX_PRECISION ? decimalSqlType(precision, scale) : undefined;
}

/**
 * The type values of these types are compared or combined as, or undefined when they do not mix. Numbers widen: any
 * double makes a double; else any decimal makes the decimal all of them fit (undefined past 38 digits); else bigint or int.
 */
export function commonType(types: readonly ExprType[]): ExprType | undefined {
  const known = types.filter((t) => t !== 'null');
  if (!known.length) return 'null';
  if (known.every(isNumeric)) {
    if (known.includes('double')) return 'double';
    if (known.some(isDecimal)) return widestDecimal(known);
    return known.includes('bigint') ? 'bigint' : 'int';
  }
  return known.every((t) => t === known[0]) ? known[0] : undefined;
}

/**
 * The exact result type of + - * on two integers or decimals, at least one a decimal: + and - keep the larger scale
 * with one more digit before the point; * adds the precisions plus one and the scales (Spark's rule, so its result
 * type is this one). Undefined past 38 digits.
 */
export function decimalArithmeticType(op: '+' | '-' | '*', a: ExprType, b: ExprType): SqlType | undefined {
  const [x, y] = [exactDecimal(a)!, exactDecimal(b)!];
  const scale = op === '*' ? x.scale + y.scale : Math.max(x.scale, y.scale);
  const precision = op === '*' ? x.precision + y.precision + 1 : Math.max(x.precision - x.scale, y.precision - y.scale) + scale + 1;
  return precision <= DECIMAL_MAX_PRECISION ? decimalSqlType(precision, scale) : undefined;
}

/** The most digits after the point a decimal may have to be cast to string: Spark writes 1E-7 for smaller values at larger scales. */
export const DECIMAL_STRING_MAX_SCALE = 6;

/** The type of a checked node. */
export function typeOf(e: Expr): ExprType {
  if (!e.type) throw new Error(`expression node ${e.kind} at ${e.offset} was not type-checked`);
  return e.type;
}

/**
 * Why CAST(from AS to) is not allowed, or undefined when it is. Casts whose result the engines format or
 * parse differently, or that have no meaning (a date to a number), are refused with the way round.
 */
export function castProblem(from: ExprType, to: SqlType): string | undefined {
  if (from === 'double' && to === 'string') {
    return 'CAST of a double to string is not allowed: DuckDB writes 10000000.0 where Spark writes 1.0E7; cast it to bigint first, e.g. CAST(CAST(round(x, 0) AS bigint) AS string), or keep it a double';
  }
  const scale = decimalParts(from)?.scale ?? 0;
  if (to === 'string' && scale > DECIMAL_STRING_MAX_SCALE) {
    return `CAST of a ${from} to string is not allowed: Spark writes small values with an exponent (1E-7) past ${DECIMAL_STRING_MAX_SCALE} places; cast it to decimal(${Math.min(decimalParts(from)!.precision, 38)},${DECIMAL_STRING_MAX_SCALE}) first (rounds half away from zero)`;
  }
  if (from === to || from === 'null' || from === 'string' || to === 'string') return undefined;
  if (isNumeric(from) && isNumeric(to)) return undefined;
  if ((from === 'date' && to === 'timestamp') || (from === 'timestamp' && to === 'date')) return undefined;
  if ((from === 'boolean' && (to === 'int' || to === 'bigint')) || ((from === 'int' || from === 'bigint') && to === 'boolean')) return undefined;
  return `CAST from ${from} to ${to} is not supported; the casts are between numbers (int, bigint, double, decimal), between date and timestamp, integer <-> boolean, and anything to or from string (but not double, nor a decimal of more than ${DECIMAL_STRING_MAX_SCALE} places, to string)`;
}

function mixError(types: readonly ExprType[], what: string, offset: number): ExpressionError {
  const shown = [...new Set(types.filter((t) => t !== 'null'))].join(' and ');
  if (types.every((t) => t === 'null' || isNumeric(t))) {
    return new ExpressionError(
      `${what} mixes ${shown}, which together need more than ${DECIMAL_MAX_PRECISION} digits as one decimal; CAST one side to a smaller decimal, e.g. CAST(x AS decimal(18,2)), or to double`,
      offset,
    );
  }
  return new ExpressionError(`${what} mixes ${shown}, which do not compare or combine; CAST one side, e.g. CAST(x AS string) or DATE 'YYYY-MM-DD'`, offset);
}

class Checker {
  constructor(private readonly columns: ReadonlyMap<string, SqlType>) {}

  private expectType(e: Expr, allowed: readonly ExprType[], what: string): Expr {
    const typed = this.check(e);
    const t = typeOf(typed);
    const numbers = allowed === NUMERIC;
    if (t !== 'null' && !allowed.includes(t) && !(numbers && isDecimal(t))) {
      throw new ExpressionError(`${what} must be ${[...allowed, ...(numbers ? ['decimal'] : [])].join(' or ')}, but this is ${t}`, e.offset);
    }
    return typed;
  }

  private unified(list: readonly Expr[], what: string, offset: number): { typed: Expr[]; type: ExprType } {
    const typed = list.map((e) => this.check(e));
    const type = commonType(typed.map(typeOf));
    if (!type) throw mixError(typed.map(typeOf), what, offset);
    return { typed, type };
  }

  check(e: Expr): Expr {
    switch (e.kind) {
      case 'literal':
        return { ...e, type: e.literalType };
      case 'column': {
        const type = this.columns.get(e.name);
        if (!type) throw new ExpressionError(`unknown column "${e.name}"; it may use these columns: ${[...this.columns.keys()].join(', ')}`, e.offset);
        return { ...e, type };
      }
      case 'unary': {
        if (e.op === 'NOT') return { ...e, operand: this.expectType(e.operand, ['boolean'], 'the operand of NOT'), type: 'boolean' };
        const operand = this.expectType(e.operand, NUMERIC, 'the operand of unary -');
        const t = typeOf(operand);
        return { ...e, operand, type: t === 'double' || isDecimal(t) ? t : 'bigint' };
      }
      case 'binary':
        return this.binary(e);
      case 'isNull':
        return { ...e, operand: this.check(e.operand), type: 'boolean' };
      case 'in': {
        const { typed } = this.unified([e.operand, ...e.list], 'IN', e.offset);
        return { ...e, operand: typed[0], list: typed.slice(1), type: 'boolean' };
      }
      case 'between': {
        const { typed } = this.unified([e.operand, e.low, e.high], 'BETWEEN', e.offset);
        return { ...e, operand: typed[0], low: typed[1], high: typed[2], type: 'boolean' };
      }
      case 'like':
        return { ...e, operand: this.expectType(e.operand, ['string'], 'the value before LIKE'), type: 'boolean' };
      case 'case': {
        const whens = e.whens.map((w) => ({ when: this.expectType(w.when, ['boolean'], 'a WHEN condition'), result: w.result }));
        const results = [...e.whens.map((w) => w.result), ...(e.otherwise ? [e.otherwise] : [])];
        const { typed, type } = this.unified(results, 'the results of CASE', e.offset);
        const checked = whens.map((w, i) => ({ when: w.when, result: typed[i] }));
        return e.otherwise ? { ...e, whens: checked, otherwise: typed[typed.length - 1], type } : { ...e, whens: checked, type };
      }
      case 'cast': {
        const operand = this.check(e.operand);
        const problem = castProblem(typeOf(operand), e.to);
        if (problem) throw new ExpressionError(problem, e.offset);
        return { ...e, operand, type: e.to };
      }
      case 'call':
        return this.call(e);
    }
  }

  private binary(e: Expr & { kind: 'binary' }): Expr {
    if (e.op === 'AND' || e.op === 'OR') {
      const left = this.expectType(e.left, ['boolean'], `each side of ${e.op}`);
      return { ...e, left, right: this.expectType(e.right, ['boolean'], `each side of ${e.op}`), type: 'boolean' };
    }
    if (e.op === '+' || e.op === '-' || e.op === '*' || e.op === '/') {
      const hint = e.op === '+' ? ' (join strings with concat(a, b))' : '';
      const left = this.expectType(e.left, NUMERIC, `each side of ${e.op}${hint}`);
      const right = this.expectType(e.right, NUMERIC, `each side of ${e.op}${hint}`);
      const [l, r] = [typeOf(left), typeOf(right)];
      const double = e.op === '/' || l === 'double' || r === 'double';
      if (double || !(isDecimal(l) || isDecimal(r))) return { ...e, left, right, type: double ? 'double' : 'bigint' };
      // Exact decimal arithmetic; an untyped NULL side takes the other side's type.
      const type = decimalArithmeticType(e.op, l === 'null' ? r : l, r === 'null' ? l : r);
      if (!type) {
        throw new ExpressionError(
          `${e.op} of ${l} and ${r} is exact only as a decimal of more than ${DECIMAL_MAX_PRECISION} digits; CAST a side to a smaller decimal, e.g. CAST(x AS decimal(18,2)), or to double for an approximate result`,
          e.offset,
        );
      }
      return { ...e, left, right, type };
    }
    const { typed } = this.unified([e.left, e.right], `the comparison ${e.op}`, e.offset);
    return { ...e, left: typed[0], right: typed[1], type: 'boolean' };
  }

  private integerLiteral(e: Expr, what: string, min: number, max: number): Expr {
    const value = e.kind === 'literal' && (e.literalType === 'int' || e.literalType === 'bigint') ? Number(e.value) : undefined;
    if (value === undefined || value < min || value > max) {
      throw new ExpressionError(`${what} must be a whole number written out, from ${min} to ${max}`, e.offset);
    }
    return this.check(e);
  }

  private call(e: Call): Expr {
    const a = e.args;
    const typed = (args: Expr[], type: ExprType): Expr => ({ ...e, args, type });
    const str = (x: Expr) => this.expectType(x, ['string'], `the argument of ${e.name}()`);
    switch (e.name) {
      case 'round': {
        const x = this.expectType(a[0], NUMERIC, 'the value of round()');
        const digits = this.integerLiteral(a[1], 'the digits of round()', 0, 15);
        const t = typeOf(x);
        const d = decimalParts(t);
        // A decimal keeps its digits before the point, plus one for the carry (9.99 -> 10.0), and gets n after it.
        const n = Number((digits as { value: string }).value);
        const type = d ? (n >= d.scale ? t : decimalSqlType(d.precision - d.scale + n + 1, n)) : t === 'int' || t === 'bigint' ? t : 'double';
        return typed([x, digits], type);
      }
      case 'substr': {
        const rest = [this.integerLiteral(a[1], 'the start of substr()', -2147483648, 2147483647)];
        if (a[2]) rest.push(this.integerLiteral(a[2], 'the length of substr()', 0, 2147483647));
        return typed([str(a[0]), ...rest], 'string');
      }
      case 'concat':
        return typed(a.map(str), 'string');
      case 'upper':
      case 'lower':
      case 'trim':
        return typed([str(a[0])], 'string');
      case 'length':
        return typed([str(a[0])], 'int');
      case 'coalesce': {
        const { typed: args, type } = this.unified(a, 'coalesce()', e.offset);
        return typed(args, type);
      }
      case 'abs': {
        const x = this.expectType(a[0], NUMERIC, 'the value of abs()');
        return typed([x], typeOf(x) === 'double' || isDecimal(typeOf(x)) ? typeOf(x) : 'bigint');
      }
      case 'date_trunc':
        return this.dateTrunc(e);
    }
    if ((DATE_PARTS as readonly string[]).includes(e.name)) {
      const timeOnly = e.name === 'hour' || e.name === 'minute' || e.name === 'second';
      return typed([this.expectType(a[0], timeOnly ? ['timestamp'] : ['date', 'timestamp'], `the value of ${e.name}()`)], 'int');
    }
    throw new ExpressionError(`function ${e.name}() has no type rule (${FUNCTIONS[e.name]?.usage ?? 'unknown'})`, e.offset);
  }

  private dateTrunc(e: Call): Expr {
    const [unit, value] = e.args;
    const units = DATE_TRUNC_UNITS.join("', '");
    if (unit.kind !== 'literal' || unit.literalType !== 'string' || !(DATE_TRUNC_UNITS as readonly string[]).includes(String(unit.value).toLowerCase())) {
      throw new ExpressionError(`the unit of date_trunc() must be one of '${units}' in quotes`, unit.offset);
    }
    const v = this.expectType(value, ['date', 'timestamp'], 'the value of date_trunc()');
    const lower = String(unit.value).toLowerCase();
    if (typeOf(v) === 'date' && ['hour', 'minute', 'second'].includes(lower)) {
      throw new ExpressionError(`date_trunc('${lower}', ...) needs a timestamp; a date has no ${lower}s`, unit.offset);
    }
    // date_trunc of an untyped NULL is an untyped NULL (it fits a date or a timestamp context).
    const type = typeOf(v);
    return { ...e, args: [{ ...unit, value: lower, type: 'string' }, v], type };
  }
}

/** Types `expr` against the columns available to it (name -> type); throws ExpressionError at the first problem. */
export function checkExpression(expr: Expr, columns: ReadonlyMap<string, SqlType>): Expr {
  return new Checker(columns).check(expr);
}
