// The exact DECIMAL type of `decimal` columns: its default, its spelling and its limits, in one import-free module
// (config/schema.ts validates with it, config/layout.ts types columns with it).

/**
 * The precision and scale of a `decimal` column that does not set them: decimal(18,2). Two places after the point
 * hold cents (most currencies); 18 digits (16 before the point, up to 9,999,999,999,999,999.99) keep the unscaled
 * value in 64 bits (Parquet INT64, the engines' fast path), and the product of two such values (37 digits) still fits
 * the 38-digit limit, so price * quantity stays exact. decimal(38,9) would leave no room for any exact product.
 */
export const DECIMAL_DEFAULT = { precision: 18, scale: 2 } as const;

/** The most digits a DECIMAL holds in Spark, DuckDB, Parquet, Iceberg and Athena alike. */
export const DECIMAL_MAX_PRECISION = 38;

/** An exact decimal of `precision` digits, `scale` of them after the point: lower case, no spaces (Spark's and Glue's spelling). */
export type DecimalSqlType = `decimal(${number},${number})`;

export function decimalSqlType(precision: number, scale: number): DecimalSqlType {
  return `decimal(${precision},${scale})`;
}

const DECIMAL_TYPE = /^decimal\((\d{1,2}),(\d{1,2})\)$/;

/** The precision and scale of a `decimal(p,s)` type, or undefined for any other type. */
export function decimalParts(type: string): { readonly precision: number; readonly scale: number } | undefined {
  const m = DECIMAL_TYPE.exec(type);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

/** Why `precision`/`scale` make no DECIMAL, with the fix; undefined when they do (1 <= precision <= 38, 0 <= scale <= precision). */
export function decimalProblem(precision: number, scale: number): string | undefined {
  if (!Number.isInteger(precision) || precision < 1 || precision > DECIMAL_MAX_PRECISION) {
    return `precision ${precision} is not a whole number from 1 to ${DECIMAL_MAX_PRECISION} (the digits a DECIMAL holds in Spark, DuckDB and Athena)`;
  }
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
    return `scale ${scale} is not a whole number from 0 to the precision (${precision}): the scale counts the digits after the point, among the precision's`;
  }
  return undefined;
}

/** `decimal`, `decimal(p,s)` or `decimal(p, s)` in any case, as written in a config or an expression; group 1/2: p/s. */
export const DECIMAL_SPELLING = /^decimal(?:\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\))?$/i;

/**
 * The canonical `decimal(p,s)` of a written decimal type (`decimal` alone: DECIMAL_DEFAULT), or a problem with the
 * fix; undefined when `text` is no decimal spelling at all.
 */
export function readDecimalType(text: string): { readonly type: DecimalSqlType } | { readonly problem: string } | undefined {
  const m = DECIMAL_SPELLING.exec(text.trim());
  if (!m) return undefined;
  const [precision, scale] = m[1] === undefined ? [DECIMAL_DEFAULT.precision, DECIMAL_DEFAULT.scale] : [Number(m[1]), Number(m[2])];
  const problem = decimalProblem(precision, scale);
  return problem ? { problem: `${text}: ${problem}; write decimal(precision,scale), e.g. decimal(18,2)` } : { type: decimalSqlType(precision, scale) };
}
