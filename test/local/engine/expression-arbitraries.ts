// fast-check arbitraries for the expression differential test: random well-typed expression texts and random rows with nulls, extremes, Unicode and boundary dates.
import fc from 'fast-check';
import type { SqlType } from '../../../config/layout';
import type { Table, TextRow } from '../../config/expression-harness';

/** One column of each type. */
export const COLUMNS: readonly { readonly name: string; readonly type: SqlType }[] = [
  { name: 'i', type: 'int' },
  { name: 'b', type: 'bigint' },
  { name: 'x', type: 'double' },
  { name: 's', type: 'string' },
  { name: 'ok', type: 'boolean' },
  { name: 'd', type: 'date' },
  { name: 'at', type: 'timestamp' },
  { name: 'm', type: 'decimal(18,2)' },
  { name: 'r', type: 'decimal(9,4)' },
];

/** The decimal types of COLUMNS: a money column (the default decimal(18,2)) and a rate with more places. */
export const DECIMALS = ['decimal(18,2)', 'decimal(9,4)'] as const;
type DecimalType = (typeof DECIMALS)[number];

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const dateText = (t: Date) => `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}`;
const timeText = (t: Date, micros: number) =>
  `${dateText(t)} ${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${pad(t.getUTCSeconds(), 2)}${micros ? `.${pad(micros, 6)}` : ''}`;
const dates = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });

const STRINGS = [
  '',
  'a',
  'straße',
  'İstanbul',
  'ǅ',
  '😀',
  'e\u0301',
  ' pad ',
  'true',
  'false',
  '12',
  '+12',
  '-0',
  '2.5e3',
  '2024-02-29',
  '2024-02-29 23:59:59.5',
  'a%_b',
  "it's",
  '\\',
];
const DOUBLES = ['0', '-0', '1.005', '2.675', '0.1', '10000000', '1e308', '-1e308', '5e-324', '4503599627370495.5', '9223372036854775807', '-2147483648.9'];

/** A decimal of `digits` digits, `scale` after the point, as plain text (the unscaled value random, or at its extremes). */
function decimalText(digits: number, scale: number): fc.Arbitrary<string> {
  const max = 10n ** BigInt(digits) - 1n;
  return fc.oneof(fc.constantFrom(max, -max, 0n, 1n, -1n, 5n, 10n ** BigInt(scale)), fc.bigInt({ min: -max, max })).map((n) => {
    const digitsText = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
    const point = digitsText.length - scale;
    return `${n < 0n ? '-' : ''}${digitsText.slice(0, point)}${scale ? `.${digitsText.slice(point)}` : ''}`;
  });
}

/** Cell values by type, as text (null: NULL); a decimal's text has more places than its scale at times (the cast rounds it). */
const CELL: Record<string, fc.Arbitrary<string>> = {
  'decimal(18,2)': fc.oneof(fc.constantFrom('1.005', '2.675', '0.1', '-0.005', '9999999999999999.99'), decimalText(18, 2)),
  'decimal(9,4)': fc.oneof(fc.constantFrom('1.005', '0.00005', '-0.00005', '99999.9999'), decimalText(9, 4)),
  int: fc.oneof(fc.constantFrom('0', '1', '-1', '2147483647', '-2147483648'), fc.integer().map(String)),
  bigint: fc.oneof(
    fc.constantFrom('0', '9223372036854775807', '-9223372036854775808', '4294967296'),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  ),
  double: fc.oneof(
    fc.constantFrom(...DOUBLES),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.integer({ min: -100000, max: 100000 }).map((n) => String(n / 1000)),
  ),
  string: fc.oneof(
    fc.constantFrom(...STRINGS),
    fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => s.split(String.fromCharCode(0)).join('')),
  ),
  boolean: fc.constantFrom('true', 'false'),
  date: fc.oneof(fc.constantFrom('0001-01-01', '1969-12-31', '1970-01-01', '2024-02-29', '9999-12-31'), dates.map(dateText)),
  timestamp: fc.oneof(
    fc.constantFrom('0001-01-01 00:00:00', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00', '9999-12-31 23:59:59.999999'),
    fc.tuple(dates, fc.integer({ min: 0, max: 999999 })).map(([t, us]) => timeText(t, us)),
  ),
};

/** A table of random rows (a quarter of the cells null) over COLUMNS, the first row all nulls. */
export function tableArbitrary(rows: number): fc.Arbitrary<Table> {
  const row: fc.Arbitrary<TextRow> = fc.tuple(...COLUMNS.map((c) => fc.option(CELL[c.type], { freq: 4, nil: null })));
  return fc.array(row, { minLength: rows, maxLength: rows }).map((list) => ({ columns: COLUMNS, rows: [COLUMNS.map(() => null), ...list] }));
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Literals by type, as text (a decimal: a cast of a string, the language having no decimal literal). */
const LITERAL: Record<string, fc.Arbitrary<string>> = {
  'decimal(18,2)': fc.oneof(
    fc.constantFrom('0.01', '1.005', '-2.5', '100', '9999999999999999.99').map((v) => `CAST('${v}' AS decimal(18,2))`),
    fc.constantFrom('0.01', '-0.005', '12.345').map((v) => `CAST(DECIMAL '${v}' AS decimal(18,2))`),
  ),
  'decimal(9,4)': fc.constantFrom('0.0001', '1.005', '-0.5', '99999.9999').map((v) => `CAST('${v}' AS decimal(9,4))`),
  int: fc.constantFrom('0', '1', '2', '-1', '7', '2147483647'),
  bigint: fc.constantFrom('3000000000', '9223372036854775807', '-9223372036854775807'),
  double: fc.constantFrom('0.5', '1.005', '2.675', '-2.5', '1e7', '1e300', '0.125'),
  string: fc.constantFrom(...STRINGS).map(quote),
  boolean: fc.constantFrom('TRUE', 'FALSE'),
  date: fc.constantFrom("DATE '2024-02-29'", "DATE '0001-01-01'", "DATE '9999-12-31'", "DATE '1970-01-01'"),
  timestamp: fc.constantFrom("TIMESTAMP '2024-02-29 12:30:00.25'", "TIMESTAMP '1969-12-31 23:59:59'", "TIMESTAMP '9999-12-31 23:59:59.999999'"),
};

type Gen = (type: SqlType) => fc.Arbitrary<string>;

function leaf(type: SqlType): fc.Arbitrary<string> {
  const column = COLUMNS.find((c) => c.type === type)!.name;
  return fc.oneof({ weight: 3, arbitrary: fc.constant(column) }, { weight: 2, arbitrary: LITERAL[type] }, { weight: 1, arbitrary: fc.constant('NULL') });
}

const ANY: readonly SqlType[] = ['int', 'bigint', 'double', 'string', 'boolean', 'date', 'timestamp', ...DECIMALS];
const cast = (g: Gen, to: SqlType, from: readonly SqlType[]) => fc.constantFrom(...from).chain((f) => g(f).map((x) => `CAST(${x} AS ${to})`));
const digits = fc.integer({ min: 0, max: 4 });
const caseOf = (g: Gen, t: SqlType) => fc.tuple(g('boolean'), g(t), g(t)).map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`);

/** Composite expressions of each type, built from smaller ones. */
function composite(g: Gen, type: SqlType): fc.Arbitrary<string>[] {
  const num = fc.constantFrom<SqlType>('int', 'bigint', 'double', ...DECIMALS);
  const dec = fc.constantFrom<SqlType>(...DECIMALS);
  switch (type) {
    case 'int':
      return [
        g('string').map((s) => `length(${s})`),
        g('date').map((d) => `month(${d})`),
        g('timestamp').map((t) => `second(${t})`),
        cast(g, 'int', ['double', 'bigint', 'string', 'boolean', ...DECIMALS]),
      ];
    case 'bigint':
      return [
        fc.tuple(fc.constantFrom('+', '-', '*'), g('int'), g('bigint')).map(([op, a, b]) => `(${a} ${op} ${b})`),
        g('bigint').map((x) => `abs(${x})`),
        g('int').map((x) => `(- ${x})`),
        cast(g, 'bigint', ['double', 'string', 'int', ...DECIMALS]),
        caseOf(g, 'bigint'),
      ];
    case 'double':
      return [
        fc.tuple(fc.constantFrom('+', '-', '*', '/'), g('double'), num.chain(g)).map(([op, a, b]) => `(${a} ${op} ${b})`),
        fc.tuple(g('double'), digits).map(([x, n]) => `round(${x}, ${n})`),
        g('double').map((x) => `abs(${x})`),
        cast(g, 'double', ['int', 'bigint', 'string', ...DECIMALS]),
        fc.tuple(fc.constantFrom('+', '-', '*', '/'), dec.chain(g), g('double')).map(([op, a, b]) => `(${a} ${op} ${b})`),
        fc.tuple(dec.chain(g), dec.chain(g)).map(([a, b]) => `(${a} / ${b})`),
      ];
    case 'string':
      return [
        fc.tuple(g('string'), g('string')).map(([a, b]) => `concat(${a}, ${b})`),
        fc.tuple(fc.constantFrom('upper', 'lower', 'trim'), g('string')).map(([f, s]) => `${f}(${s})`),
        fc.tuple(g('string'), fc.integer({ min: -3, max: 5 }), fc.integer({ min: 0, max: 4 })).map(([s, a, n]) => `substr(${s}, ${a}, ${n})`),
        cast(g, 'string', ['int', 'bigint', 'boolean', 'date', 'timestamp', ...DECIMALS]),
        fc.tuple(g('string'), g('string')).map(([a, b]) => `coalesce(${a}, ${b})`),
      ];
    case 'boolean':
      return [
        fc.constantFrom(...ANY).chain((t) => fc.tuple(g(t), fc.constantFrom('=', '<>', '<', '<=', '>', '>='), g(t)).map(([a, op, b]) => `(${a} ${op} ${b})`)),
        fc.tuple(g('boolean'), fc.constantFrom('AND', 'OR'), g('boolean')).map(([a, op, b]) => `(${a} ${op} ${b})`),
        g('boolean').map((x) => `(NOT ${x})`),
        fc.constantFrom(...ANY).chain((t) => g(t).map((x) => `(${x} IS NULL)`)),
        fc.tuple(g('double'), g('int'), g('bigint')).map(([x, a, b]) => `(${x} NOT BETWEEN ${a} AND ${b})`),
        fc.tuple(g('string'), fc.constantFrom("'%a%'", "'_'", "'%'", "'s_r%'", "'%é'", "'2024-__-29%'")).map(([s, p]) => `(${s} LIKE ${p})`),
        fc.tuple(g('int'), g('int'), g('bigint')).map(([x, a, b]) => `(${x} IN (${a}, ${b}, NULL))`),
        // Exact decimal arithmetic at its own result type, compared with numbers of every kind.
        fc.tuple(decimalArithmetic(g), fc.constantFrom('=', '<', '>='), num.chain(g)).map(([a, op, b]) => `(${a} ${op} ${b})`),
        fc.tuple(dec.chain(g), g('int'), dec.chain(g)).map(([x, a, b]) => `(${x} BETWEEN ${a} AND ${b})`),
        cast(g, 'boolean', ['string', 'int']),
      ];
    case 'date':
      return [
        fc.tuple(fc.constantFrom('year', 'quarter', 'month', 'week', 'day'), g('date')).map(([u, d]) => `date_trunc('${u}', ${d})`),
        cast(g, 'date', ['timestamp', 'string']),
      ];
    case 'timestamp':
      return [
        fc.tuple(fc.constantFrom('year', 'month', 'week', 'day', 'hour', 'minute', 'second'), g('timestamp')).map(([u, t]) => `date_trunc('${u}', ${t})`),
        cast(g, 'timestamp', ['date', 'string']),
      ];
    default:
      return decimalComposites(g, type as DecimalType);
  }
}

/** + - * of a decimal and a decimal or an integer, at its exact result type (what the checker gives it). */
function decimalArithmetic(g: Gen): fc.Arbitrary<string> {
  const operand = fc.constantFrom<SqlType>('int', 'bigint', ...DECIMALS);
  // DECIMAL literals carry their own exact types (DECIMAL '0.1' is decimal(1,1)).
  const literal = fc.constantFrom("DECIMAL '0.1'", "DECIMAL '-2.675'", "DECIMAL '12345678901234567.5'", "DECIMAL '0'");
  const right = fc.oneof({ weight: 4, arbitrary: operand.chain(g) }, { weight: 1, arbitrary: literal });
  return fc.tuple(fc.constantFrom(...DECIMALS).chain(g), fc.constantFrom('+', '-', '*'), right).map(([a, op, b]) => `(${a} ${op} ${b})`);
}

/** Expressions of exactly `type` (a decimal): arithmetic, round, abs, minus and casts, cast back to `type` where they widen it. */
function decimalComposites(g: Gen, type: DecimalType): fc.Arbitrary<string>[] {
  const back = (x: string) => `CAST(${x} AS ${type})`;
  return [
    decimalArithmetic(g).map(back),
    fc.tuple(fc.constantFrom(...DECIMALS).chain(g), fc.integer({ min: 0, max: 5 })).map(([x, n]) => back(`round(${x}, ${n})`)),
    g(type).map((x) => `abs(${x})`),
    g(type).map((x) => `(- ${x})`),
    cast(g, type, ['int', 'bigint', 'double', 'string', ...DECIMALS]),
    caseOf(g, type),
    fc.tuple(g(type), g(type)).map(([a, b]) => `coalesce(${a}, ${b})`),
  ];
}

/** Well-typed expression texts of a random type, nested up to `depth` levels. */
export function expressionArbitrary(depth = 3): fc.Arbitrary<string> {
  const make = (level: number): Gen => {
    return (type) =>
      level <= 0 ? leaf(type) : fc.oneof({ weight: 1, arbitrary: leaf(type) }, { weight: 3, arbitrary: fc.oneof(...composite(make(level - 1), type)) });
  };
  // Decimal arithmetic at its own (wider) result type too, not only cast back to a column's type.
  return fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...ANY).chain((type) => make(depth)(type)) },
    { weight: 1, arbitrary: decimalArithmetic(make(depth - 1)) },
  );
}
