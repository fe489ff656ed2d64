// Finds the header by content (text where the data is typed), past preamble lines, over two lines, or absent.
import { DEFAULT_TIMESTAMP_FORMATS, compileDateFormat, type DateParts } from './dates';
import { MAX_PREAMBLE_LINES } from './dialect';
import { isEmail, normaliseDecimal, normaliseInteger } from './validate';

/** A record of the detection sample. */
export interface SampleRecord {
  readonly fields: readonly string[];
  /** 1-based physical line of its first line. */
  readonly line: number;
  /** Physical lines it spans. */
  readonly lines: number;
  readonly raw: string;
}

/** "present": one header line; "two-lines": names joined from two lines; "repeated": the same names on two lines, used once; "absent": no header. */
export type HeaderKind = 'present' | 'two-lines' | 'repeated' | 'absent';

/** How the header is read: the dataset's `header` setting, or "auto" (decided by content). */
export type HeaderSetting = 'auto' | 'present' | 'absent';

export interface HeaderDecision {
  readonly kind: HeaderKind;
  /** The header's names as found (two lines joined; a trailing delimiter's empty name removed); empty when absent. */
  readonly names: readonly string[];
  /** For "two-lines": the names of the second line alone (a dataset may match these instead). */
  readonly lowerNames?: readonly string[];
  /** Physical lines of the header records (none when absent). */
  readonly headerLines: readonly number[];
  /** Records starting before this line are preamble or header. */
  readonly firstDataLine: number;
  /** Non-blank records above the header (or above the first row when absent). */
  readonly preamble: readonly SampleRecord[];
  /** Fields of a data record. */
  readonly width: number;
  /** Records end with a delimiter whose empty field belongs to no column (width = names + 1). */
  readonly trailingDelimiter: boolean;
  /** Why, with the values it rests on. */
  readonly evidence: string;
}

/** The coarse types the evidence compares. */
type Kind = 'empty' | 'number' | 'date' | 'boolean' | 'email' | 'text';

/** Sample rows profiled per column. */
const PROFILE_ROWS = 200;
/** Share of a column's non-empty values that must have one type for the column to count as typed. */
const TYPED_SHARE = 0.8;
const BOOLEANS = new Set(['true', 'false', 'yes', 'no']);
const DATE_FORMATS = ['YYYY-MM-DD', 'YYYY/MM/DD', 'DD.MM.YYYY', 'DD/MM/YYYY', 'MM/DD/YYYY', ...DEFAULT_TIMESTAMP_FORMATS];
let dateParsers: ((v: string, p: DateParts) => boolean)[] | undefined;
const parts: DateParts = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };

function kindOf(value: string, decimalComma: boolean): Kind {
  const v = value.trim();
  if (!v) return 'empty';
  if (normaliseInteger(v) !== undefined || normaliseDecimal(v, decimalComma) !== undefined) return 'number';
  if (BOOLEANS.has(v.toLowerCase())) return 'boolean';
  if (isEmail(v)) return 'email';
  dateParsers ??= DATE_FORMATS.map((f) => compileDateFormat(f));
  if (dateParsers.some((parse) => parse(v, parts))) return 'date';
  return 'text';
}

interface ColumnProfile {
  readonly kind: Kind;
  /** For a text column of few repeating values (an enum): those values, lower case. */
  readonly values?: ReadonlySet<string>;
  readonly nonEmpty: number;
}

function profileColumns(rows: readonly SampleRecord[], width: number, decimalComma: boolean): ColumnProfile[] {
  return Array.from({ length: width }, (_v, j) => {
    const counts = new Map<Kind, number>();
    const distinct = new Set<string>();
    let nonEmpty = 0;
    for (const r of rows) {
      const k = kindOf(r.fields[j] ?? '', decimalComma);
      if (k === 'empty') continue;
      nonEmpty++;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      if (k === 'text') distinct.add(r.fields[j].trim().toLowerCase());
    }
    const [kind, n] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? ['empty', 0];
    if (kind !== 'text' && kind !== 'empty' && n >= nonEmpty * TYPED_SHARE) return { kind, nonEmpty };
    const enumLike = nonEmpty >= 4 && distinct.size <= nonEmpty / 2;
    return { kind: nonEmpty ? 'text' : 'empty', nonEmpty, ...(enumLike ? { values: distinct } : {}) };
  });
}

interface Weighed {
  /** Cells that are text where their column is typed. */
  readonly header: number;
  /** Cells that have their column's type, or are one of its enum values. */
  readonly data: number;
  /** 1 when the non-empty cells repeat (names would not), else 0. */
  readonly repeats: number;
  readonly reasons: string[];
}

/** Weighs a candidate's cells against the columns below: text where they are typed says header; their type or an enum value says data. */
function weigh(cells: readonly string[], profile: readonly ColumnProfile[], decimalComma: boolean): Weighed {
  let header = 0;
  let data = 0;
  const reasons: string[] = [];
  profile.forEach((p, j) => {
    const v = (cells[j] ?? '').trim();
    if (!v) return;
    if (p.kind !== 'text' && p.kind !== 'empty') {
      const k = kindOf(v, decimalComma);
      if (k === p.kind) {
        data++;
        reasons.push(`column ${j + 1}: ${JSON.stringify(v.slice(0, 30))} is a ${p.kind} like the rows below`);
      } else if (k === 'text') {
        header++;
        reasons.push(`column ${j + 1}: ${JSON.stringify(v.slice(0, 30))} is text where the rows below hold ${p.kind}s`);
      }
    } else if (p.values?.has(v.toLowerCase())) {
      data++;
      reasons.push(`column ${j + 1}: ${JSON.stringify(v.slice(0, 30))} is one of the column's values`);
    }
  });
  const names = cells.map((c) => c.trim().toLowerCase()).filter((c) => c);
  const repeats = new Set(names).size < names.length ? 1 : 0;
  if (repeats) reasons.push('some of its values repeat, names would not');
  return { header, data, repeats, reasons };
}

/** The rows' last field is empty in (nearly) all of them: a trailing delimiter, not a column (a value there rejects its row). */
function lastFieldMostlyEmpty(rows: readonly SampleRecord[], width: number): boolean {
  if (width < 2 || !rows.length) return false;
  const empty = rows.reduce((n, r) => n + (r.fields[width - 1].trim() === '' ? 1 : 0), 0);
  return empty >= rows.length * TYPED_SHARE;
}

const nonEmptyCount = (cells: readonly string[]) => cells.reduce((n, c) => n + (c.trim() ? 1 : 0), 0);
const isBlank = (r: SampleRecord) => r.fields.length === 1 && r.fields[0].trim() === '';

/** Whether a record can be the header or a row: the data's width (a trailing delimiter either way allowed). */
function fits(r: SampleRecord, width: number, dataTrailingEmpty: boolean): boolean {
  const n = r.fields.length;
  return n === width || (n === width + 1 && r.fields[n - 1].trim() === '') || (dataTrailingEmpty && n === width - 1);
}

/** A preamble line: not of the data's width, only delimiters, or a title (only its first cell filled, in a table of 3+ columns). */
function isPreamble(r: SampleRecord, width: number, dataTrailingEmpty: boolean): boolean {
  if (!fits(r, width, dataTrailingEmpty)) return true;
  const filled = nonEmptyCount(r.fields);
  return filled === 0 || (width >= 3 && filled === 1 && r.fields[0].trim() !== '');
}

export interface HeaderOptions {
  readonly setting: HeaderSetting;
  /** The delimiter is not a comma, so "19,99" is a number. */
  readonly decimalComma: boolean;
  /** With a dataset: how many of these cells name one of its columns (names or aliases). */
  readonly datasetMatches?: (cells: readonly string[]) => number;
}

/**
 * Decides where the header is and whether there is one, from the sample's records and the data's field count:
 * preamble lines (other widths, only delimiters, a title in the first cell) are skipped; the first other record is
 * the header when its cells are text where the rows below are typed (or name the dataset's columns), data when they
 * have the rows' types; a second header-like line right below it makes a two-line header (group titles joined to
 * the names) or a repeated one. Undefined when the sample has no record.
 */
export function detectHeader(records: readonly SampleRecord[], width: number, options: HeaderOptions): HeaderDecision | undefined {
  const rows = records.filter((r) => !isBlank(r));
  if (!rows.length) return undefined;
  const following = rows.slice(1, 1 + PROFILE_ROWS).filter((r) => r.fields.length === width);
  const dataTrailingEmpty = lastFieldMostlyEmpty(following, width);
  let i = 0;
  while (i < rows.length - 1 && rows[i].line - 1 <= MAX_PREAMBLE_LINES && isPreamble(rows[i], width, dataTrailingEmpty)) i++;
  const first = rows[i];
  const preamble = rows.slice(0, i);
  const below = (k: number) =>
    rows
      .slice(k)
      .filter((r) => r.fields.length === width)
      .slice(0, PROFILE_ROWS);
  const base = { preamble, width };
  if (options.setting === 'absent')
    return absent(first, base, dataTrailingEmpty, 'no header: the dataset says "header": "absent", columns are mapped by position');
  const profile = profileColumns(below(i + 1), width, options.decimalComma);
  const weighed = weigh(first.fields, profile, options.decimalComma);
  const matched = options.datasetMatches?.(first.fields) ?? 0;
  const where = `line ${first.line}`;
  if (options.setting === 'auto' && matched < 2 && weighed.data + weighed.repeats > weighed.header) {
    return absent(first, base, dataTrailingEmpty, `no header: ${where} looks like data (${weighed.reasons.join('; ')})`);
  }
  const two = twoLines(rows, i, base, options.decimalComma, matched);
  if (two) return two;
  const why =
    options.setting === 'present'
      ? `${where} is the header (the dataset says "header": "present")`
      : matched >= 2
        ? `${where} is the header: ${matched} of its names are the dataset's columns`
        : weighed.header
          ? `${where} is the header: ${weighed.reasons.join('; ')}`
          : `${where} is taken as the header: the rows below give no type to compare it with (all text), and a CSV file has one by default`;
  return present('present', first.fields, [first], base, dataTrailingEmpty, why);
}

interface Base {
  readonly preamble: readonly SampleRecord[];
  readonly width: number;
}

function absent(first: SampleRecord, base: Base, dataTrailingEmpty: boolean, evidence: string): HeaderDecision {
  const trailing = dataTrailingEmpty && first.fields.length === base.width;
  return {
    ...base,
    kind: 'absent',
    names: [],
    headerLines: [],
    firstDataLine: first.line,
    trailingDelimiter: trailing,
    evidence: evidence + (trailing ? '; every row ends with a delimiter, its empty last field is ignored' : ''),
  };
}

/** A header read from `records` (one or two lines) with `cells` as its names; a trailing delimiter's empty name is removed. */
function present(
  kind: HeaderKind,
  cells: readonly string[],
  records: readonly SampleRecord[],
  base: Base,
  dataTrailingEmpty: boolean,
  evidence: string,
  lowerNames?: string[],
): HeaderDecision {
  let names = cells.map((h, j) => (j === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
  let trailing = false;
  let note = '';
  const lastEmpty = names.length > 1 && names[names.length - 1] === '';
  if (names.length === base.width + 1 && lastEmpty) {
    names = names.slice(0, -1);
    note = '; the header ends with a delimiter the rows do not have, its empty last name is ignored';
  } else if (names.length === base.width && lastEmpty && dataTrailingEmpty) {
    names = names.slice(0, -1);
    trailing = true;
    note = '; the header and every row end with a delimiter, the empty last field is ignored';
  } else if (names.length === base.width - 1 && dataTrailingEmpty) {
    trailing = true;
    note = '; every row ends with a delimiter the header does not have, the empty last field is ignored';
  }
  const last = records[records.length - 1];
  return {
    ...base,
    kind,
    names,
    ...(lowerNames ? { lowerNames: trailing || note ? lowerNames.slice(0, names.length) : lowerNames } : {}),
    headerLines: records.map((r) => r.line),
    firstDataLine: last.line + last.lines,
    trailingDelimiter: trailing,
    evidence: evidence + note,
  };
}

/** A second header-like line right below the first: the same names again, or names under group titles (joined). */
function twoLines(rows: readonly SampleRecord[], i: number, base: Base, decimalComma: boolean, matchedFirst: number): HeaderDecision | undefined {
  const top = rows[i];
  const second = rows[i + 1];
  const rest = rows
    .slice(i + 2)
    .filter((r) => r.fields.length === base.width)
    .slice(0, PROFILE_ROWS);
  if (!second || second.line !== top.line + top.lines || second.fields.length !== top.fields.length || !rest.length) return undefined;
  const profile = profileColumns(rest, base.width, decimalComma);
  const lower = weigh(second.fields, profile, decimalComma);
  const upper = weigh(top.fields, profile, decimalComma);
  if (lower.data || lower.repeats || !lower.header || upper.data) return undefined;
  const trailingEmpty = lastFieldMostlyEmpty(rest, base.width);
  const norm = (cells: readonly string[]) => cells.map((c) => c.trim().toLowerCase()).join('\u0001');
  const lines = `lines ${top.line} and ${second.line}`;
  if (norm(top.fields) === norm(second.fields)) {
    return present(
      'repeated',
      second.fields,
      [top, second],
      base,
      trailingEmpty,
      `${lines} both hold the header's names (written twice), used once: ${lower.reasons.join('; ')}`,
    );
  }
  // Group titles above the names: merged cells leave the titles' other cells empty (or repeat the title); a first line
  // that names the dataset's columns is the header itself.
  if (matchedFirst >= 2 || (nonEmptyCount(top.fields) === top.fields.length && !upper.repeats)) return undefined;
  let title = '';
  const joined = second.fields.map((name, j) => {
    title = top.fields[j].trim() || (j > 0 && title ? title : '');
    return [title, name.trim()].filter((s) => s).join(' ');
  });
  const evidence = `${lines} are a two-line header, group titles above the names, joined ("${top.fields.map((c) => c.trim()).join(',')}" over "${second.fields.map((c) => c.trim()).join(',')}"): ${lower.reasons.join('; ')}`;
  return present(
    'two-lines',
    joined,
    [top, second],
    base,
    trailingEmpty,
    evidence,
    second.fields.map((c) => c.trim()),
  );
}
