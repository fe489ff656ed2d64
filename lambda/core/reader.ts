// The streaming CSV tokenizer: turns decoded text chunks into records (fields, physical line number, raw text) in one pass.
//
// Why hand-written: it splits unquoted lines with String#indexOf (vectorised in V8) and only walks
// character by character through lines that contain a quote; see lambda/core/README.md for the
// measured comparison with csv-parse.

/** How a file's records are written. */
export interface Dialect {
  readonly delimiter: string;
  readonly quote: string;
  /** "LF" and "CRLF" both end records at LF (a CR before it is dropped); "CR" ends records at CR. */
  readonly lineEnding: 'LF' | 'CRLF' | 'CR';
  /** Spaces after a delimiter are skipped when a quoted field follows (`1, "Doe, John"`); other fields keep them (cleaning trims). */
  readonly spaceAfterDelimiter?: boolean;
}

/** Problems the tokenizer found in a record's quoting (the record is still delivered). */
export enum RecordProblem {
  None = 0,
  /** A closing quote was followed by something other than a delimiter or a line end. */
  MalformedQuote = 1,
  /** A quoted field was still open at the end of the file. */
  UnterminatedQuote = 2,
}

/** Thrown when one record grows past the tokenizer's limit (an unclosed quote in a big file, or not CSV). */
export class RecordTooLargeError extends Error {
  constructor(
    readonly line: number,
    readonly limitChars: number,
  ) {
    super(`the record starting at line ${line} is longer than ${limitChars} characters (an unclosed quote?)`);
  }
}

/** Default longest record in characters; bounds memory for files whose quotes never close. */
export const MAX_RECORD_CHARS = 8 * 1024 * 1024;

/**
 * A push tokenizer. For each complete record it sets the public fields below and calls `onRecord`:
 * read `fields[0..count)`, `line` (1-based physical line of the record's first line), `problem`, and
 * `raw()` for the record's text (without its line terminator). Values are valid only during the call.
 */
export class RecordReader {
  readonly fields: string[] = [];
  count = 0;
  line = 1;
  /** Physical lines the record spans. */
  lines = 1;
  problem: RecordProblem = RecordProblem.None;
  /** True when the record had no quote and no stray CR/LF: then no field holds a quote or line break. */
  plain = true;
  /**
   * With `offsetsOnly`, a plain record's fields are not sliced: field i is `source[starts[i]..ends[i])` and
   * `fields` is filled only by `materialize()`. `sliced` says whether `fields` holds the current record.
   */
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  source = '';
  sliced = true;
  private text = '';
  private start = 0;
  private stop = 0;
  private nextLine = 1;
  private waitFor = 0;
  private readonly delim: string;
  private readonly delimCode: number;
  private readonly quote: string;
  private readonly quoteCode: number;
  private readonly sep: string;
  private readonly sepCode: number;
  private readonly stripCr: boolean;
  private readonly skipSpace: boolean;
  /** What quotedField and unquotedField read: the field's value, the line breaks inside it, its quoting problem. */
  private fieldValue = '';
  private fieldLines = 0;
  private fieldProblem: RecordProblem = RecordProblem.None;

  constructor(
    dialect: Dialect,
    private readonly onRecord: () => void,
    private readonly maxRecordChars = MAX_RECORD_CHARS,
    private readonly offsetsOnly = false,
  ) {
    this.delim = dialect.delimiter;
    this.delimCode = dialect.delimiter.charCodeAt(0);
    this.quote = dialect.quote;
    this.quoteCode = dialect.quote.charCodeAt(0);
    this.sep = dialect.lineEnding === 'CR' ? '\r' : '\n';
    this.sepCode = this.sep.charCodeAt(0);
    this.stripCr = dialect.lineEnding !== 'CR';
    this.skipSpace = dialect.spaceAfterDelimiter === true;
  }

  /** The current record's original text, without its line terminator. */
  raw(): string {
    return this.text.slice(this.start, this.stop);
  }

  /** For a block read from the middle of a file (worker threads): the physical line number of the first text pushed. */
  startAt(line: number): void {
    this.nextLine = line;
  }

  /** The physical line number after the last record delivered (a block's reader tells where the next block starts). */
  lineAfter(): number {
    return this.nextLine;
  }

  /** Fills `fields[0..count)` for the current record when only its offsets were recorded. */
  materialize(): void {
    if (this.sliced) return;
    const src = this.source;
    for (let i = 0; i < this.count; i++) this.fields[i] = src.slice(this.starts[i], this.ends[i]);
    this.sliced = true;
  }

  /** Feeds the next piece of text; complete records are delivered before it returns. */
  push(chunk: string): void {
    this.text = this.text.length ? this.text + chunk : chunk;
    if (this.text.length < this.waitFor) {
      if (this.text.length > this.maxRecordChars) throw new RecordTooLargeError(this.nextLine, this.maxRecordChars);
      return;
    }
    this.run(false);
  }

  /** Delivers what is left (a last record without a line terminator, an unterminated quoted field). */
  end(): void {
    this.run(true);
    this.text = '';
  }

  private run(final: boolean): void {
    const text = this.text;
    const len = text.length;
    const fields = this.fields;
    const sep = this.sep;
    const delim = this.delim;
    const quote = this.quote;
    let pos = 0;
    let nextQuote = -1;
    let nextDelim = -1;
    let nextSep = -1;
    let nextOther = -1;
    // The other line-break character (CR in LF files, LF in CR files) inside a line sends it to the slow path.
    const other = this.stripCr ? '\r' : '\n';
    while (pos < len) {
      if (nextSep < pos) {
        nextSep = text.indexOf(sep, pos);
        if (nextSep === -1) nextSep = len;
      }
      if (nextSep === len && !final) break;
      if (nextQuote < pos) {
        nextQuote = text.indexOf(quote, pos);
        if (nextQuote === -1) nextQuote = len;
      }
      let end = nextSep;
      if (this.stripCr && end > pos && text.charCodeAt(end - 1) === 13) end--;
      if (nextOther < pos) {
        nextOther = text.indexOf(other, pos);
        if (nextOther === -1) nextOther = len;
      }
      if (nextQuote >= nextSep && nextOther >= end) {
        // Fast path: a line without quotes (or stray CR/LF) is one record; split it at the delimiters.
        let n = 0;
        let s = pos;
        if (this.offsetsOnly) {
          const starts = this.starts;
          const ends = this.ends;
          for (;;) {
            if (nextDelim < s) {
              nextDelim = text.indexOf(delim, s);
              if (nextDelim === -1) nextDelim = len;
            }
            starts[n] = s;
            if (nextDelim >= end) {
              ends[n++] = end;
              break;
            }
            ends[n++] = nextDelim;
            s = nextDelim + 1;
          }
          this.source = text;
          this.sliced = false;
        } else
          for (;;) {
            if (nextDelim < s) {
              nextDelim = text.indexOf(delim, s);
              if (nextDelim === -1) nextDelim = len;
            }
            if (nextDelim >= end) {
              fields[n++] = text.slice(s, end);
              break;
            }
            fields[n++] = text.slice(s, nextDelim);
            s = nextDelim + 1;
          }
        this.deliverPlain(n, pos, end);
        pos = nextSep + 1;
        continue;
      }
      const next = this.slowRecord(text, pos, final);
      if (next < 0) break;
      pos = next;
    }
    this.keepRest(text, pos, final);
  }

  /** Delivers the quote-free record text[start..stop) split into `count` fields. */
  private deliverPlain(count: number, start: number, stop: number): void {
    this.count = count;
    this.start = start;
    this.stop = stop;
    this.line = this.nextLine;
    this.lines = 1;
    this.problem = RecordProblem.None;
    this.plain = true;
    this.nextLine++;
    this.onRecord();
  }

  /** Keeps text[pos..) (an incomplete record) for the next push. */
  private keepRest(text: string, pos: number, final: boolean): void {
    const rest = text.length - pos;
    if (rest > 0 && !final) {
      if (rest > this.maxRecordChars) throw new RecordTooLargeError(this.nextLine, this.maxRecordChars);
      this.text = pos === 0 ? text : text.slice(pos);
      // Re-scan a long incomplete record only after the buffer has doubled, so very long fields stay linear.
      this.waitFor = rest > 65536 ? rest * 2 : 0;
    } else {
      this.text = '';
      this.waitFor = 0;
    }
  }

  /** Reads one record that contains a quote, character by character; returns the next position or -1 for "need more text". */
  private slowRecord(text: string, pos: number, final: boolean): number {
    const len = text.length;
    const fields = this.fields;
    const dc = this.delimCode;
    const stripCr = this.stripCr;
    let problem = RecordProblem.None;
    let lines = 1;
    let n = 0;
    let i = pos;
    let recordEnd = -1;
    let next = -1;
    for (;;) {
      if (this.skipSpace && text.charCodeAt(i) === 32) i = this.skipSpacesBeforeQuote(text, i);
      i = i < len && text.charCodeAt(i) === this.quoteCode ? this.quotedField(text, i, final) : this.unquotedField(text, i, final);
      if (i < 0) return -1;
      lines += this.fieldLines;
      // An unclosed quote runs to the end of the file: it is the record's problem, whatever came before.
      if (this.fieldProblem === RecordProblem.UnterminatedQuote) problem = RecordProblem.UnterminatedQuote;
      else if (this.fieldProblem !== RecordProblem.None) problem = problem || this.fieldProblem;
      fields[n++] = this.fieldValue;
      if (i >= len) {
        recordEnd = len;
        next = len;
        break;
      }
      const c = text.charCodeAt(i);
      if (c === dc) {
        i++;
        if (i >= len) {
          if (!final) return -1;
          fields[n++] = '';
          recordEnd = len;
          next = len;
          break;
        }
        continue;
      }
      if (stripCr && c === 13) i++;
      // c (or the char after the CR) is the line separator; a CR before it belongs to the line end, not to the record's text.
      recordEnd = stripCr && i > pos && text.charCodeAt(i - 1) === 13 ? i - 1 : i;
      if (i >= len && !final) return -1;
      next = i + 1;
      break;
    }
    this.count = n;
    this.start = pos;
    this.stop = recordEnd;
    this.line = this.nextLine;
    this.lines = lines;
    this.problem = problem;
    this.plain = false;
    this.sliced = true;
    this.nextLine += lines;
    this.onRecord();
    return next;
  }

  /** With spaceAfterDelimiter: the position of the quote after the spaces at i, or i when no quote follows them. */
  private skipSpacesBeforeQuote(text: string, i: number): number {
    let k = i;
    while (k < text.length && text.charCodeAt(k) === 32) k++;
    return k < text.length && text.charCodeAt(k) === this.quoteCode ? k : i;
  }

  /**
   * Reads the quoted field whose opening quote is at i ("" is an escaped quote; line breaks are data) into
   * fieldValue, fieldLines and fieldProblem; returns the position after it, or -1 for "need more text".
   */
  private quotedField(text: string, i: number, final: boolean): number {
    const len = text.length;
    let start = i + 1;
    let j = start;
    let value = '';
    this.fieldLines = 0;
    this.fieldProblem = RecordProblem.None;
    for (;;) {
      const q = text.indexOf(this.quote, j);
      if (q === -1) {
        if (!final) return -1;
        this.fieldValue = value + text.slice(start, len);
        this.fieldLines += countOf(text, this.sep, j, len);
        this.fieldProblem = RecordProblem.UnterminatedQuote;
        return len;
      }
      if (q + 1 >= len && !final) return -1;
      this.fieldLines += countOf(text, this.sep, j, q);
      if (text.charCodeAt(q + 1) === this.quoteCode) {
        value += text.slice(start, q + 1);
        j = start = q + 2;
        continue;
      }
      value += text.slice(start, q);
      i = q + 1;
      break;
    }
    // After the closing quote: a delimiter, a line end, or (malformed) more text that is kept literally.
    const sc = this.sepCode;
    const c = i < len ? text.charCodeAt(i) : sc;
    if (c !== this.delimCode && c !== sc && !(this.stripCr && c === 13 && (i + 1 >= len || text.charCodeAt(i + 1) === sc))) {
      this.fieldProblem = RecordProblem.MalformedQuote;
      const k = this.fieldBreak(text, i);
      if (k >= len && !final) return -1;
      value += text.slice(i, this.withoutCr(text, i, k));
      i = k;
    }
    this.fieldValue = value;
    return i;
  }

  /** Reads the unquoted field at i (a quote inside it is data) into fieldValue; returns its end, or -1 for "need more text". */
  private unquotedField(text: string, i: number, final: boolean): number {
    const k = this.fieldBreak(text, i);
    if (k >= text.length && !final) return -1;
    this.fieldValue = text.slice(i, this.withoutCr(text, i, k));
    this.fieldLines = 0;
    this.fieldProblem = RecordProblem.None;
    return k;
  }

  /** The next delimiter or line separator at or after i, or the end of the text. */
  private fieldBreak(text: string, i: number): number {
    const dc = this.delimCode;
    const sc = this.sepCode;
    let k = i;
    while (k < text.length) {
      const ck = text.charCodeAt(k);
      if (ck === dc || ck === sc) break;
      k++;
    }
    return k;
  }

  /** The end of the field text[i..k) without the CR of a CRLF line end at k. */
  private withoutCr(text: string, i: number, k: number): number {
    return this.stripCr && k > i && text.charCodeAt(k - 1) === 13 && (k >= text.length || text.charCodeAt(k) === this.sepCode) ? k - 1 : k;
  }
}

function countOf(text: string, ch: string, from: number, to: number): number {
  let n = 0;
  let i = text.indexOf(ch, from);
  while (i !== -1 && i < to) {
    n++;
    i = text.indexOf(ch, i + 1);
  }
  return n;
}

/** Splits a whole text into records (for samples, tests and tools); each record is its fields and line. */
export function readAll(
  text: string,
  dialect: Dialect,
  final = true,
): { fields: string[]; line: number; lines: number; problem: RecordProblem; raw: string }[] {
  const out: { fields: string[]; line: number; lines: number; problem: RecordProblem; raw: string }[] = [];
  const reader: RecordReader = new RecordReader(dialect, () => {
    out.push({ fields: reader.fields.slice(0, reader.count), line: reader.line, lines: reader.lines, problem: reader.problem, raw: reader.raw() });
  });
  reader.push(text);
  if (final) reader.end();
  return out;
}
