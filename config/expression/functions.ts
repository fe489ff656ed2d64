// The functions a transform expression may call, with their arity and argument types: the one list the parser, the checker and the docs use.

export interface FunctionSpec {
  readonly minArgs: number;
  readonly maxArgs: number;
  /** How a call is written, for error messages and glue-scripts/TRANSFORMS.md. */
  readonly usage: string;
}

const INFINITE = Number.POSITIVE_INFINITY;

/** Every callable function, by lower-case name. Anything else (reflect, java_method, now(), ...) is rejected. */
export const FUNCTIONS: Readonly<Record<string, FunctionSpec>> = {
  round: { minArgs: 2, maxArgs: 2, usage: 'round(number, digits 0-15)' },
  substr: { minArgs: 2, maxArgs: 3, usage: 'substr(string, start[, length]) with integer literals' },
  concat: { minArgs: 2, maxArgs: INFINITE, usage: 'concat(string, string, ...)' },
  upper: { minArgs: 1, maxArgs: 1, usage: 'upper(string)' },
  lower: { minArgs: 1, maxArgs: 1, usage: 'lower(string)' },
  trim: { minArgs: 1, maxArgs: 1, usage: 'trim(string)' },
  length: { minArgs: 1, maxArgs: 1, usage: 'length(string)' },
  coalesce: { minArgs: 1, maxArgs: INFINITE, usage: 'coalesce(value, ...)' },
  abs: { minArgs: 1, maxArgs: 1, usage: 'abs(number)' },
  year: { minArgs: 1, maxArgs: 1, usage: 'year(date|timestamp)' },
  quarter: { minArgs: 1, maxArgs: 1, usage: 'quarter(date|timestamp)' },
  month: { minArgs: 1, maxArgs: 1, usage: 'month(date|timestamp)' },
  day: { minArgs: 1, maxArgs: 1, usage: 'day(date|timestamp)' },
  hour: { minArgs: 1, maxArgs: 1, usage: 'hour(timestamp)' },
  minute: { minArgs: 1, maxArgs: 1, usage: 'minute(timestamp)' },
  second: { minArgs: 1, maxArgs: 1, usage: 'second(timestamp)' },
  date_trunc: { minArgs: 2, maxArgs: 2, usage: "date_trunc('year'|'quarter'|'month'|'week'|'day'|'hour'|'minute'|'second', date|timestamp)" },
};

/** Units date_trunc accepts; the last three only for timestamps. */
export const DATE_TRUNC_UNITS = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'] as const;

/** Date parts: the function name and the part both engines extract. */
export const DATE_PARTS = ['year', 'quarter', 'month', 'day', 'hour', 'minute', 'second'] as const;

/** The function list for error messages. */
export function functionList(): string {
  return Object.keys(FUNCTIONS).join(', ');
}
