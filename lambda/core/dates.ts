// Compiles the config's date formats (YYYY MM DD HH mm ss SSS and separators) into fast parsers that write ISO 8601.

/** A parsed date-time; month 1-12, ms 0-999. */
export interface DateParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

/** Parses one value in one format; returns false when the value does not match or is not a real date. */
export type DateParser = (value: string, into: DateParts) => boolean;

type Token = { kind: 'num'; field: keyof DateParts; min: number; max: number } | { kind: 'lit'; code: number };

const TOKENS: Record<string, { field: keyof DateParts; min: number; max: number }> = {
  YYYY: { field: 'year', min: 4, max: 4 },
  MM: { field: 'month', min: 1, max: 2 },
  DD: { field: 'day', min: 1, max: 2 },
  HH: { field: 'hour', min: 1, max: 2 },
  mm: { field: 'minute', min: 2, max: 2 },
  ss: { field: 'second', min: 2, max: 2 },
  SSS: { field: 'ms', min: 1, max: 9 },
};

function tokenize(format: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  outer: while (i < format.length) {
    for (const name of ['YYYY', 'SSS', 'MM', 'DD', 'HH', 'mm', 'ss']) {
      if (format.startsWith(name, i)) {
        tokens.push({ kind: 'num', ...TOKENS[name] });
        i += name.length;
        continue outer;
      }
    }
    tokens.push({ kind: 'lit', code: format.charCodeAt(i) });
    i++;
  }
  return tokens;
}

/** Compiles a format such as "DD.MM.YYYY HH:mm"; MM, DD and HH accept one or two digits, SSS one to nine (kept to ms). */
export function compileDateFormat(format: string): DateParser {
  const parse = compileDateRangeParser(format);
  return (value, into) => parse(value, 0, value.length, into);
}

/** Parses value[start..end) in one format (no substring needed); false when it does not match or is not a real date. */
export type DateRangeParser = (value: string, start: number, end: number, into: DateParts) => boolean;

/** compileDateFormat for a range of a larger string. */
export function compileDateRangeParser(format: string): DateRangeParser {
  const tokens = tokenize(format);
  // Tokens as parallel arrays (0 literal, 1..7 the DateParts field) so the loop does no property lookups by name.
  const count = tokens.length;
  const kind = new Int8Array(count);
  const code = new Int32Array(count);
  const min = new Int8Array(count);
  const max = new Int8Array(count);
  for (let t = 0; t < count; t++) {
    const tok = tokens[t];
    if (tok.kind === 'lit') code[t] = tok.code;
    else {
      kind[t] = FIELDS.indexOf(tok.field) + 1;
      min[t] = tok.min;
      max[t] = tok.max;
    }
  }
  // `len` is the end of the range: nothing at or after it is read.
  return (value, start, len, into) => {
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let ms = 0;
    let i = start;
    for (let t = 0; t < count; t++) {
      const k = kind[t];
      if (k === 0) {
        if (i >= len || value.charCodeAt(i) !== code[t]) return false;
        i++;
        continue;
      }
      let n = 0;
      let digits = 0;
      const most = max[t];
      while (i < len && digits < most) {
        const c = value.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        if (k !== 7 || digits < 3) n = n * 10 + c;
        digits++;
        i++;
      }
      if (digits < min[t]) return false;
      switch (k) {
        case 1:
          year = n;
          break;
        case 2:
          month = n;
          break;
        case 3:
          day = n;
          break;
        case 4:
          hour = n;
          break;
        case 5:
          minute = n;
          break;
        case 6:
          second = n;
          break;
        default:
          ms = digits === 1 ? n * 100 : digits === 2 ? n * 10 : n;
      }
    }
    into.year = year;
    into.month = month;
    into.day = day;
    into.hour = hour;
    into.minute = minute;
    into.second = second;
    into.ms = ms;
    if (i !== len) return false;
    return isRealDate(into);
  };
}

/** DateParts fields in token-kind order (kind = index + 1). */
const FIELDS: (keyof DateParts)[] = ['year', 'month', 'day', 'hour', 'minute', 'second', 'ms'];

function isRealDate(p: DateParts): boolean {
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.year < 1) return false;
  if (p.day > daysInMonth(p.year, p.month)) return false;
  return p.hour <= 23 && p.minute <= 59 && p.second <= 59;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** "00" to "99", so formatting a date allocates only the result. */
const TWO_DIGITS = Array.from({ length: 100 }, (_v, i) => (i < 10 ? '0' : '') + i);
function pad2(n: number): string {
  return TWO_DIGITS[n];
}

/** YYYY-MM-DD; the year always has four digits (year 5 is 0005: ISO 8601, and what Spark, DuckDB and Athena read). */
export function isoDate(p: DateParts): string {
  const y = p.year;
  return `${(y >= 1000 ? '' : y >= 100 ? '0' : y >= 10 ? '00' : '000') + y}-${pad2(p.month)}-${pad2(p.day)}`;
}

/** YYYY-MM-DDTHH:mm:ss, with .SSS only when the milliseconds are not zero; no zone. */
export function isoTimestamp(p: DateParts): string {
  const base = `${isoDate(p)}T${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
  return p.ms === 0 ? base : `${base}.${p.ms < 10 ? '00' : p.ms < 100 ? '0' : ''}${p.ms}`;
}

/** Formats tried when a date column lists none. */
export const DEFAULT_DATE_FORMATS = ['YYYY-MM-DD'];
/** Formats tried when a timestamp column lists none (ISO 8601 with T or space, with or without seconds/ms). */
export const DEFAULT_TIMESTAMP_FORMATS = [
  'YYYY-MM-DDTHH:mm:ss',
  'YYYY-MM-DD HH:mm:ss',
  'YYYY-MM-DDTHH:mm:ss.SSS',
  'YYYY-MM-DD HH:mm:ss.SSS',
  'YYYY-MM-DDTHH:mm',
  'YYYY-MM-DD HH:mm',
  'YYYY-MM-DD',
];
