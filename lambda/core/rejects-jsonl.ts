// The one writer of the rejected-rows files (JSON Lines): every string exact, one row per line, as the rejects table's Hive JSON SerDe reads them.
import { REJECT_COLUMNS } from '../../config/layout';

/** One rejected row; the keys are REJECT_COLUMNS' names, in that order in the file. */
export interface RejectedRow {
  readonly source_file: string;
  /** 1-based physical line of the record's first line (a JSON number; the table's bigint). */
  readonly line: number;
  readonly reason_code: string;
  readonly column_name: string;
  readonly reason: string;
  /** The record exactly as it was in the file (line breaks, quotes, backslashes included), without its line end. */
  readonly raw_record: string;
}

/** Content type of the rejects objects in S3. */
export const REJECTS_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/**
 * Unicode line breaks JSON allows raw in a string. JSON.stringify leaves them as they are; escaped, no
 * reader that splits lines on them (JavaScript line terminators, Python's str.splitlines) cuts a row.
 * LF, CR and every other control character are escaped by JSON.stringify itself.
 */
const RAW_LINE_BREAKS = /[\u0085\u2028\u2029]/g;
/** Any character JSON.stringify would escape, a Unicode line break, or a surrogate: without one, a string is its own JSON body. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what must be found
const NEEDS_ESCAPING = /["\\\u0000-\u001f\u0085\u2028\u2029\ud800-\udfff]/;

/**
 * A string as a JSON string literal, exact for every string: JSON.stringify escapes `"`, `\`, LF, CR
 * and every control character, and (Node 12+, ES2019 well-formed JSON.stringify) each lone surrogate as
 * `\udXXX`; astral characters stay as their UTF-8. The result holds no LF or CR, so it never splits a line.
 * Most strings need no escaping at all and are only quoted (the same text, about twice as fast).
 */
export function jsonString(value: string): string {
  if (!NEEDS_ESCAPING.test(value)) return `"${value}"`;
  return JSON.stringify(value).replace(RAW_LINE_BREAKS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type RejectKey = keyof RejectedRow;
/** `"name":` of each column, in REJECT_COLUMNS order; checked once against RejectedRow's keys. */
const FIELDS: readonly { readonly key: RejectKey; readonly prefix: string; readonly numeric: boolean }[] = REJECT_COLUMNS.map((c, i) => ({
  key: c.name as RejectKey,
  prefix: `${(i === 0 ? '{' : ',') + JSON.stringify(c.name)}:`,
  numeric: c.type === 'bigint',
}));

/** One rejected row as one line of the rejects file: a JSON object and "\n". Pure; the core streams these out in batches. */
export function rejectLine(row: RejectedRow): string {
  let out = '';
  for (const field of FIELDS) {
    const value = row[field.key];
    if (field.numeric) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw new Error(`rejectLine: ${field.key} must be a non-negative integer, got ${JSON.stringify(value)}; pass the record's 1-based line number`);
      }
      out += field.prefix + value;
    } else {
      if (typeof value !== 'string') throw new Error(`rejectLine: ${field.key} must be a string, got ${JSON.stringify(value)}; pass "" for no value`);
      out += field.prefix + jsonString(value);
    }
  }
  return `${out}}\n`;
}
