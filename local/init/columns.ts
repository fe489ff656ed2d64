// Infers one column's config (type, formats, required, maxLength, enum values, aliases) from its sample values, using the core's own cell rules.
import { DECIMAL_DEFAULT, DECIMAL_MAX_PRECISION } from '../../config/decimal';
import type { ColumnType } from '../../config/schema';
import { decideDecimal, type DecimalDecision } from '../../lambda/core/decimals';
import { compileDateFormat, DEFAULT_TIMESTAMP_FORMATS, type DateParts } from '../../lambda/core/dates';
import { INFER_DATE_FORMATS, normaliseHeaderName } from '../../lambda/core/header';
import { compileColumn, type ColumnSpec } from '../../lambda/core/validate';
import type { ColumnInput } from './run-core';

/** An enum has at most this many values ... */
export const ENUM_MAX_VALUES = 12;
/** ... each value seen this many times on average (so a column of unique names is not an enum) ... */
export const ENUM_MIN_REPEATS = 2;
/** ... and none longer than this. */
export const ENUM_MAX_VALUE_LENGTH = 40;

/** Date formats tried, in order: the core's inferred-mode formats plus dashes with the day or month first. */
export const DATE_FORMATS: readonly string[] = [...INFER_DATE_FORMATS, 'DD-MM-YYYY', 'MM-DD-YYYY'];
/** Timestamp formats tried, in order: the core's defaults, then the date formats above with a time. */
export const TIMESTAMP_FORMATS: readonly string[] = [
  ...DEFAULT_TIMESTAMP_FORMATS,
  ...DATE_FORMATS.filter((f) => f !== 'YYYY-MM-DD').flatMap((f) => [`${f} HH:mm:ss`, `${f} HH:mm`]),
];

/** One column as inferred: the config entry, why, and the values as the core writes them (for the key and the dashboard). */
export interface ColumnGuess {
  readonly column: ColumnInput;
  /** The header cell the column was named from. */
  readonly header: string;
  /** One line: why this type and these rules. */
  readonly why: string;
  /** Each row's value as the core writes it with this column config ('' for empty). */
  readonly cleaned: readonly string[];
}

export interface ColumnContext {
  /** The file's delimiter (decides which decimal conventions the core reads). */
  readonly delimiter: string;
  readonly quote: string;
}

/** The length of the longest value (0 for none); a loop, as a spread of 100,000 values overflows the stack. */
export function longestOf(values: readonly string[]): number {
  let longest = 0;
  for (const v of values) if (v.length > longest) longest = v.length;
  return longest;
}

const show = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Failures after which a type is not worth counting further: over half the values, or over 100 and most of those seen. */
function hopeless(failed: number, accepted: number, total: number): boolean {
  return failed * 2 > total || (failed > 100 && failed > accepted);
}

/**
 * Cleans every value with the core's compiled column; undefined (and the first value refused) when one fails. Stops
 * once the type is hopeless (`accepted` is then only a lower bound: the type is not even a near miss).
 */
export function cleanAll(
  spec: ColumnSpec,
  values: readonly string[],
  context: ColumnContext,
  decimals?: Record<string, DecimalDecision>,
): { cleaned?: string[]; refused?: string; accepted: number } {
  const cleaner = compileColumn(spec, { neutraliseFormulas: false, delimiter: context.delimiter, quote: context.quote, decimals });
  const failure = { code: '', reason: '' };
  const cleaned: string[] = [];
  let refused: string | undefined;
  let failed = 0;
  for (const v of values) {
    const out = cleaner.clean(v, failure, false);
    if (out !== undefined) cleaned.push(out);
    else {
      refused ??= v;
      if (hopeless(++failed, cleaned.length, values.length)) break;
    }
  }
  return refused === undefined ? { cleaned, accepted: cleaned.length } : { refused, accepted: cleaned.length };
}

/**
 * The formats that read every value, tried in `candidates` order, or why none do. A format and its day/month swap
 * (DD/MM/YYYY, MM/DD/YYYY) are never both listed (the first would silently win): values only one of them reads decide;
 * values both read, with no such evidence, are ambiguous. Each distinct value is parsed once.
 */
export function formatsFor(allValues: readonly string[], candidates: readonly string[]): { formats?: string[]; problem?: string; accepted?: number } {
  const parts: DateParts = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
  const parsers = candidates.map((f) => compileDateFormat(f));
  const counts = new Map<string, number>();
  for (const v of allValues) counts.set(v, (counts.get(v) ?? 0) + 1);
  const values = [...counts.keys()];
  const fits: string[][] = [];
  let unread: string | undefined;
  let failed = 0;
  let read = 0;
  for (const v of values) {
    const fit = candidates.filter((_f, i) => parsers[i](v, parts));
    fits.push(fit);
    if (fit.length > 0) read += counts.get(v)!;
    else {
      unread ??= v;
      failed += counts.get(v)!;
      if (hopeless(failed, read, allValues.length)) break;
    }
  }
  if (unread !== undefined) {
    const accepted = failed * 2 > allValues.length ? 0 : allValues.length - failed;
    return { problem: `${show(unread)} is in none of the ${candidates.length} formats tried (${candidates[0]}, ...)`, accepted };
  }
  let allowed = [...candidates];
  for (const f of candidates.filter((c) => c.includes('DD') && c.indexOf('DD') < c.indexOf('MM'))) {
    const swapped = swapDayMonth(f);
    if (!candidates.includes(swapped)) continue;
    const onlyF = values.find((_v, i) => fits[i].includes(f) && !fits[i].includes(swapped));
    const onlyS = values.find((_v, i) => fits[i].includes(swapped) && !fits[i].includes(f));
    if (onlyF !== undefined && onlyS !== undefined)
      return {
        problem: `${show(onlyF)} is only ${f} and ${show(onlyS)} only ${swapped}: day and month are written in both orders`,
        accepted: allValues.length,
      };
    if (onlyF !== undefined) allowed = allowed.filter((c) => c !== swapped);
    else if (onlyS !== undefined) allowed = allowed.filter((c) => c !== f);
    else allowed = allowed.filter((c) => c !== f && c !== swapped);
  }
  const chosen = new Set<string>();
  for (const [i, v] of values.entries()) {
    if (fits[i].some((f) => chosen.has(f))) continue;
    const first = fits[i].find((f) => allowed.includes(f));
    if (first === undefined)
      return {
        problem: `${show(v)} reads as both ${fits[i].join(' and ')}: day and month cannot be told apart in the sample (declare the format yourself)`,
        accepted: allValues.length,
      };
    chosen.add(first);
  }
  return { formats: candidates.filter((f) => chosen.has(f)) };
}

function swapDayMonth(format: string): string {
  return format.replace(/DD|MM/g, (t) => (t === 'DD' ? 'MM' : 'DD'));
}

const LEADING_ZERO = /^[+-]?0\d/;

interface TypeTry {
  readonly type: ColumnType;
  readonly spec?: Partial<ColumnSpec>;
  readonly cleaned?: string[];
  /** Why the type does not fit (the first value refused), when it does not. */
  readonly problem?: string;
  readonly accepted: number;
  readonly detail?: string;
}

function tryNumber(type: 'integer' | 'decimal', name: string, values: readonly string[], context: ColumnContext): TypeTry {
  const zero = values.find((v) => LEADING_ZERO.test(v));
  if (zero !== undefined) return { type, problem: `${show(zero)} has a leading zero (kept as text, as codes like zip codes are)`, accepted: 0 };
  const decision = type === 'decimal' ? decideDecimal(values, context.delimiter) : undefined;
  const r = cleanAll({ name, type, required: false }, values, context, decision ? { [name]: decision } : undefined);
  const detail = decision ? `${decision.evidence} (the core's per-column rule, lambda/core/decimals.ts)` : undefined;
  if (r.cleaned && type === 'decimal') return decimalFit(name, r.cleaned, r.accepted, detail);
  return r.cleaned
    ? { type, cleaned: r.cleaned, accepted: r.accepted, detail }
    : {
        type,
        problem: `${show(r.refused!)} is not ${type === 'integer' ? 'an integer' : `a decimal${decision ? ` with a decimal ${decision.convention}` : ''}`}`,
        accepted: r.accepted,
      };
}

/**
 * A decimal column that holds every cleaned value: the default DECIMAL (config/decimal.ts) when they fit it, else the
 * precision and scale they need (the core rejects a value beyond them, never rounds it); past 38 digits, no decimal.
 */
function decimalFit(name: string, cleaned: string[], accepted: number, detail: string | undefined): TypeTry {
  let scale = 0;
  let whole = 0;
  for (const v of cleaned) {
    const digits = v.replace(/^-/, '');
    const point = digits.indexOf('.');
    scale = Math.max(scale, point < 0 ? 0 : digits.length - point - 1);
    const before = point < 0 ? digits : digits.slice(0, point);
    whole = Math.max(whole, before === '0' ? 0 : before.length);
  }
  if (whole + scale > DECIMAL_MAX_PRECISION) {
    return {
      type: 'decimal',
      problem: `${name} needs ${whole + scale} digits (${whole} before the point, ${scale} after), more than a DECIMAL's ${DECIMAL_MAX_PRECISION}`,
      accepted,
    };
  }
  if (scale <= DECIMAL_DEFAULT.scale && whole <= DECIMAL_DEFAULT.precision - DECIMAL_DEFAULT.scale) return { type: 'decimal', cleaned, accepted, detail };
  // At least the default's places (cents) when the digits allow, and room for every whole part seen.
  const places = whole + Math.max(scale, DECIMAL_DEFAULT.scale) <= DECIMAL_MAX_PRECISION ? Math.max(scale, DECIMAL_DEFAULT.scale) : scale;
  const precision = Math.min(Math.max(whole + places, DECIMAL_DEFAULT.precision), DECIMAL_MAX_PRECISION);
  const why = `decimal(${precision},${places}): the sample has up to ${scale} digits after the point and ${whole} before (default decimal(${DECIMAL_DEFAULT.precision},${DECIMAL_DEFAULT.scale}))`;
  return { type: 'decimal', spec: { precision, scale: places }, cleaned, accepted, detail: detail ? `${detail}; ${why}` : why };
}

function tryDates(type: 'date' | 'timestamp', name: string, values: readonly string[], context: ColumnContext): TypeTry {
  const found = formatsFor(values, type === 'date' ? DATE_FORMATS : TIMESTAMP_FORMATS);
  if (!found.formats) return { type, problem: found.problem, accepted: found.accepted ?? 0 };
  const r = cleanAll({ name, type, required: false, formats: found.formats }, values, context);
  if (!r.cleaned) return { type, problem: `${show(r.refused!)} is not a ${type} the core reads in ${found.formats.join(', ')}`, accepted: r.accepted };
  return {
    type,
    spec: { formats: found.formats },
    cleaned: r.cleaned,
    accepted: r.accepted,
    detail: `format${found.formats.length > 1 ? 's' : ''} ${found.formats.join(', ')}`,
  };
}

function tryPlain(type: 'boolean' | 'email', name: string, values: readonly string[], context: ColumnContext): TypeTry {
  const r = cleanAll({ name, type, required: false }, values, context);
  const what = type === 'boolean' ? 'a boolean (true/false, yes/no, y/n, 1/0, t/f, on/off)' : "an e-mail address by the core's rule";
  return r.cleaned ? { type, cleaned: r.cleaned, accepted: r.accepted } : { type, problem: `${show(r.refused!)} is not ${what}`, accepted: r.accepted };
}

/** The enum values (the most frequent spelling of each case-insensitive value) when the column is low-cardinality text. */
export function enumValues(values: readonly string[]): { values?: string[]; folded: string[]; problem?: string } {
  const groups = new Map<string, Map<string, number>>();
  for (const v of values) {
    const spellings = groups.get(v.toLowerCase()) ?? new Map<string, number>();
    spellings.set(v, (spellings.get(v) ?? 0) + 1);
    groups.set(v.toLowerCase(), spellings);
  }
  if (groups.size > ENUM_MAX_VALUES) return { folded: [], problem: `${groups.size} distinct values, over ${ENUM_MAX_VALUES}` };
  if (groups.size * ENUM_MIN_REPEATS > values.length) return { folded: [], problem: `${groups.size} distinct values in ${values.length}` };
  const long = values.find((v) => v.length > ENUM_MAX_VALUE_LENGTH);
  if (long !== undefined) return { folded: [], problem: `${show(long)} is over ${ENUM_MAX_VALUE_LENGTH} characters` };
  const folded: string[] = [];
  const chosen = [...groups.values()].map((spellings) => {
    const best = [...spellings.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    for (const s of spellings.keys()) if (s !== best) folded.push(`${show(s)} is written ${show(best)}`);
    return best;
  });
  return { values: chosen, folded };
}

/** The first type, most specific first, that reads every non-empty value with the core's rules; else string. */
function chooseType(name: string, values: readonly string[], context: ColumnContext): { chosen: TypeTry; closest?: TypeTry } {
  if (values.length === 0) return { chosen: { type: 'string', cleaned: [], accepted: 0, detail: 'no values in the sample' } };
  const tries: TypeTry[] = [];
  const attempts: (() => TypeTry)[] = [
    () => tryNumber('integer', name, values, context),
    () => tryNumber('decimal', name, values, context),
    () => tryPlain('boolean', name, values, context),
    () => tryDates('date', name, values, context),
    () => tryDates('timestamp', name, values, context),
    () => tryPlain('email', name, values, context),
  ];
  for (const attempt of attempts) {
    const t = attempt();
    if (t.cleaned) return { chosen: t };
    tries.push(t);
  }
  const closest = tries.filter((t) => t.accepted * 2 >= values.length).sort((a, b) => b.accepted - a.accepted)[0];
  const cleaned = cleanAll({ name, type: 'string', required: false }, values, context).cleaned ?? [...values];
  return { chosen: { type: 'string', cleaned, accepted: values.length }, closest };
}

/** Adds the header cell as an alias when the core would not match it to the name (names compare case-, space- and underscore-insensitively). */
function aliasesFor(name: string, header: string): string[] {
  return header.trim() !== '' && normaliseHeaderName(header) !== normaliseHeaderName(name) ? [header.trim()] : [];
}

/** Infers one column from its raw (trimmed) values, one per row ('' for an empty cell). */
export function inferColumn(name: string, header: string, rowValues: readonly string[], context: ColumnContext): ColumnGuess {
  const values = rowValues.filter((v) => v !== '');
  const empty = rowValues.length - values.length;
  const { chosen, closest } = chooseType(name, values, context);
  const reasons: string[] = [];
  let column: ColumnInput = { name, type: chosen.type, required: rowValues.length > 0 && empty === 0 };
  reasons.push(empty === 0 ? (rowValues.length ? 'required: no empty cell' : 'optional: no rows') : `optional: ${plural(empty, 'empty cell')}`);
  if (chosen.spec?.formats) column = { ...column, formats: chosen.spec.formats };
  if (chosen.spec?.precision !== undefined) column = { ...column, precision: chosen.spec.precision, scale: chosen.spec.scale };
  if (chosen.detail) reasons.push(chosen.detail);
  let cleaned = chosen.cleaned ?? [];
  if (chosen.type === 'string' && values.length) {
    const e = enumValues(values);
    if (e.values) {
      column = { ...column, type: 'enum', values: e.values };
      cleaned = values.map((v) => e.values!.find((x) => x.toLowerCase() === v.toLowerCase())!);
      reasons.push(
        `enum: ${plural(e.values.length, 'distinct value')} in ${plural(values.length, 'value')}${e.folded.length ? ` (compared case-insensitively: ${e.folded.join(', ')})` : ''}`,
      );
    } else {
      if (closest) reasons.push(`not ${closest.type}: ${closest.problem}`);
      reasons.push(`not an enum (${e.problem})`);
    }
  }
  if (column.type === 'string' || column.type === 'email') {
    const longest = longestOf(values);
    if (longest > 0) {
      column = { ...column, maxLength: longest };
      reasons.push(`maxLength ${longest}: the longest value in the sample`);
    }
  }
  const aliases = aliasesFor(name, header);
  if (aliases.length) {
    column = { ...column, aliases };
    reasons.push(`alias ${show(aliases[0])}: the header's spelling`);
  }
  return { column, header, why: reasons.join('; '), cleaned: spread(rowValues, cleaned) };
}

/** The cleaned values put back in row order, '' where the row's cell was empty. */
function spread(rowValues: readonly string[], cleaned: readonly string[]): string[] {
  let k = 0;
  return rowValues.map((v) => (v === '' ? '' : (cleaned[k++] ?? v)));
}

/** A string column with no rules beyond `required` (and maxLength, which covers every value): what a column is relaxed to. */
export function relaxedColumn(guess: ColumnGuess, rowValues: readonly string[]): ColumnGuess {
  const values = rowValues.filter((v) => v !== '');
  const longest = longestOf(values);
  const { name, required, aliases } = guess.column;
  const column: ColumnInput = {
    name,
    type: 'string',
    required: required ?? false,
    ...(longest ? { maxLength: longest } : {}),
    ...(aliases?.length ? { aliases } : {}),
  };
  return {
    column,
    header: guess.header,
    why: `${required ? 'required' : 'optional'}; string${longest ? `, maxLength ${longest}` : ''}`,
    cleaned: [...rowValues],
  };
}
