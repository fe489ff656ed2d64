// Compiles each configured column into one function that cleans a cell to its output CSV text or names the rule it breaks.
import type { ColumnConfig, ColumnType } from '../../config/schema';
import {
  compileDateFormat,
  compileDateRangeParser,
  type DateParser,
  type DateParts,
  type DateRangeParser,
  DEFAULT_DATE_FORMATS,
  DEFAULT_TIMESTAMP_FORMATS,
  isoDate,
  isoTimestamp,
} from './dates';
import { quoteCsv, needsCsvQuotes, startsFormula } from './csv-text';
import { type ByteOut, writeUtf8 } from './byte-out';
import { compilePattern } from '../../config/pattern';
import { ambiguousIn, decideDecimal, type DecimalDecision, decimalProblem, toPointText } from './decimals';

/** Why the last call of a column cleaner returned undefined (set only on failure, so success costs nothing). */
export interface CellFailure {
  code: string;
  reason: string;
}

/** A compiled column: `clean` returns the CSV text to write (cleaned, neutralised, quoted) or undefined with `failure` set. */
export interface ColumnCleaner {
  readonly name: string;
  readonly type: ColumnType;
  /** `plain`: the record had no quote and no line break in a field (see RecordReader.plain), so quoting checks can be skipped. */
  readonly clean: (raw: string, failure: CellFailure, plain: boolean) => string | undefined;
  /**
   * The same cleaning for the cell text[start..end) of a plain record, written as UTF-8 straight into `out`
   * (the caller made room for 3 bytes per character of the record): true when written, false when the cell
   * fails (the caller then runs `clean` on the whole row for the reasons). Common values are checked and
   * copied without creating strings; anything else goes through `clean`.
   */
  readonly write: (text: string, start: number, end: number, out: ByteOut) => boolean;
  /** True when the output may need quotes, so `write` is right only for plain records (else use `clean` with plain false). */
  readonly mayNeedQuotes: boolean;
}

export interface CleanOptions {
  /** Prefix values starting with = + - @ tab or CR with ' (config.ingest.neutraliseFormulas). */
  readonly neutraliseFormulas: boolean;
  /** The file's delimiter: when it is a comma, decimals are read with a decimal point (a decimal comma is never read). */
  readonly delimiter: string;
  /**
   * The decimal convention of each decimal column, by output column name, decided on the sample (decideDecimal in
   * decimals.ts). A decimal column not listed is read as if its sample told nothing.
   */
  readonly decimals?: Readonly<Record<string, DecimalDecision>>;
  /**
   * The file's quote character. Only with `"` does a plain record (see RecordReader.plain) hold no `"`; with any
   * other quote (or none given) every value is checked for the characters RFC 4180 quotes.
   */
  readonly quote?: string;
  /** Counts the values neutralised, for the report. */
  readonly stats?: { neutralised: number };
}

/** The column spec the cleaner needs: a dataset column, or one inferred from the data. */
export type ColumnSpec = Pick<ColumnConfig, 'name' | 'type' | 'required'> &
  Partial<Pick<ColumnConfig, 'pattern' | 'values' | 'formats' | 'maxLength' | 'precision' | 'scale'>>;

const MAX_SHOWN = 60;
/** A value as shown in a reason: JSON-quoted, cut after 60 characters. */
export function showValue(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

function fail(failure: CellFailure, code: string, reason: string): undefined {
  failure.code = code;
  failure.reason = reason;
  return undefined;
}

/** Characters allowed in the local part of an address (RFC 5322 atext and "."), ASCII only. */
const LOCAL_CHARS = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~.-") LOCAL_CHARS[c.charCodeAt(0)] = 1;

/** True for a practical e-mail address (the grammar is scanEmail's). */
export function isEmail(v: string): boolean {
  return emailCheck(v) !== 0;
}

/** Where emailCheck's scan writes the lower-cased address it does not need (an address has at most 254 characters). */
const EMAIL_SCRATCH = new Uint8Array(256);

/** 0: not an e-mail address; 1: an address in lower case; 2: an address with upper-case letters. */
function emailCheck(v: string): 0 | 1 | 2 {
  return scanEmail(v, 0, v.length, EMAIL_SCRATCH, 0);
}

/**
 * The one definition of an e-mail address, checked in one pass (no regular expression) over text[start..end):
 * a local part (1-64 characters) of atext characters and single dots, not first or last; one "@"; a domain of at
 * least two labels of letters, digits and inner hyphens (1-63 each); 3-254 characters in all. While it checks, it
 * writes the address in lower case at buf[pos..] (the caller made room). 0: not an address; 1: an address in
 * lower case; 2: an address with upper-case letters.
 */
function scanEmail(text: string, start: number, end: number, buf: Uint8Array, pos: number): 0 | 1 | 2 {
  const len = end - start;
  if (len < 3 || len > 254) return 0;
  const at = text.indexOf('@', start);
  if (at <= start || at - start > 64 || at >= end) return 0;
  let upper = false;
  let prev = 46;
  for (let i = start; i < at; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) {
      buf[pos++] = c;
      prev = c;
      continue;
    }
    if (c > 127 || LOCAL_CHARS[c] === 0) return 0;
    if (c === 46 && prev === 46) return 0;
    if (c >= 65 && c <= 90) {
      upper = true;
      buf[pos++] = c + 32;
    } else buf[pos++] = c;
    prev = c;
  }
  if (prev === 46) return 0;
  buf[pos++] = 64;
  let labels = 1;
  let labelLength = 0;
  prev = 0;
  for (let i = at + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c === 45 && labelLength > 0)) {
      if (++labelLength > 63) return 0;
      buf[pos++] = c;
    } else if (c === 46) {
      if (labelLength === 0 || prev === 45) return 0;
      labels++;
      labelLength = 0;
      buf[pos++] = c;
    } else if (c >= 65 && c <= 90) {
      if (++labelLength > 63) return 0;
      upper = true;
      buf[pos++] = c + 32;
    } else return 0;
    prev = c;
  }
  if (labelLength === 0 || prev === 45 || labels < 2) return 0;
  return upper ? 2 : 1;
}

const TRUE_WORDS = ['true', 't', 'yes', 'y', '1', 'on'];
const FALSE_WORDS = ['false', 'f', 'no', 'n', '0', 'off'];
const BOOLEANS = new Map<string, string>([...TRUE_WORDS.map((w) => [w, 'true'] as const), ...FALSE_WORDS.map((w) => [w, 'false'] as const)]);

const INT64_MAX = '9223372036854775807';

/** Normalises an integer: optional sign, digits, no leading zeros; undefined when not an integer in the 64-bit range. */
export function normaliseInteger(t: string): string | undefined {
  const len = t.length;
  let i = 0;
  let neg = false;
  const c0 = t.charCodeAt(0);
  if (c0 === 45 || c0 === 43) {
    neg = c0 === 45;
    i = 1;
  }
  if (i >= len) return undefined;
  for (let k = i; k < len; k++) {
    const c = t.charCodeAt(k);
    if (c < 48 || c > 57) return undefined;
  }
  if (i === 0 && (t.charCodeAt(0) !== 48 || len === 1) && len < 19) return t;
  let s = i;
  while (s < len - 1 && t.charCodeAt(s) === 48) s++;
  const digits = t.slice(s);
  if (digits.length > 19 || (digits.length === 19 && digits > INT64_MAX && !(neg && digits === '9223372036854775808'))) return undefined;
  if (digits === '0') return '0';
  return neg ? `-${digits}` : digits;
}

const PLAIN_DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;
const GROUPED_DOT = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const COMMA_DECIMAL = /^[+-]?\d+,\d+$/;
const GROUPED_COMMA = /^[+-]?\d{1,3}(?:\.\d{3})+,\d+$/;

/**
 * Normalises a decimal to plain digits: "-1234.5" (no exponent, no thousands separators, no trailing zeros).
 * Accepts "1,234.50" (comma groups of three with a decimal point) and, with `decimalComma`, "19,99" and "1.234,56"
 * (decimal comma), each value by its own shape: only for "is this a number" (header detection, type inference).
 * Cells are read with their column's one convention (compileColumn, decimals.ts).
 */
export function normaliseDecimal(t: string, decimalComma: boolean): string | undefined {
  if (t.indexOf(',') !== -1) {
    if (GROUPED_DOT.test(t)) t = t.replace(/,/g, '');
    else if (decimalComma && COMMA_DECIMAL.test(t)) t = t.replace(',', '.');
    else if (decimalComma && GROUPED_COMMA.test(t)) t = t.replace(/\./g, '').replace(',', '.');
    else return undefined;
  }
  const m = PLAIN_DECIMAL.exec(t);
  if (!m) return undefined;
  const sign = m[1] === '-' ? '-' : '';
  let intPart = m[2];
  let frac = m[3] ?? '';
  if (!intPart && !frac) return undefined;
  if (m[4]) {
    const exp = Number(m[4]);
    if (Math.abs(exp) > 400) return undefined;
    if (exp > 0) {
      frac = frac.padEnd(exp, '0');
      intPart += frac.slice(0, exp);
      frac = frac.slice(exp);
    } else if (exp < 0) {
      intPart = intPart.padStart(-exp, '0');
      frac = intPart.slice(intPart.length + exp) + frac;
      intPart = intPart.slice(0, intPart.length + exp);
    }
  }
  let a = 0;
  while (a < intPart.length - 1 && intPart.charCodeAt(a) === 48) a++;
  intPart = intPart.slice(a) || '0';
  let b = frac.length;
  while (b > 0 && frac.charCodeAt(b - 1) === 48) b--;
  frac = frac.slice(0, b);
  const body = frac ? `${intPart}.${frac}` : intPart;
  return body === '0' ? '0' : sign + body;
}

/** Normalises a boolean spelling (true/false, yes/no, y/n, 1/0, t/f, on/off, any case) to "true" or "false". */
export function normaliseBoolean(t: string): string | undefined {
  return BOOLEANS.get(t) ?? BOOLEANS.get(t.toLowerCase());
}

/** Compiles one column; the result is called once per cell, so all decisions that can be made here are. */
export function compileColumn(col: ColumnSpec, options: CleanOptions): ColumnCleaner {
  const name = col.name;
  const required = col.required;
  const typeCheck = compileType(col, options);
  const values = col.values && col.type !== 'enum' ? new Map(col.values.map((v) => [v.toLowerCase(), v])) : undefined;
  // RE2: linear in the value, whatever the pattern (the config loader rejected patterns RE2 cannot compile).
  const pattern = col.pattern !== undefined ? compilePattern(col.pattern) : undefined;
  const maxLength = col.maxLength;
  const numeric = col.type === 'integer' || col.type === 'decimal';
  const neutralise = options.neutraliseFormulas && !numeric;
  const stats = options.stats;
  // Cleaned integers, decimals, booleans, dates, timestamps and e-mails never contain a comma, quote or line break.
  const mayNeedQuotes = col.type === 'string' || (col.type === 'enum' && (col.values ?? []).some(needsCsvQuotes));
  // In a plain record split at commas no value holds a comma, quote or line break; with another delimiter, a comma
  // may; with another quote character, a `"` may.
  const commaDelimited = options.delimiter === ',';
  const plainHasNoDoubleQuote = options.quote === '"';

  const clean = (raw: string, failure: CellFailure, plain: boolean): string | undefined => {
    const c0 = raw.charCodeAt(0);
    const cl = raw.charCodeAt(raw.length - 1);
    const t = c0 > 32 && c0 < 127 && cl > 32 && cl < 127 ? raw : raw.trim();
    if (t.length === 0) {
      if (required) return fail(failure, 'REQUIRED_MISSING', `${name}: a value is required but the cell is empty`);
      return '';
    }
    let v = typeCheck(t, failure);
    if (v === undefined) return undefined;
    if (values !== undefined) {
      const allowed = values.get(v.toLowerCase());
      if (allowed === undefined)
        return fail(failure, 'VALUE_NOT_ALLOWED', `${name}: ${showValue(v)} is not one of the allowed values ${[...values.values()].join(', ')}`);
      v = allowed;
    }
    // The length first: a value too long for the column is not worth matching.
    if (maxLength !== undefined && v.length > maxLength)
      return fail(failure, 'TOO_LONG', `${name}: the value has ${v.length} characters, more than maxLength ${maxLength}`);
    if (pattern !== undefined && !pattern.matches(v))
      return fail(failure, 'PATTERN_MISMATCH', `${name}: ${showValue(v)} does not match the pattern ${col.pattern}`);
    if (neutralise && startsFormula(v)) {
      v = `'${v}`;
      if (stats) stats.neutralised++;
    }
    if (!mayNeedQuotes || (plain && plainHasNoDoubleQuote && (commaDelimited || v.indexOf(',') === -1))) return v;
    return quoteCsv(v);
  };
  const scratch: CellFailure = { code: '', reason: '' };
  const viaClean = (text: string, start: number, end: number, out: ByteOut): boolean => {
    const v = clean(text.slice(start, end), scratch, true);
    if (v === undefined) return false;
    out.writeString(v);
    return true;
  };
  const fast = values === undefined && pattern === undefined ? fastWriter(col, options, neutralise, viaClean) : undefined;
  const write =
    fast === undefined
      ? viaClean
      : (text: string, start: number, end: number, out: ByteOut): boolean => {
          if (start === end) return !required;
          const c0 = text.charCodeAt(start);
          const cl = text.charCodeAt(end - 1);
          // Cells to trim, and cells a spreadsheet would run as a formula, take the general way.
          if (!(c0 > 32 && c0 < 127 && cl > 32 && cl < 127) || (neutralise && (c0 === 61 || c0 === 43 || c0 === 45 || c0 === 64)))
            return viaClean(text, start, end, out);
          if (maxLength !== undefined && end - start > maxLength) return false;
          return fast(text, start, end, out);
        };
  return { name, type: col.type, clean, write, mayNeedQuotes };
}

type CellWriter = (text: string, start: number, end: number, out: ByteOut) => boolean;

/**
 * The byte writer of a column type for a trimmed, non-empty cell that is not a formula (see compileColumn's
 * `write`): it writes exactly what `clean` would return, or hands the cell to `viaClean`; undefined when the
 * type has no fast writer.
 */
function fastWriter(col: ColumnSpec, options: CleanOptions, neutralise: boolean, viaClean: CellWriter): CellWriter | undefined {
  switch (col.type) {
    case 'string':
      // In a plain comma-delimited, "-quoted record no cell holds a comma, quote or line break: nothing to quote.
      return options.delimiter === ',' && options.quote === '"' ? writeAsIs : undefined;
    case 'integer':
      return integerWriter(viaClean);
    case 'email':
      return (text, start, end, out) => {
        if (scanEmail(text, start, end, out.buf, out.pos) === 0) return viaClean(text, start, end, out);
        out.pos += end - start;
        return true;
      };
    case 'enum':
      return enumWriter(col, neutralise, viaClean);
    case 'date':
      return dateWriter(col);
    default:
      return undefined;
  }
}

function writeAsIs(text: string, start: number, end: number, out: ByteOut): boolean {
  out.pos = writeUtf8(text, start, end, out.buf, out.pos);
  return true;
}

function integerWriter(viaClean: CellWriter): CellWriter {
  return (text, start, end, out) => {
    const len = end - start;
    // The common spelling (digits, no sign, no leading zero, < 19 digits) is written as it is.
    if (len >= 19 || (text.charCodeAt(start) === 48 && len > 1)) return viaClean(text, start, end, out);
    const buf = out.buf;
    let pos = out.pos;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return viaClean(text, start, end, out);
      buf[pos++] = c;
    }
    out.pos = pos;
    return true;
  };
}

function enumWriter(col: ColumnSpec, neutralise: boolean, viaClean: CellWriter): CellWriter | undefined {
  const values = col.values ?? [];
  // Values that would be written differently from their spelling (neutralised, quoted), or checked for a length, take the general way.
  if (col.maxLength !== undefined || values.some((v) => needsCsvQuotes(v) || (neutralise && startsFormula(v)))) return undefined;
  const exact = values.map((v) => Buffer.from(v));
  const lower = new Map(values.map((v) => [v.toLowerCase(), v]));
  const lowerKeys = [...lower.keys()];
  const lowerValues = lowerKeys.map((k) => Buffer.from(lower.get(k)!));
  return (text, start, end, out) => {
    const len = end - start;
    for (let k = 0; k < values.length; k++) {
      if (values[k].length === len && sameText(text, start, values[k], false)) return writeBytes(exact[k], out);
    }
    for (let k = 0; k < lowerKeys.length; k++) {
      if (lowerKeys[k].length === len && sameText(text, start, lowerKeys[k], true)) return writeBytes(lowerValues[k], out);
    }
    return viaClean(text, start, end, out);
  };
}

function dateWriter(col: ColumnSpec): CellWriter {
  const formats = col.formats ?? DEFAULT_DATE_FORMATS;
  const parsers: DateRangeParser[] = formats.map(compileDateRangeParser);
  const isoLength = formats.map((f) => (f === 'YYYY-MM-DD' ? f.length : -1));
  const parts: DateParts = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
  return (text, start, end, out) => {
    for (let i = 0; i < parsers.length; i++) {
      if (!parsers[i](text, start, end, parts)) continue;
      // As clean: a value in the output's layout is written as it is, any other as isoDate(parts).
      if (end - start === isoLength[i]) {
        out.pos = writeUtf8(text, start, end, out.buf, out.pos);
        return true;
      }
      const buf = out.buf;
      let pos = out.pos;
      // As isoDate: four year digits, zero-padded (year 5 is 0005).
      const y = parts.year;
      buf[pos++] = 48 + (((y / 1000) | 0) % 10);
      buf[pos++] = 48 + (((y / 100) | 0) % 10);
      buf[pos++] = 48 + (((y / 10) | 0) % 10);
      buf[pos++] = 48 + (y % 10);
      buf[pos++] = 45;
      buf[pos++] = 48 + ((parts.month / 10) | 0);
      buf[pos++] = 48 + (parts.month % 10);
      buf[pos++] = 45;
      buf[pos++] = 48 + ((parts.day / 10) | 0);
      buf[pos++] = 48 + (parts.day % 10);
      out.pos = pos;
      return true;
    }
    return false;
  };
}

/** True when text[start..start+expected.length) is `expected` (ASCII-lower-cased first when `lowerAscii`; other characters compared as they are). */
function sameText(text: string, start: number, expected: string, lowerAscii: boolean): boolean {
  for (let i = 0; i < expected.length; i++) {
    let c = text.charCodeAt(start + i);
    if (lowerAscii && c >= 65 && c <= 90) c += 32;
    else if (lowerAscii && c > 127) return false;
    if (c !== expected.charCodeAt(i)) return false;
  }
  return true;
}

function writeBytes(bytes: Buffer, out: ByteOut): boolean {
  out.ensure(bytes.length);
  bytes.copy(out.buf, out.pos);
  out.pos += bytes.length;
  return true;
}

/** Entries kept by the per-column caches of recent date spellings and enum spellings. */
const VALUE_CACHE_SIZE = 8192;

type TypeCheck = (t: string, failure: CellFailure) => string | undefined;

/**
 * The check of a normalised decimal ("-1234.5": no exponent, no trailing zeros) against the column's DECIMAL(precision,
 * scale): why it does not fit (more places than the scale, more digits before the point than precision - scale),
 * or undefined. A value is never rounded: rounding would change it without a trace. Undefined for a spec without a
 * precision (a column inferred from a file without a dataset: its values reach no DECIMAL).
 */
export function decimalRangeCheck(col: Pick<ColumnSpec, 'precision' | 'scale'>): ((v: string) => string | undefined) | undefined {
  if (col.precision === undefined) return undefined;
  const precision = col.precision;
  const scale = col.scale ?? 0;
  const type = `decimal(${precision},${scale})`;
  return (v) => {
    const start = v.charCodeAt(0) === 45 ? 1 : 0;
    const point = v.indexOf('.');
    const places = point < 0 ? 0 : v.length - point - 1;
    const whole = (point < 0 ? v.length : point) - start;
    // "0.5" has no digit before the point; normalised values have no other leading zero.
    const digits = whole === 1 && v.charCodeAt(start) === 48 ? 0 : whole;
    if (places > scale) {
      return `has ${places} digits after the point, and the column is ${type}, which keeps ${scale}: round it in the source file, or raise "scale" in the config (values are never rounded)`;
    }
    if (digits > precision - scale) {
      return `has ${digits} digits before the point, and the column is ${type}, which holds ${precision - scale}: raise "precision" in the config`;
    }
    return undefined;
  };
}

function compileType(col: ColumnSpec, options: CleanOptions): TypeCheck {
  const name = col.name;
  switch (col.type) {
    case 'string':
      return (t) => t;
    case 'integer':
      return (t, f) =>
        normaliseInteger(t) ?? fail(f, 'INVALID_INTEGER', `${name}: ${showValue(t)} is not an integer (digits with an optional sign, within the 64-bit range)`);
    case 'decimal': {
      // One convention for the whole column: a cell of the other one, or one it cannot tell, is rejected, never reread.
      const decision = options.decimals?.[name] ?? decideDecimal([], options.delimiter);
      const convention = decision.convention;
      const ambiguous = ambiguousIn(decision);
      const outOfRange = decimalRangeCheck(col);
      return (t, f) => {
        const text = ambiguous?.(t) ? undefined : toPointText(t, convention);
        const v = text === undefined ? undefined : normaliseDecimal(text, false);
        if (v === undefined) return fail(f, 'INVALID_DECIMAL', decimalProblem(name, showValue(t), t, decision));
        const problem = outOfRange?.(v);
        return problem === undefined ? v : fail(f, 'INVALID_DECIMAL', `${name}: ${showValue(t)} ${problem}`);
      };
    }
    case 'boolean':
      return (t, f) =>
        normaliseBoolean(t) ?? fail(f, 'INVALID_BOOLEAN', `${name}: ${showValue(t)} is not a boolean (true/false, yes/no, y/n, 1/0, t/f, on/off)`);
    case 'email':
      return (t, f) => {
        const kind = emailCheck(t);
        return kind === 1 ? t : kind === 2 ? t.toLowerCase() : fail(f, 'INVALID_EMAIL', `${name}: ${showValue(t)} is not an e-mail address`);
      };
    case 'enum': {
      const exact = new Map((col.values ?? []).map((v) => [v, v]));
      const lower = new Map((col.values ?? []).map((v) => [v.toLowerCase(), v]));
      const list = (col.values ?? []).join(', ');
      return (t, f) => {
        const hit = exact.get(t);
        if (hit !== undefined) return hit;
        const value = lower.get(t.toLowerCase());
        if (value === undefined) return fail(f, 'INVALID_ENUM', `${name}: ${showValue(t)} is not one of ${list}`);
        // Other spellings of allowed values are few: remember them (bounded) to skip the lower-casing.
        if (exact.size < VALUE_CACHE_SIZE) exact.set(t, value);
        return value;
      };
    }
    case 'date':
    case 'timestamp': {
      const isDate = col.type === 'date';
      const formats = col.formats ?? (isDate ? DEFAULT_DATE_FORMATS : DEFAULT_TIMESTAMP_FORMATS);
      const parsers: DateParser[] = formats.map(compileDateFormat);
      const parts: DateParts = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
      const code = isDate ? 'INVALID_DATE' : 'INVALID_TIMESTAMP';
      const what = isDate ? 'a date' : 'a timestamp';
      // A value in the output's own layout (all parts two digits, no ms) is written as it is.
      const isoLength = formats.map((f) => (f === (isDate ? 'YYYY-MM-DD' : 'YYYY-MM-DDTHH:mm:ss') ? f.length : -1));
      // Files repeat dates a lot: remember recent spellings (bounded) so most cells are a map lookup.
      const seen = new Map<string, string>();
      return (t, f) => {
        const known = seen.get(t);
        if (known !== undefined) return known;
        for (let i = 0; i < parsers.length; i++) {
          if (parsers[i](t, parts)) {
            let iso = t;
            if (t.length !== isoLength[i]) {
              iso = isDate ? isoDate(parts) : isoTimestamp(parts);
              if (iso === t) iso = t;
            }
            if (seen.size >= VALUE_CACHE_SIZE) seen.clear();
            seen.set(t, iso);
            return iso;
          }
        }
        return fail(f, code, `${name}: ${showValue(t)} is not ${what} in the format${formats.length > 1 ? 's' : ''} ${formats.join(', ')}`);
      };
    }
  }
}
