// A recursive-descent (Pratt) parser for the transform expression language (glue-scripts/TRANSFORMS.md, "Expressions").
//
// Written here rather than taken from npm: node-sql-parser, pgsql-ast-parser and the like parse whole statements
// of a dialect (subqueries, window functions, every built-in), give no character offset for most expression nodes,
// and would still need a whitelist walk over their much larger trees; the subset is small, and owning the grammar
// lets each error point at its character and say what is allowed there.
import { type BinaryOp, type Expr, ExpressionError, type Literal } from './ast';
import { FUNCTIONS, functionList } from './functions';
import { type Token, tokenize } from './tokenize';
import { DECIMAL_MAX_PRECISION, decimalSqlType, readDecimalType } from '../decimal';
import { CAST_TYPES } from '../schema';
import type { SqlType } from '../layout';

/** Words with a meaning in the language: a column named like one must be written in double quotes. */
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IS', 'NULL', 'TRUE', 'FALSE', 'IN', 'BETWEEN', 'LIKE', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST', 'AS']);

/** SQL words that would reach past one value (queries, windows, regexes): rejected with their own reason. */
const FORBIDDEN = new Map<string, string>([
  ...['SELECT', 'FROM', 'WHERE', 'WITH', 'UNION', 'EXISTS', 'VALUES', 'TABLE'].map((w): [string, string] => [
    w,
    'subqueries and SQL statements are not allowed; an expression computes one value from the row',
  ]),
  ...['ILIKE', 'RLIKE', 'REGEXP', 'ESCAPE', 'INTERVAL', 'DISTINCT', 'OVER', 'DIV', 'SIMILAR'].map((w): [string, string] => [
    w,
    `${w} is not part of the expression language`,
  ]),
]);

const VALUE_HINT = `expected a value: a column, a literal ('text', 12, 1.5, TRUE, FALSE, NULL, DATE 'YYYY-MM-DD', TIMESTAMP 'YYYY-MM-DD HH:MM:SS', DECIMAL '12.50'), ( ... ), CASE, CAST or a function (${functionList()})`;

const COMPARISONS = new Set(['=', '<>', '<', '<=', '>', '>=']);

/** Binding powers: higher binds tighter. Comparisons do not chain. */
const BP = { or: 1, and: 2, not: 3, compare: 4, additive: 5, multiplicative: 6, unary: 7 } as const;

const INT_MAX = 2147483647n;
const BIGINT_MAX = 9223372036854775807n;

function isValidDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(2000, m - 1, d));
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Checks a DATE or TIMESTAMP literal's text; returns why it is invalid, if it is. */
export function temporalLiteralProblem(kind: 'date' | 'timestamp', text: string): string | undefined {
  const shape = kind === 'date' ? /^(\d{4})-(\d{2})-(\d{2})$/ : /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/;
  const m = shape.exec(text);
  const example = kind === 'date' ? "DATE '2024-01-31'" : "TIMESTAMP '2024-01-31 13:45:00'";
  if (!m) return `${kind.toUpperCase()} '${text}' is not written ${kind === 'date' ? 'YYYY-MM-DD' : 'YYYY-MM-DD HH:MM:SS[.ffffff]'}, e.g. ${example}`;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map(Number);
  if (!isValidDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return `${kind.toUpperCase()} '${text}' is not a valid ${kind} (years 0001-9999), e.g. ${example}`;
  return undefined;
}

/** DECIMAL '-12.50': an exact decimal(p,s) of the digits written (p the digits, s those after the point). */
function decimalLiteral(s: Token, offset: number): Literal {
  const m = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(s.text);
  if (!m) throw new ExpressionError(`DECIMAL '${s.text}' is not written as digits with an optional sign and point, e.g. DECIMAL '-12.50'`, s.offset);
  const whole = m[2].replace(/^0+/, '');
  const scale = (m[3] ?? '').length;
  const precision = Math.max(whole.length + scale, 1);
  if (precision > DECIMAL_MAX_PRECISION) throw new ExpressionError(`DECIMAL '${s.text}' has ${precision} digits, more than ${DECIMAL_MAX_PRECISION}`, s.offset);
  return { kind: 'literal', literalType: decimalSqlType(precision, scale), value: s.text, offset };
}

function numberLiteral(token: Token, negative: boolean, offset: number): Literal {
  const text = (negative ? '-' : '') + token.text;
  if (/^\d+$/.test(token.text)) {
    const value = BigInt(text);
    const magnitude = value < 0n ? -value - 1n : value;
    if (magnitude > BIGINT_MAX)
      throw new ExpressionError(`${text} is too large for a bigint; write it with a decimal point (a double), e.g. ${text}.0`, offset);
    return { kind: 'literal', literalType: magnitude > INT_MAX ? 'bigint' : 'int', value: value.toString(), offset };
  }
  if (!Number.isFinite(Number(text))) throw new ExpressionError(`${text} is out of the range of a double (about 1.8e308)`, offset);
  return { kind: 'literal', literalType: 'double', value: text, offset };
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.pos + ahead, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.peek();
    this.pos++;
    return token;
  }

  private isWord(word: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'word' && t.text === word;
  }

  private isSymbol(symbol: string): boolean {
    const t = this.peek();
    return t.kind === 'symbol' && t.text === symbol;
  }

  private describe(t: Token): string {
    if (t.kind === 'end') return 'the end of the expression';
    if (t.kind === 'string') return `the string '${t.text}'`;
    if (t.kind === 'quoted') return `the name "${t.text}"`;
    return `"${t.text}"`;
  }

  expect(kind: 'symbol' | 'word', text: string, context: string): Token {
    const t = this.peek();
    if (t.kind !== kind || t.text !== text) throw new ExpressionError(`expected ${text} ${context}, found ${this.describe(t)}`, t.offset);
    return this.next();
  }

  /** The whole text as one expression. */
  parseAll(): Expr {
    const expr = this.expression(0);
    const t = this.peek();
    if (t.kind !== 'end') {
      throw new ExpressionError(
        `unexpected ${this.describe(t)} after a complete expression; expected an operator (+ - * / = <> < <= > >= AND OR IS IN BETWEEN LIKE) or the end`,
        t.offset,
      );
    }
    return expr;
  }

  expression(minBp: number): Expr {
    let left = this.prefix();
    let compared = false;
    for (;;) {
      const t = this.peek();
      const op = t.kind === 'symbol' ? t.text : t.kind === 'word' ? t.text : '';
      if (op === 'OR' || op === 'AND') {
        const bp = op === 'OR' ? BP.or : BP.and;
        if (bp <= minBp) return left;
        this.next();
        left = { kind: 'binary', op, left, right: this.expression(bp), offset: t.offset };
        compared = false;
      } else if (op === '+' || op === '-' || op === '*' || op === '/') {
        const bp = op === '+' || op === '-' ? BP.additive : BP.multiplicative;
        if (bp <= minBp) return left;
        this.next();
        left = { kind: 'binary', op, left, right: this.expression(bp), offset: t.offset };
      } else if (COMPARISONS.has(op) || ['IS', 'IN', 'BETWEEN', 'LIKE', 'NOT'].includes(op)) {
        if (BP.compare <= minBp) return left;
        if (compared) throw new ExpressionError(`comparisons do not chain: join them with AND, e.g. a < b AND b < c`, t.offset);
        left = this.predicate(left);
        compared = true;
      } else {
        return left;
      }
    }
  }

  /** `left` followed by a comparison, IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN or [NOT] LIKE. */
  private predicate(left: Expr): Expr {
    const t = this.next();
    const offset = t.offset;
    if (t.kind === 'symbol') return { kind: 'binary', op: t.text as BinaryOp, left, right: this.expression(BP.compare), offset };
    if (t.text === 'IS') {
      const negated = this.isWord('NOT');
      if (negated) this.next();
      this.expect('word', 'NULL', 'after IS [NOT] (the only IS test is IS [NOT] NULL)');
      return { kind: 'isNull', negated, operand: left, offset };
    }
    const negated = t.text === 'NOT';
    const word = negated ? this.next() : t;
    if (word.text === 'IN') return { kind: 'in', negated, operand: left, list: this.parenthesisedList('IN'), offset };
    if (word.text === 'BETWEEN') {
      const low = this.expression(BP.compare);
      this.expect('word', 'AND', 'between the bounds of BETWEEN');
      return { kind: 'between', negated, operand: left, low, high: this.expression(BP.compare), offset };
    }
    if (word.text === 'LIKE') {
      const p = this.next();
      if (p.kind !== 'string') throw new ExpressionError(`LIKE takes a pattern in quotes, e.g. LIKE 'abc%'; found ${this.describe(p)}`, p.offset);
      const backslash = p.text.indexOf('\\');
      if (backslash >= 0)
        throw new ExpressionError('a LIKE pattern may not contain "\\" (the engines disagree on escapes); use _ for one character', p.offset + 1 + backslash);
      const astral = p.text.search(/[\u{10000}-\u{10FFFF}]/u);
      if (astral >= 0) {
        throw new ExpressionError(
          'a LIKE pattern may not contain characters beyond U+FFFF such as emoji (Spark matches them wrongly); match them with _',
          p.offset + 1 + astral,
        );
      }
      return { kind: 'like', negated, operand: left, pattern: p.text, offset };
    }
    throw new ExpressionError(`expected IN, BETWEEN or LIKE after NOT, found ${this.describe(word)}`, word.offset);
  }

  private parenthesisedList(context: string): Expr[] {
    this.expect('symbol', '(', `after ${context}`);
    const items = [this.expression(0)];
    while (this.isSymbol(',')) {
      this.next();
      items.push(this.expression(0));
    }
    this.expect('symbol', ')', `to close the list of ${context}`);
    return items;
  }

  private prefix(): Expr {
    const t = this.next();
    if (t.kind === 'number') return numberLiteral(t, false, t.offset);
    if (t.kind === 'string') return { kind: 'literal', literalType: 'string', value: t.text, offset: t.offset };
    if (t.kind === 'quoted') return { kind: 'column', name: t.text, offset: t.offset };
    if (t.kind === 'symbol' && t.text === '(') {
      const inner = this.expression(0);
      this.expect('symbol', ')', 'to close "("');
      return inner;
    }
    if (t.kind === 'symbol' && t.text === '-') {
      if (this.peek().kind === 'number') return numberLiteral(this.next(), true, t.offset);
      return { kind: 'unary', op: '-', operand: this.expression(BP.unary), offset: t.offset };
    }
    if (t.kind === 'word') return this.word(t);
    throw new ExpressionError(`${VALUE_HINT}; found ${this.describe(t)}`, t.offset);
  }

  private word(t: Token): Expr {
    const forbidden = FORBIDDEN.get(t.text);
    if (forbidden) throw new ExpressionError(forbidden, t.offset);
    switch (t.text) {
      case 'NOT':
        return { kind: 'unary', op: 'NOT', operand: this.expression(BP.not), offset: t.offset };
      case 'TRUE':
      case 'FALSE':
        return { kind: 'literal', literalType: 'boolean', value: t.text === 'TRUE', offset: t.offset };
      case 'NULL':
        return { kind: 'literal', literalType: 'null', value: null, offset: t.offset };
      case 'CASE':
        return this.caseExpression(t.offset);
      case 'CAST':
        return this.cast(t.offset);
    }
    if ((t.text === 'DATE' || t.text === 'TIMESTAMP') && this.peek().kind === 'string') {
      const s = this.next();
      const kind = t.text === 'DATE' ? 'date' : 'timestamp';
      const problem = temporalLiteralProblem(kind, s.text);
      if (problem) throw new ExpressionError(problem, s.offset);
      return { kind: 'literal', literalType: kind, value: s.text.replace('T', ' '), offset: t.offset };
    }
    if (t.text === 'DECIMAL' && this.peek().kind === 'string') return decimalLiteral(this.next(), t.offset);
    if (this.isSymbol('(')) return this.call(t);
    if (KEYWORDS.has(t.text)) {
      throw new ExpressionError(
        `${VALUE_HINT}; found the keyword ${t.text} (write a column named like a keyword in double quotes, e.g. "${t.text.toLowerCase()}")`,
        t.offset,
      );
    }
    return { kind: 'column', name: t.text.toLowerCase(), offset: t.offset };
  }

  private caseExpression(offset: number): Expr {
    if (!this.isWord('WHEN'))
      throw new ExpressionError(
        `expected WHEN after CASE (only CASE WHEN condition THEN value ... END is supported), found ${this.describe(this.peek())}`,
        this.peek().offset,
      );
    const whens: { when: Expr; result: Expr }[] = [];
    while (this.isWord('WHEN')) {
      this.next();
      const when = this.expression(0);
      this.expect('word', 'THEN', 'after the condition of WHEN');
      whens.push({ when, result: this.expression(0) });
    }
    let otherwise: Expr | undefined;
    if (this.isWord('ELSE')) {
      this.next();
      otherwise = this.expression(0);
    }
    this.expect('word', 'END', 'to close CASE (or another WHEN, or ELSE)');
    return otherwise ? { kind: 'case', whens, otherwise, offset } : { kind: 'case', whens, offset };
  }

  private cast(offset: number): Expr {
    this.expect('symbol', '(', 'after CAST');
    const operand = this.expression(0);
    this.expect('word', 'AS', 'in CAST(value AS type)');
    const t = this.next();
    const word = t.kind === 'word' ? t.text.toLowerCase() : '';
    const to = word === 'decimal' ? this.decimalType(t.offset) : word;
    if (!(CAST_TYPES as readonly string[]).includes(to) && !to.startsWith('decimal(')) {
      throw new ExpressionError(`${this.describe(t)} is not a type to cast to; use one of ${CAST_TYPES.join(', ')}, decimal(precision, scale)`, t.offset);
    }
    this.expect('symbol', ')', 'to close CAST(');
    return { kind: 'cast', operand, to: to as SqlType, offset };
  }

  /** The rest of `decimal` or `decimal(p, s)` after the word: the canonical decimal(p,s) (decimal alone: the columns' default). */
  private decimalType(offset: number): string {
    let text = 'decimal';
    if (this.isSymbol('(')) {
      this.next();
      const digits = (what: string) => {
        const n = this.next();
        if (n.kind !== 'number' || !/^\d+$/.test(n.text))
          throw new ExpressionError(`the ${what} of decimal(precision, scale) must be a whole number written out`, n.offset);
        return n.text;
      };
      const precision = digits('precision');
      this.expect('symbol', ',', 'between the precision and the scale of decimal(precision, scale)');
      const scale = digits('scale');
      this.expect('symbol', ')', 'to close decimal(precision, scale)');
      text = `decimal(${precision},${scale})`;
    }
    const read = readDecimalType(text);
    if (!read || 'problem' in read) throw new ExpressionError(read ? read.problem : `${text} is not a decimal type`, offset);
    return read.type;
  }

  private call(t: Token): Expr {
    const name = t.text.toLowerCase();
    const spec = FUNCTIONS[name];
    if (!spec) throw new ExpressionError(`unknown function ${name}(); the functions are ${functionList()}`, t.offset);
    this.next();
    const args: Expr[] = [];
    if (!this.isSymbol(')')) {
      args.push(this.expression(0));
      while (this.isSymbol(',')) {
        this.next();
        args.push(this.expression(0));
      }
    }
    const close = this.expect('symbol', ')', `to close ${name}(`);
    if (args.length < spec.minArgs || args.length > spec.maxArgs) {
      const count =
        spec.minArgs === spec.maxArgs
          ? `${spec.minArgs}`
          : spec.maxArgs === Number.POSITIVE_INFINITY
            ? `at least ${spec.minArgs}`
            : `${spec.minArgs} to ${spec.maxArgs}`;
      throw new ExpressionError(
        `${name}() takes ${count} argument${count === '1' ? '' : 's'}, got ${args.length}: ${spec.usage}`,
        args.length ? close.offset : t.offset,
      );
    }
    return { kind: 'call', name, args, offset: t.offset };
  }
}

/** Parses an expression's text into an untyped tree; throws ExpressionError at the first problem. */
export function parseExpressionText(text: string): Expr {
  return new Parser(tokenize(text)).parseAll();
}
