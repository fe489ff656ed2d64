// The preprocessing core: streams one raw CSV file into valid rows, rejected rows and a report, with no AWS calls.
import type { Writable } from 'stream';
import { finished } from 'stream/promises';
import type { DatasetConfig, PipelineConfig } from '../../config/schema';
import type { ColumnReport, PreprocessReport, ReadChoices } from './report';
import { createDecoder, DecodingErrors, detectEncoding } from './encoding';
import { detectDialect, MAX_PREAMBLE_LINES } from './dialect';
import { MAX_RECORD_CHARS, readAll, RecordProblem, RecordReader, RecordTooLargeError } from './reader';
import { datasetNameMatches, HeaderPlan, planByPosition, planForDataset, planInferred } from './header';
import { detectHeader, HeaderDecision } from './header-detect';
import { CellFailure, ColumnCleaner, compileColumn } from './validate';
import { csvLine } from './csv-text';
import { rejectLine } from './rejects-jsonl';
import { DuplicateKeys } from './keyset';
import { footerEvidence, isBlankRecord, TypeChecks, withoutFooter } from './footer';
import { decideDecimals } from './decimals';
import { ByteOut } from './byte-out';
import type { BlockRun } from './blocks';
import { endOfBody, PendingRecord } from './body-end';

export interface PreprocessOptions {
  readonly config: PipelineConfig;
  /** undefined: inferred mode (no dataset config). */
  readonly dataset?: DatasetConfig;
  /** S3 key or local path; goes into rejects' source_file and the report. */
  readonly source: string;
  /** When known: over config.ingest.maxFileSizeMb the file is quarantined unread. */
  readonly sizeBytes?: number;
  /** Worker threads (local/parallel-preprocess.ts): decide on the sample, then read only this block of the file. */
  readonly block?: BlockRun;
}

export interface PreprocessSinks {
  /** Valid rows: RFC 4180 CSV, UTF-8, comma, header first. */
  readonly valid: Writable;
  /** Rejected rows: JSON Lines, one object per row with REJECT_COLUMNS' keys (see rejects-jsonl.ts); nothing for no rejected row. */
  readonly rejects: Writable;
}

/** Bytes read before deciding the encoding and dialect. */
export const SAMPLE_BYTES = 64 * 1024;
/** When the first SAMPLE_BYTES hold too few lines for a preamble, the header and a row (a wide export), the sample grows up to this. */
export const MAX_HEADER_BYTES = 1024 * 1024;
/** Input is decoded and parsed in slices of at most this many bytes. */
const SLICE_BYTES = 64 * 1024;
/** Data rows of the sample used to infer types in inferred mode. */
export const INFER_ROWS = 1000;
/** Trailing records that look like a footer (see footer.ts) rejected as FOOTER instead of with their own reason. */
export const MAX_FOOTER_RECORDS = 5;
/** Output is written to the sinks in batches of about this many characters. */
const BATCH_CHARS = 256 * 1024;
/**
 * Output a sink may hold queued before the core waits for it to drain. A sink's own highWaterMark (16 KiB for a
 * file stream) is smaller than one batch: waiting for each batch to be written would leave the CPU idle during
 * every write, so the core goes on working while up to this much is being written.
 */
const QUEUED_BYTES = 1024 * 1024;
/** Valid rows are written to their sink in batches of about this many bytes. */
const VALID_BATCH_BYTES = 128 * 1024;

class Quarantine {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {}
}

/**
 * Streams the input once in constant memory; ends both sinks; never throws for bad data (a file that cannot be
 * read comes back as outcome "quarantined" with fileError {code, reason}); throws only on I/O errors of the input
 * or the sinks. When the outcome is "quarantined" the caller discards what the sinks received.
 */
export async function preprocess(input: AsyncIterable<Uint8Array>, sinks: PreprocessSinks, options: PreprocessOptions): Promise<PreprocessReport> {
  const started = performance.now();
  const { config, dataset, source } = options;
  const limitBytes = config.ingest.maxFileSizeMb * 1024 * 1024;
  const base = { source, dataset: dataset ? dataset.name : null };
  let bytesIn = 0;
  let read: ReadChoices | undefined;
  let columnsReport: ColumnReport[] | undefined;
  const notes: string[] = [];

  const quarantined = async (q: Quarantine): Promise<PreprocessReport> => {
    await endSinks(sinks);
    return {
      ...base,
      outcome: 'quarantined',
      fileError: { code: q.code, reason: q.reason },
      ...(read ? { read } : {}),
      ...(columnsReport ? { columns: columnsReport } : {}),
      rowsIn: 0,
      rowsValid: 0,
      rowsRejected: 0,
      rejectedByReason: {},
      notes,
      bytesIn,
      durationMs: Math.round(performance.now() - started),
    };
  };
  const tooLarge = (size: number, known: boolean) =>
    new Quarantine(
      'FILE_TOO_LARGE',
      `the file is ${known ? '' : 'over '}${(size / 1048576).toFixed(1)} MB, over the limit of ${config.ingest.maxFileSizeMb} MB (ingest.maxFileSizeMb); split it or raise the limit`,
    );

  if (options.sizeBytes !== undefined && options.sizeBytes > limitBytes) {
    bytesIn = 0;
    return quarantined(tooLarge(options.sizeBytes, true));
  }

  let iterator = input[Symbol.asyncIterator]();
  let done = false;
  const stopReading = async () => {
    if (!done && iterator.return) await iterator.return();
    done = true;
  };

  // 1. Sample: the first bytes decide the encoding, the dialect, the header and (inferred mode) the types.
  const sampleChunks: Uint8Array[] = [];
  // A header longer than the sample is read whole: past SAMPLE_BYTES, the sample grows until it holds the preamble
  // lines, the header and a row (or MAX_HEADER_BYTES).
  const lineEnds = { lf: 0, cr: 0 };
  while (bytesIn < SAMPLE_BYTES || (bytesIn < MAX_HEADER_BYTES && Math.max(lineEnds.lf, lineEnds.cr) < MAX_PREAMBLE_LINES + 2)) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    sampleChunks.push(next.value);
    countLineEnds(next.value, lineEnds);
    bytesIn += next.value.length;
  }
  if (bytesIn > limitBytes) {
    await stopReading();
    return quarantined(tooLarge(bytesIn, false));
  }
  if (bytesIn === 0) return quarantined(new Quarantine('EMPTY_FILE', 'the file is empty (0 bytes); upload a CSV file with a header row'));
  const sample = Buffer.concat(sampleChunks);
  const encoding = detectEncoding(sample, done);
  if (!encoding.ok) {
    await stopReading();
    return quarantined(new Quarantine(encoding.code, encoding.reason));
  }
  const decoder = createDecoder(encoding.choice);
  // A block's bytes get a fresh decoder: the sample is decoded by another one.
  const sampleText = (options.block ? createDecoder(encoding.choice) : decoder).decode(sample, { stream: !done });
  if (done && sampleText.trim() === '') {
    return quarantined(new Quarantine('EMPTY_FILE', `the file has ${bytesIn} bytes but no header row (only blank lines or spaces); upload a CSV file with a header row`));
  }
  const guess = detectDialect(sampleText, done);
  const dialect = guess.dialect;
  const sampleRecords = readAll(sampleText, dialect, done);
  const headerRecord = sampleRecords.find((r) => r.line === guess.headerLine);
  if (!headerRecord) {
    // Only an unfinished sample can lack its header record: the header runs on past what was read.
    await stopReading();
    return quarantined(
      new Quarantine(
        'HEADER_TOO_LONG',
        `the header does not end within the first ${bytesIn} bytes (a header may be up to ${MAX_HEADER_BYTES / 1024} KiB long, and a quote in it must close); check the header's line ends and quotes, or split the columns into files with shorter headers`,
      ),
    );
  }
  const detected = detectHeader(sampleRecords, guess.columns, {
    setting: dataset?.header ?? 'auto',
    decimalComma: dialect.delimiter !== ',',
    ...(dataset ? { datasetMatches: (cells: readonly string[]) => datasetNameMatches(dataset, cells) } : {}),
  });
  if (!detected) {
    await stopReading();
    return quarantined(new Quarantine('EMPTY_FILE', `no header row found in the first ${bytesIn} bytes; the file is not CSV text`));
  }
  const header = detected.names;
  const firstDataLine = detected.firstDataLine;
  const absent = detected.kind === 'absent';
  // A data record's fields: the header's, plus the empty one after a trailing delimiter (which must stay empty).
  const expected = absent ? detected.width : header.length + (detected.trailingDelimiter ? 1 : 0);
  const trailingField = detected.trailingDelimiter ? expected - 1 : -1;
  const preambleLines = (detected.headerLines[0] ?? firstDataLine) - 1;
  read = {
    encoding: encoding.choice.encoding,
    encodingConfidence: encoding.choice.confidence,
    delimiter: dialect.delimiter,
    spaceAfterDelimiter: dialect.spaceAfterDelimiter === true,
    quote: dialect.quote,
    lineEnding: dialect.lineEnding,
    preambleLines,
    header,
    headerKind: detected.kind,
    headerLines: detected.headerLines,
    trailingDelimiter: detected.trailingDelimiter,
    footerLines: 0,
    evidence: { encoding: encoding.choice.evidence, dialect: guess.evidence, header: detected.evidence },
  };
  if (preambleLines) notes.push(`${preambleLines} preamble line${preambleLines > 1 ? 's' : ''} above the ${absent ? 'first row' : 'header'} skipped: ${detected.preamble.map((r) => JSON.stringify(r.raw.slice(0, 80))).join(', ')}`);
  if (detected.kind !== 'present' || detected.trailingDelimiter) notes.push(detected.evidence);

  // 2. Columns: matched against the dataset, or inferred from the sample.
  // The sample's rows, without a footer at the end of a file read whole: the evidence for inferred types and decimal conventions.
  const sampleRows = withoutFooter(sampleRecords.filter((r) => r.line >= firstDataLine && r.problem === RecordProblem.None), expected, done, MAX_FOOTER_RECORDS)
    .filter((r) => r.fields.length === expected)
    .slice(0, INFER_ROWS)
    .map((r) => r.fields);
  const plan = planColumns(detected, expected, dataset, () => sampleRows, dialect.delimiter);
  if (!plan.ok) {
    await stopReading();
    return quarantined(new Quarantine(plan.code, plan.reason));
  }
  notes.push(...plan.notes);
  // One decimal convention per decimal column, decided on the sample and reported with its evidence.
  const decimals = decideDecimals(plan.columns, sampleRows, dialect.delimiter);
  columnsReport = plan.columns.map((c) => (decimals[c.spec.name] ? { ...c.report, decimal: decimals[c.spec.name] } : c.report));
  const stats = { neutralised: 0 };
  const cleanOptions = { neutraliseFormulas: config.ingest.neutraliseFormulas, delimiter: dialect.delimiter, quote: dialect.quote, stats, decimals };
  const cleaners: ColumnCleaner[] = plan.columns.map((c) => compileColumn(c.spec, cleanOptions));
  const sourceIndex = Int32Array.from(plan.columns.map((c) => c.sourceIndex));
  const columnCount = cleaners.length;
  const keyIndexes = (dataset?.key ?? []).map((k) => plan.columns.findIndex((c) => c.spec.name === k));
  const integerKey = keyIndexes.length === 1 && cleaners[keyIndexes[0]].type === 'integer';
  const keyNames = dataset?.key.join(', ') ?? '';
  const keys = options.block?.keys ?? new DuplicateKeys();

  // 3. Stream every record through the cleaners.
  // Valid rows are written as UTF-8 straight into a batch buffer: a plain record's cells are checked and copied
  // from the decoded text by each column's `write` (no strings); other records, and rows that fail, take the
  // general way through `clean` (strings), which also gives the reasons. Both write the same bytes.
  const out = new ByteOut(VALID_BATCH_BYTES + 64 * 1024);
  if (!options.block || options.block.firstLine === 1) out.writeString(csvLine(plan.columns.map((c) => c.spec.name)) + '\n');
  const cellStart = new Int32Array(columnCount);
  const cellEnd = new Int32Array(columnCount);
  const keyText = (k: number): string => (out.buf as unknown as Utf8Slicer).utf8Slice(cellStart[k], cellEnd[k]);
  // Rejected rows keep every string exactly as read (raw_record is the evidence): JSON Lines, not a spreadsheet format.
  let rejectsOut = '';
  let rowsIn = 0;
  let rowsValid = 0;
  let rowsRejected = 0;
  const rejectedByReason = new Map<string, number>();
  let blankRun = 0;
  let bodyBlankLines = 0;
  let suspicious = false;
  const pending: PendingRecord[] = [];
  const failure: CellFailure = { code: '', reason: '' };
  const cleaned: string[] = new Array(columnCount).fill('');
  const reasons: string[] = [];

  const reject = (line: number, code: string, column: string, reason: string, raw: string) => {
    rowsIn++;
    rowsRejected++;
    rejectedByReason.set(code, (rejectedByReason.get(code) ?? 0) + 1);
    rejectsOut += rejectLine({ source_file: source, line, reason_code: code, column_name: column, reason, raw_record: raw });
  };
  const wrongCountReason = (count: number) => `the record has ${count} field${count === 1 ? '' : 's'}, the header has ${expected}`;
  /** Records that looked like a footer but are followed by more: rejected with their own reason. */
  const flushPending = () => {
    for (const p of pending) {
      bodyBlankLines += p.blanksBefore;
      reject(p.line, p.code, p.column, p.reason, p.raw);
    }
    pending.length = 0;
  };
  /** A record that is data (valid or rejected with its own reason) arrived: what was pending was not a footer. */
  let settled = false;
  const settle = () => {
    settled = true;
    if (pending.length) flushPending();
    if (blankRun) {
      bodyBlankLines += blankRun;
      blankRun = 0;
    }
  };
  // The footer check runs only on records that would be rejected; the columns' types are its evidence.
  const typeChecks: (((v: string) => boolean) | undefined)[] = [];
  const checkFailure: CellFailure = { code: '', reason: '' };
  plan.columns.forEach((c, i) => {
    if (c.sourceIndex >= 0 && c.spec.type !== 'string') typeChecks[c.sourceIndex] = (v) => cleaners[i].clean(v, checkFailure, false) !== undefined;
  });
  /** Rejects a record, or holds it back as a possible footer when it looks like one (decided by what follows). */
  const rejectOrHold = (line: number, code: string, column: string, reason: string, count: number) => {
    const evidence = footerEvidence(reader.fields, count, expected, typeChecks as TypeChecks);
    if (evidence === undefined) {
      settle();
      return reject(line, code, column, reason, reader.raw());
    }
    pending.push({ line, raw: reader.raw(), blanksBefore: blankRun, code, column, reason, evidence });
    blankRun = 0;
    if (pending.length > MAX_FOOTER_RECORDS) {
      const first = pending.shift()!;
      bodyBlankLines += first.blanksBefore;
      reject(first.line, first.code, first.column, first.reason, first.raw);
    }
  };

  /** After a row's cells were written: the duplicate-key check, then the line end; false (row undone) for a duplicate. */
  const addKeyAndEnd = (rowStart: number, neutralisedBefore: number): boolean => {
    // Only empty values (maybe a line of only delimiters, a blank record): the general way decides.
    if (out.pos - rowStart === columnCount - 1) {
      out.pos = rowStart;
      return false;
    }
    if (keyIndexes.length) {
      let fresh: boolean;
      if (integerKey) {
        const added = keys.addPagedInteger(digitsValue(out.buf, cellStart[keyIndexes[0]], cellEnd[keyIndexes[0]]));
        if (added === -1) {
          const k = keyText(keyIndexes[0]);
          fresh = keys.addInteger(+k, k);
        } else fresh = added === 1;
      } else {
        fresh = keys.addText(keyIndexes.length === 1 ? keyText(keyIndexes[0]) : keyIndexes.map(keyText).join('\u0001'));
      }
      if (!fresh) {
        // The general way finds the duplicate again and writes the reject with the key's values.
        out.pos = rowStart;
        stats.neutralised = neutralisedBefore;
        return false;
      }
    }
    out.ensure(1);
    out.buf[out.pos++] = 10;
    rowsIn++;
    rowsValid++;
    return true;
  };

  /** The fast way for a plain record with the header's field count: true when written as a valid row. */
  const writeRow = (): boolean => {
    const text = reader.source;
    const starts = reader.starts;
    const ends = reader.ends;
    if (trailingField >= 0 && starts[trailingField] !== ends[trailingField]) return false;
    const rowStart = out.pos;
    const neutralisedBefore = stats.neutralised;
    for (let c = 0; c < columnCount; c++) {
      const idx = sourceIndex[c];
      const s = idx >= 0 ? starts[idx] : 0;
      const e = idx >= 0 ? ends[idx] : 0;
      out.ensure(3 * (e - s) + 16);
      if (c) out.buf[out.pos++] = 44;
      cellStart[c] = out.pos;
      if (!writers[c](idx >= 0 ? text : '', s, e, out)) {
        out.pos = rowStart;
        stats.neutralised = neutralisedBefore;
        return false;
      }
      cellEnd[c] = out.pos;
    }
    return addKeyAndEnd(rowStart, neutralisedBefore);
  };

  /** The fast way for a record with quotes (its fields already unquoted strings): true when written as a valid row. */
  const writeQuotedRow = (): boolean => {
    const fields = reader.fields;
    if (trailingField >= 0 && fields[trailingField] !== '') return false;
    const rowStart = out.pos;
    const neutralisedBefore = stats.neutralised;
    for (let c = 0; c < columnCount; c++) {
      const idx = sourceIndex[c];
      const raw = idx >= 0 ? fields[idx] : '';
      out.ensure(3 * raw.length + 16);
      if (c) out.buf[out.pos++] = 44;
      cellStart[c] = out.pos;
      let ok: boolean;
      if (cleaners[c].mayNeedQuotes) {
        const v = cleaners[c].clean(raw, failure, false);
        ok = v !== undefined;
        if (ok) out.writeString(v!);
      } else ok = writers[c](raw, 0, raw.length, out);
      if (!ok) {
        out.pos = rowStart;
        stats.neutralised = neutralisedBefore;
        return false;
      }
      cellEnd[c] = out.pos;
    }
    return addKeyAndEnd(rowStart, neutralisedBefore);
  };

  const onRecord = () => {
    if (!reader.sliced) {
      if (reader.count === expected && expected > 1 && !suspicious && reader.line >= firstDataLine && writeRow()) {
        if (pending.length || blankRun) settle();
        return;
      }
      reader.materialize();
    } else if (reader.problem === RecordProblem.None && reader.count === expected && expected > 1 && !suspicious && reader.line >= firstDataLine && writeQuotedRow()) {
      if (pending.length || blankRun) settle();
      return;
    }
    const line = reader.line;
    if (line < firstDataLine) return;
    const count = reader.count;
    const fields = reader.fields;
    if (reader.problem === RecordProblem.None && isBlankRecord(fields, count)) {
      blankRun += reader.lines;
      return;
    }
    if (reader.problem !== RecordProblem.None) {
      settle();
      if (reader.problem === RecordProblem.UnterminatedQuote) {
        reject(line, 'UNTERMINATED_QUOTE', '', `a quoted field opened in this record is never closed; the record runs to the end of the file (${reader.lines} lines)`, reader.raw());
      } else {
        reject(line, 'MALFORMED_QUOTE', '', `a closing quote is followed by other characters instead of a delimiter (${JSON.stringify(dialect.delimiter)}) or a line end; double quotes inside a quoted field as ""`, reader.raw());
      }
      return;
    }
    if (count !== expected && !(count === trailingField && count > 0)) return rejectOrHold(line, 'WRONG_FIELD_COUNT', '', wrongCountReason(count), count);
    if (count === expected && trailingField >= 0 && fields[trailingField].trim() !== '') {
      return rejectOrHold(line, 'WRONG_FIELD_COUNT', '', `the record has a value in field ${expected}, after the last named column (the header ends with a delimiter, so that field must be empty)`, count);
    }
    if (suspicious) {
      const raw = reader.raw();
      if (raw.indexOf('\u0000') !== -1 || raw.indexOf('\uFFFD') !== -1) settle();
      if (raw.indexOf('\u0000') !== -1) return reject(line, 'NUL_BYTE', '', 'the record contains a NUL byte (binary data in a text file)', raw);
      if (raw.indexOf('\uFFFD') !== -1) {
        return reject(line, 'ENCODING_ERROR', '', `the record contains bytes that are not valid ${encoding.choice.encoding} (shown as U+FFFD); re-export the file as UTF-8`, raw);
      }
    }
    let firstBad = -1;
    const plain = reader.plain;
    for (let c = 0; c < columnCount; c++) {
      const idx = sourceIndex[c];
      const v = cleaners[c].clean(idx >= 0 ? fields[idx] : '', failure, plain);
      if (v === undefined) {
        if (firstBad < 0) {
          firstBad = c;
          reasons.length = 0;
          cleaned[0] = failure.code;
        }
        reasons.push(failure.reason);
        continue;
      }
      cleaned[c] = v;
    }
    if (firstBad >= 0) return rejectOrHold(line, cleaned[0], cleaners[firstBad].name, reasons.join('; '), count);
    settle();
    if (keyIndexes.length) {
      const fresh = integerKey
        ? keys.addInteger(+cleaned[keyIndexes[0]], cleaned[keyIndexes[0]])
        : keys.addText(keyIndexes.length === 1 ? cleaned[keyIndexes[0]] : keyIndexes.map((k) => cleaned[k]).join('\u0001'));
      if (!fresh) {
        return reject(line, 'DUPLICATE_KEY', keyNames, `the key (${keyNames}) = (${keyIndexes.map((k) => cleaned[k]).join(', ')}) appeared in an earlier row of this file; the first row is kept`, reader.raw());
      }
    }
    rowsIn++;
    rowsValid++;
    out.writeString(cleaned.join(','));
    out.ensure(1);
    out.buf[out.pos++] = 10;
  };
  const writers = cleaners.map((c) => c.write);
  const reader: RecordReader = new RecordReader(dialect, onRecord, MAX_RECORD_CHARS, true);

  const flush = async (force: boolean) => {
    if (out.pos >= VALID_BATCH_BYTES || (force && out.pos)) {
      if (!sinks.valid.write(out.take()) && sinks.valid.writableLength >= QUEUED_BYTES) await drained(sinks.valid);
    }
    if (rejectsOut.length >= BATCH_CHARS || (force && rejectsOut.length)) {
      const text = rejectsOut;
      rejectsOut = '';
      if (!sinks.rejects.write(text) && sinks.rejects.writableLength >= QUEUED_BYTES) await drained(sinks.rejects);
    }
  };
  // Rows are checked for NUL and U+FFFD only once a chunk had one that the bytes did not spell literally.
  const decodingErrors = new DecodingErrors(encoding.choice.encoding);
  const push = (text: string, bytes: Uint8Array) => {
    if (!suspicious && (decodingErrors.found(text, bytes) || text.indexOf('\u0000') !== -1)) suspicious = true;
    reader.push(text);
  };

  // Single-byte and UTF-8 text can be cut after a line-end byte without splitting a character.
  const alignLines = encoding.choice.encoding === 'utf-8' || encoding.choice.encoding === 'utf-8-bom' || encoding.choice.encoding === 'windows-1252';
  const lineByte = dialect.lineEnding === 'CR' ? 13 : 10;
  let carry: Uint8Array = EMPTY;
  const pushBytes = (bytes: Uint8Array) => push(decoder.decode(bytes, { stream: true }), bytes);
  try {
    if (!options.block) push(sampleText, sample);
    else {
      // A block: the sample served the decisions; the records are the block's.
      await stopReading();
      iterator = options.block.bytes[Symbol.asyncIterator]();
      done = false;
      reader.startAt(options.block.firstLine);
    }
    await flush(false);
    while (!done) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      bytesIn += next.value.length;
      if (bytesIn > limitBytes) {
        await stopReading();
        return quarantined(tooLarge(bytesIn, false));
      }
      // Big input chunks are worked through in slices, so memory does not depend on the caller's chunk size.
      const chunk = next.value;
      for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
        const slice = chunk.length <= SLICE_BYTES ? chunk : chunk.subarray(offset, offset + SLICE_BYTES);
        // Each piece decoded ends at a line end where it can (the bytes after the last one wait for the next slice),
        // so the tokenizer rarely joins a leftover to new text and works on flat strings; only the short line
        // across two slices is copied.
        if (!alignLines) {
          pushBytes(slice);
        } else {
          const last = slice.lastIndexOf(lineByte);
          if (last === -1) {
            carry = carry.length ? Buffer.concat([carry, slice]) : Buffer.from(slice);
            if (carry.length >= SLICE_BYTES) {
              pushBytes(carry);
              carry = EMPTY;
            }
          } else {
            let from = 0;
            if (carry.length) {
              from = slice.indexOf(lineByte) + 1;
              pushBytes(Buffer.concat([carry, slice.subarray(0, from)]));
            }
            if (last + 1 > from) pushBytes(from === 0 && last + 1 === slice.length ? slice : slice.subarray(from, last + 1));
            carry = last + 1 < slice.length ? Buffer.from(slice.subarray(last + 1)) : EMPTY;
          }
        }
        await flush(false);
      }
    }
    if (carry.length) pushBytes(carry);
    const tail = decoder.decode();
    if (tail) push(tail, new Uint8Array(0));
    reader.end();
  } catch (err) {
    if (err instanceof RecordTooLargeError) {
      await stopReading();
      return quarantined(new Quarantine('RECORD_TOO_LARGE', `${err.message}; check the quoting of that line, or split the file`));
    }
    throw err;
  }

  if (options.block) {
    const state = { pending: pending.splice(0), blankRun, bodyBlankLines, settled: settled || rowsValid > 0, suspicious, lineAfter: reader.lineAfter() };
    options.block.ended({ ...state, firstDataLine, neutralised: stats.neutralised, notes: notes.slice() });
    blankRun = 0;
  }
  // 4. Records that look like a footer and are followed only by others (or blank lines) are the footer: rejected as FOOTER.
  const end = endOfBody(pending, blankRun, bodyBlankLines, stats.neutralised);
  for (const f of end.footerRejects) reject(f.line, 'FOOTER', '', f.reason, f.raw);
  notes.push(...end.notes);
  read = { ...read, footerLines: end.footerLines };
  await flush(true);
  await endSinks(sinks);
  return {
    ...base,
    outcome: 'processed',
    read,
    columns: columnsReport,
    rowsIn,
    rowsValid,
    rowsRejected,
    rejectedByReason: Object.fromEntries([...rejectedByReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    notes,
    bytesIn,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * The output columns for the header found: matched to the dataset (by name; by position for "header": "absent"; a
 * file without a header for a dataset that expects one is quarantined), or inferred (names column_1... when absent).
 */
function planColumns(detected: HeaderDecision, expected: number, dataset: DatasetConfig | undefined, sampleRows: () => string[][], delimiter: string): HeaderPlan {
  const width = expected - (detected.trailingDelimiter ? 1 : 0);
  if (!dataset) {
    const names = detected.kind === 'absent' ? Array.from({ length: width }, (_v, j) => `column_${j + 1}`) : detected.names;
    return planInferred(names, sampleRows(), delimiter);
  }
  if (detected.kind === 'absent') {
    if (dataset.header === 'absent') return planByPosition(dataset, width);
    return {
      ok: false,
      code: 'HEADER_MISMATCH',
      reason: `the file has no header row: ${detected.evidence.replace(/^no header: /, '')}; add the header row, or, if the files of dataset "${dataset.name}" have none, set "header": "absent" in its config to map the fields by position`,
    };
  }
  const plan = planForDataset(dataset, detected.names);
  if (plan.ok || !detected.lowerNames) return plan;
  // A two-line header whose joined names do not match: the names line alone may.
  const lower = planForDataset(dataset, detected.lowerNames);
  return lower.ok ? { ...lower, notes: [`the dataset's columns match the header's second line alone (${detected.lowerNames.map((n) => JSON.stringify(n)).join(', ')}); the titles above are not part of the names`, ...lower.notes] } : plan;
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

const EMPTY = new Uint8Array(0);

/** Adds the LF and CR bytes of `bytes` to `counts` (for the sample's size; UTF-16 line ends hold one such byte too). */
function countLineEnds(bytes: Uint8Array, counts: { lf: number; cr: number }): void {
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) counts.lf++;
  for (let i = bytes.indexOf(13); i !== -1; i = bytes.indexOf(13, i + 1)) counts.cr++;
}

/** Waits until a sink takes more data; a sink that errors or closes first fails the run (an I/O error). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (err: Error) => done(err);
    const onClose = () => done(new Error('an output stream closed before the preprocessing finished writing to it'));
    stream.on('drain', onDrain);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

async function endSinks(sinks: PreprocessSinks): Promise<void> {
  const ends = [sinks.valid, sinks.rejects].map((s) => {
    if (s.writableFinished) return Promise.resolve();
    const done = finished(s, { readable: false });
    if (!s.writableEnded) s.end();
    return done;
  });
  await Promise.all(ends);
}
