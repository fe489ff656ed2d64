// Turns each record into a valid row or a reject, and owns what lies between records: rows held as a possible footer,
// blank runs, and the output batches.
import type { Writable } from 'node:stream';
import type { BlockEnd } from './blocks';
import { type BodyEnd, endOfBody, type PendingRecord } from './body-end';
import { ByteOut } from './byte-out';
import type { ColumnPlan } from './column-plan';
import { csvLine } from './csv-text';
import { DecodingErrors, type EncodingName } from './encoding';
import { footerEvidence, isBlankRecord, MAX_FOOTER_RECORDS, type TypeChecks } from './footer';
import type { DuplicateKeys } from './keyset';
import { MAX_RECORD_CHARS, RecordProblem, RecordReader } from './reader';
import { rejectLine } from './rejects-jsonl';
import type { RowCounts } from './build-report';
import type { RecordShape, SampleDecisions } from './sample';
import { writeQueued } from './sinks';
import type { CellFailure, ColumnCleaner } from './validate';

/** Rejected rows are written to their sink in batches of about this many characters. */
const REJECTS_BATCH_CHARS = 256 * 1024;
/** A row of one empty value (one column): `""`, since CSV readers (Spark, DuckDB) skip an empty line. */
const EMPTY_ROW = '""';
/** Valid rows are written to their sink in batches of about this many bytes. */
const VALID_BATCH_BYTES = 128 * 1024;

type CellWriter = ColumnCleaner['write'];

export interface RowWriterOptions {
  /** The input's name, for the rejects' source_file. */
  readonly source: string;
  readonly keys: DuplicateKeys;
  readonly valid: Writable;
  readonly rejects: Writable;
  /** False for a block after the first (worker threads): the first block writes the valid rows' header. */
  readonly writeHeader: boolean;
}

/**
 * Valid rows are written as UTF-8 straight into a batch buffer: a record with the header's field count takes the
 * fast way (each column's byte writer, the key read from the written bytes); other records, and rows that fail a
 * rule or repeat a key, are undone and taken the general way through `clean` (strings), which gives every reason.
 * Both ways write the same bytes.
 */
export class RowWriter implements RowCounts {
  rowsIn = 0;
  rowsValid = 0;
  rowsRejected = 0;
  readonly rejectedByReason = new Map<string, number>();
  private readonly reader: RecordReader;
  private readonly out = new ByteOut(VALID_BATCH_BYTES + 64 * 1024);
  /** Rejected rows keep every string exactly as read (raw_record is the evidence): JSON Lines, not a spreadsheet format. */
  private rejectsOut = '';
  /** Records held as a possible footer: rejected as FOOTER if only footers and blank lines follow them. */
  private readonly pending: PendingRecord[] = [];
  /** Blank lines since the last record; counted between rows once a row follows, else part of the footer. */
  private blankRun = 0;
  private bodyBlankLines = 0;
  /** A record that is data (valid or rejected with its own reason) arrived: what was held before it was not a footer. */
  private settled = false;
  /** Set once a piece of text had a decoding error or a NUL: from then on every record is checked for them. */
  private suspicious = false;
  private readonly decodingErrors: DecodingErrors;
  private readonly encoding: EncodingName;
  private readonly delimiter: string;
  private readonly expected: number;
  private readonly trailingField: number;
  private readonly firstDataLine: number;
  private readonly cleaners: readonly ColumnCleaner[];
  private readonly writers: readonly CellWriter[];
  private readonly sourceIndex: Int32Array;
  private readonly columnCount: number;
  private readonly keys: DuplicateKeys;
  private readonly keyIndexes: readonly number[];
  private readonly integerKey: boolean;
  private readonly keyNames: string;
  private readonly typeChecks: TypeChecks;
  private readonly stats: { neutralised: number };
  /** Where each cell of the row being written starts and ends in `out` (the key is read from there). */
  private readonly cellStart: Int32Array;
  private readonly cellEnd: Int32Array;
  private readonly failure: CellFailure = { code: '', reason: '' };
  private readonly cleaned: string[];
  private readonly reasons: string[] = [];
  private firstFailureCode = '';

  constructor(
    decisions: SampleDecisions,
    plan: ColumnPlan,
    private readonly options: RowWriterOptions,
  ) {
    const shape: RecordShape = decisions.shape;
    this.encoding = decisions.encoding.encoding;
    this.delimiter = decisions.dialect.delimiter;
    this.decodingErrors = new DecodingErrors(this.encoding);
    this.expected = shape.expected;
    this.trailingField = shape.trailingField;
    this.firstDataLine = shape.firstDataLine;
    this.cleaners = plan.cleaners;
    this.writers = plan.cleaners.map((c) => c.write);
    this.sourceIndex = plan.sourceIndex;
    this.columnCount = plan.cleaners.length;
    this.keys = options.keys;
    this.keyIndexes = plan.keyIndexes;
    this.integerKey = plan.integerKey;
    this.keyNames = plan.keyNames;
    this.typeChecks = plan.typeChecks;
    this.stats = plan.stats;
    this.cellStart = new Int32Array(this.columnCount);
    this.cellEnd = new Int32Array(this.columnCount);
    this.cleaned = new Array(this.columnCount).fill('');
    if (options.writeHeader) this.out.writeString(`${csvLine(plan.names)}\n`);
    this.reader = new RecordReader(decisions.dialect, () => this.onRecord(), MAX_RECORD_CHARS, true);
  }

  /** For a block read from the middle of a file: the physical line number of its first line. */
  startAt(line: number): void {
    this.reader.startAt(line);
  }

  /** Feeds the next decoded piece (`bytes`: what it was decoded from); its complete records are written before it returns. */
  push(text: string, bytes: Uint8Array): void {
    // Records are checked for NUL and U+FFFD only once a piece had one that the bytes did not spell literally.
    if (!this.suspicious && (this.decodingErrors.found(text, bytes) || text.indexOf('\u0000') !== -1)) this.suspicious = true;
    this.reader.push(text);
  }

  /** Writes the last record (one without a line end, an unterminated quoted field). */
  end(): void {
    this.reader.end();
  }

  /** Hands full batches to the sinks (`force`: whatever was written). */
  async flush(force: boolean): Promise<void> {
    if (this.out.pos >= VALID_BATCH_BYTES || (force && this.out.pos)) await writeQueued(this.options.valid, this.out.take());
    if (this.rejectsOut.length >= REJECTS_BATCH_CHARS || (force && this.rejectsOut.length)) {
      const text = this.rejectsOut;
      this.rejectsOut = '';
      await writeQueued(this.options.rejects, text);
    }
  }

  /** For a block (worker threads), instead of deciding the footer: what depends on the blocks around it. */
  blockEnd(notes: readonly string[]): BlockEnd {
    const end = {
      pending: this.pending.splice(0),
      blankRun: this.blankRun,
      bodyBlankLines: this.bodyBlankLines,
      settled: this.settled || this.rowsValid > 0,
      suspicious: this.suspicious,
      lineAfter: this.reader.lineAfter(),
      firstDataLine: this.firstDataLine,
      neutralised: this.stats.neutralised,
      notes: notes.slice(),
    };
    this.blankRun = 0;
    return end;
  }

  /** After the last record: records held as a possible footer and followed only by others (or blank lines) are the footer. */
  endBody(): BodyEnd {
    const end = endOfBody(this.pending, this.blankRun, this.bodyBlankLines, this.stats.neutralised);
    for (const f of end.footerRejects) this.reject(f.line, 'FOOTER', '', f.reason, f.raw);
    return end;
  }

  private onRecord(): void {
    const reader = this.reader;
    const expected = this.expected;
    if (
      reader.problem === RecordProblem.None &&
      reader.count === expected &&
      expected > 1 &&
      !this.suspicious &&
      reader.line >= this.firstDataLine &&
      this.writeFast(reader.sliced)
    ) {
      if (this.pending.length || this.blankRun) this.settle();
      return;
    }
    reader.materialize();
    this.writeGeneral();
  }

  /**
   * The fast way: true when the record was written as a valid row, false (nothing written) when the general way must
   * decide. One cell source for both kinds of record: a plain record's cells are ranges of the decoded text, a quoted
   * record's (`quoted`) are its unquoted field strings, each a text of its own; a column whose output may need quotes
   * cleans a quoted record's cell through `clean`, which quotes.
   */
  private writeFast(quoted: boolean): boolean {
    const reader = this.reader;
    const fields = reader.fields;
    const text = reader.source;
    const starts = reader.starts;
    const ends = reader.ends;
    const trailingField = this.trailingField;
    if (trailingField >= 0 && (quoted ? fields[trailingField] !== '' : starts[trailingField] !== ends[trailingField])) return false;
    const out = this.out;
    const sourceIndex = this.sourceIndex;
    const writers = this.writers;
    const cellStart = this.cellStart;
    const cellEnd = this.cellEnd;
    const columnCount = this.columnCount;
    const rowStart = out.pos;
    const neutralisedBefore = this.stats.neutralised;
    for (let c = 0; c < columnCount; c++) {
      const idx = sourceIndex[c];
      let cell = '';
      let start = 0;
      let end = 0;
      if (idx >= 0) {
        if (quoted) {
          cell = fields[idx];
          end = cell.length;
        } else {
          cell = text;
          start = starts[idx];
          end = ends[idx];
        }
      }
      out.ensure(3 * (end - start) + 16);
      if (c) out.buf[out.pos++] = 44;
      cellStart[c] = out.pos;
      if (!(quoted && this.cleaners[c].mayNeedQuotes ? this.writeCleaned(c, cell) : writers[c](cell, start, end, out))) {
        out.pos = rowStart;
        this.stats.neutralised = neutralisedBefore;
        return false;
      }
      cellEnd[c] = out.pos;
    }
    return this.addKeyAndEnd(rowStart, neutralisedBefore);
  }

  private writeCleaned(c: number, cell: string): boolean {
    const v = this.cleaners[c].clean(cell, this.failure, false);
    if (v === undefined) return false;
    this.out.writeString(v);
    return true;
  }

  /** After a row's cells were written: the duplicate-key check, then the line end; false (row undone) for a duplicate. */
  private addKeyAndEnd(rowStart: number, neutralisedBefore: number): boolean {
    const out = this.out;
    // Only empty values (maybe a line of only delimiters, a blank record): the general way decides.
    if (out.pos - rowStart === this.columnCount - 1) {
      out.pos = rowStart;
      return false;
    }
    const keyIndexes = this.keyIndexes;
    if (keyIndexes.length) {
      let fresh: boolean;
      if (this.integerKey) {
        const k = keyIndexes[0];
        const added = this.keys.addPagedInteger(digitsValue(out.buf, this.cellStart[k], this.cellEnd[k]));
        if (added === -1) {
          const key = this.keyText(k);
          fresh = this.keys.addInteger(+key, key);
        } else fresh = added === 1;
      } else {
        fresh = this.keys.addText(keyIndexes.length === 1 ? this.keyText(keyIndexes[0]) : keyIndexes.map((k) => this.keyText(k)).join('\u0001'));
      }
      if (!fresh) {
        // The general way finds the duplicate again and writes the reject with the key's values.
        out.pos = rowStart;
        this.stats.neutralised = neutralisedBefore;
        return false;
      }
    }
    out.ensure(1);
    out.buf[out.pos++] = 10;
    this.rowsIn++;
    this.rowsValid++;
    return true;
  }

  /** The written text of column k of the row being written. */
  private keyText(k: number): string {
    return (this.out.buf as unknown as Utf8Slicer).utf8Slice(this.cellStart[k], this.cellEnd[k]);
  }

  /** The general way: strings, every rule, every reason; rejects are written here. */
  private writeGeneral(): void {
    const reader = this.reader;
    const line = reader.line;
    if (line < this.firstDataLine) return;
    const count = reader.count;
    const fields = reader.fields;
    const expected = this.expected;
    const trailingField = this.trailingField;
    if (reader.problem === RecordProblem.None && isBlankRecord(fields, count)) {
      this.blankRun += reader.lines;
      return;
    }
    if (reader.problem !== RecordProblem.None) {
      this.rejectQuoting(line);
      return;
    }
    if (count !== expected && !(count === trailingField && count > 0)) {
      this.rejectOrHold(line, 'WRONG_FIELD_COUNT', '', `the record has ${count} field${count === 1 ? '' : 's'}, the header has ${expected}`, count);
      return;
    }
    if (count === expected && trailingField >= 0 && fields[trailingField].trim() !== '') {
      const reason = `the record has a value in field ${expected}, after the last named column (the header ends with a delimiter, so that field must be empty)`;
      this.rejectOrHold(line, 'WRONG_FIELD_COUNT', '', reason, count);
      return;
    }
    if (this.suspicious && this.rejectedForBytes(line)) return;
    const firstBad = this.cleanFields(fields, reader.plain);
    if (firstBad >= 0) {
      this.rejectOrHold(line, this.firstFailureCode, this.cleaners[firstBad].name, this.reasons.join('; '), count);
      return;
    }
    this.settle();
    if (this.keyIndexes.length && !this.addCleanedKey()) {
      const keyNames = this.keyNames;
      const values = this.keyIndexes.map((k) => this.cleaned[k]).join(', ');
      this.reject(
        line,
        'DUPLICATE_KEY',
        keyNames,
        `the key (${keyNames}) = (${values}) appeared in an earlier row of this file; the first row is kept`,
        reader.raw(),
      );
      return;
    }
    this.rowsIn++;
    this.rowsValid++;
    const text = this.cleaned.join(',');
    this.out.writeString(text === '' ? EMPTY_ROW : text);
    this.out.ensure(1);
    this.out.buf[this.out.pos++] = 10;
  }

  private rejectQuoting(line: number): void {
    const reader = this.reader;
    this.settle();
    if (reader.problem === RecordProblem.UnterminatedQuote) {
      this.reject(
        line,
        'UNTERMINATED_QUOTE',
        '',
        `a quoted field opened in this record is never closed; the record runs to the end of the file (${reader.lines} lines)`,
        reader.raw(),
      );
    } else {
      this.reject(
        line,
        'MALFORMED_QUOTE',
        '',
        `a closing quote is followed by other characters instead of a delimiter (${JSON.stringify(this.delimiter)}) or a line end; double quotes inside a quoted field as ""`,
        reader.raw(),
      );
    }
  }

  /** In a file with bad bytes: rejects the record when it holds a NUL or a U+FFFD (true), else false. */
  private rejectedForBytes(line: number): boolean {
    const raw = this.reader.raw();
    const nul = raw.indexOf('\u0000') !== -1;
    if (!nul && raw.indexOf('\uFFFD') === -1) return false;
    this.settle();
    if (nul) this.reject(line, 'NUL_BYTE', '', 'the record contains a NUL byte (binary data in a text file)', raw);
    else
      this.reject(
        line,
        'ENCODING_ERROR',
        '',
        `the record contains bytes that are not valid ${this.encoding} (shown as U+FFFD); re-export the file as UTF-8`,
        raw,
      );
    return true;
  }

  /** Cleans every cell into `cleaned`; returns the first failing column (its code in firstFailureCode, every reason in `reasons`) or -1. */
  private cleanFields(fields: readonly string[], plain: boolean): number {
    const sourceIndex = this.sourceIndex;
    const cleaners = this.cleaners;
    const failure = this.failure;
    const columnCount = this.columnCount;
    let firstBad = -1;
    for (let c = 0; c < columnCount; c++) {
      const idx = sourceIndex[c];
      const v = cleaners[c].clean(idx >= 0 ? fields[idx] : '', failure, plain);
      if (v === undefined) {
        if (firstBad < 0) {
          firstBad = c;
          this.reasons.length = 0;
          this.firstFailureCode = failure.code;
        }
        this.reasons.push(failure.reason);
        continue;
      }
      this.cleaned[c] = v;
    }
    return firstBad;
  }

  /** Adds the cleaned row's key to the key set: false when an earlier row had it. */
  private addCleanedKey(): boolean {
    const cleaned = this.cleaned;
    const keyIndexes = this.keyIndexes;
    if (this.integerKey) return this.keys.addInteger(+cleaned[keyIndexes[0]], cleaned[keyIndexes[0]]);
    return this.keys.addText(keyIndexes.length === 1 ? cleaned[keyIndexes[0]] : keyIndexes.map((k) => cleaned[k]).join('\u0001'));
  }

  private reject(line: number, code: string, column: string, reason: string, raw: string): void {
    this.rowsIn++;
    this.rowsRejected++;
    this.rejectedByReason.set(code, (this.rejectedByReason.get(code) ?? 0) + 1);
    this.rejectsOut += rejectLine({ source_file: this.options.source, line, reason_code: code, column_name: column, reason, raw_record: raw });
  }

  /** Rejects a record, or holds it back as a possible footer when it looks like one (decided by what follows). */
  private rejectOrHold(line: number, code: string, column: string, reason: string, count: number): void {
    const reader = this.reader;
    const evidence = footerEvidence(reader.fields, count, this.expected, this.typeChecks);
    if (evidence === undefined) {
      this.settle();
      this.reject(line, code, column, reason, reader.raw());
      return;
    }
    this.pending.push({ line, raw: reader.raw(), blanksBefore: this.blankRun, code, column, reason, evidence });
    this.blankRun = 0;
    if (this.pending.length > MAX_FOOTER_RECORDS) this.rejectHeld(this.pending.shift()!);
  }

  /** A record that is data arrived: what was held is rejected with its own reason, and the blank lines are between rows. */
  private settle(): void {
    this.settled = true;
    if (this.pending.length) {
      for (const p of this.pending) this.rejectHeld(p);
      this.pending.length = 0;
    }
    if (this.blankRun) {
      this.bodyBlankLines += this.blankRun;
      this.blankRun = 0;
    }
  }

  private rejectHeld(p: PendingRecord): void {
    this.bodyBlankLines += p.blanksBefore;
    this.reject(p.line, p.code, p.column, p.reason, p.raw);
  }
}

/** The value of bytes[start..end) when they are 1 to 15 ASCII digits, else NaN (which addPagedInteger declines). */
function digitsValue(bytes: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return NaN;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = bytes[i] - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** Buffer's undocumented but stable UTF-8 slice (Buffer#toString without the argument checks). */
interface Utf8Slicer {
  utf8Slice(start: number, end: number): string;
}
