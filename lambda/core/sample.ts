// Reads the first bytes of a file and decides on them what holds for all of it: the encoding, the dialect and the
// header, with the evidence for each (the report's `read`).
import type { DatasetConfig } from '../../config/schema';
import type { ReadChoices } from './report';
import { type ChunkDecoder, createDecoder, detectEncoding, type EncodingChoice } from './encoding';
import { detectDialect, type DialectGuess, MAX_PREAMBLE_LINES } from './dialect';
import { type Dialect, readAll } from './reader';
import { datasetNameMatches } from './header';
import { detectHeader, type HeaderDecision } from './header-detect';
import { Quarantine } from './build-report';
import type { InputBytes } from './input';

/** Bytes read before deciding the encoding and dialect. */
export const SAMPLE_BYTES = 64 * 1024;
/** When the first SAMPLE_BYTES hold too few lines for a preamble, the header and a row (a wide export), the sample grows up to this. */
export const MAX_HEADER_BYTES = 1024 * 1024;

export type SampleRecords = ReturnType<typeof readAll>;

/** What a data record looks like: decided on the sample, checked on every record. */
export interface RecordShape {
  /** A data record's fields: the header's, plus the empty one after a trailing delimiter (which must stay empty). */
  readonly expected: number;
  /** The field after a trailing delimiter, or -1. */
  readonly trailingField: number;
  /** Records starting before this line are preamble or header. */
  readonly firstDataLine: number;
}

export interface SampleDecisions {
  readonly sample: Buffer;
  /** The sample decoded (by a decoder of its own for a block). */
  readonly sampleText: string;
  /** True when the sample is the whole file. */
  readonly complete: boolean;
  readonly encoding: EncodingChoice;
  /** The decoder of the rest of the input. */
  readonly decoder: ChunkDecoder;
  readonly dialect: Dialect;
  readonly records: SampleRecords;
  readonly header: HeaderDecision;
  readonly shape: RecordShape;
  readonly read: ReadChoices;
  /** Notes on the preamble and the header, for the report. */
  readonly notes: readonly string[];
}

/**
 * Reads until the sample holds SAMPLE_BYTES; a header longer than that is read whole: the sample grows until it
 * holds the preamble lines, the header and a row (or MAX_HEADER_BYTES).
 */
export async function readSample(input: InputBytes): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const lineEnds = { lf: 0, cr: 0 };
  while (input.bytesIn < SAMPLE_BYTES || (input.bytesIn < MAX_HEADER_BYTES && Math.max(lineEnds.lf, lineEnds.cr) < MAX_PREAMBLE_LINES + 2)) {
    const chunk = await input.next();
    if (chunk === undefined) break;
    chunks.push(chunk);
    countLineEnds(chunk, lineEnds);
  }
  return Buffer.concat(chunks);
}

/** Adds the LF and CR bytes of `bytes` to `counts` (for the sample's size; UTF-16 line ends hold one such byte too). */
function countLineEnds(bytes: Uint8Array, counts: { lf: number; cr: number }): void {
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) counts.lf++;
  for (let i = bytes.indexOf(13); i !== -1; i = bytes.indexOf(13, i + 1)) counts.cr++;
}

/** The encoding, dialect and header of a non-empty sample (`complete`: it is the whole file), or why the file cannot be read. */
export function decideOnSample(sample: Buffer, complete: boolean, dataset: DatasetConfig | undefined, forBlock: boolean): SampleDecisions | Quarantine {
  const size = sample.length;
  const verdict = detectEncoding(sample, complete);
  if (!verdict.ok) return new Quarantine(verdict.code, verdict.reason);
  const encoding = verdict.choice;
  const decoder = createDecoder(encoding);
  // A block's bytes get a fresh decoder: the sample is decoded by another one.
  const sampleText = (forBlock ? createDecoder(encoding) : decoder).decode(sample, { stream: !complete });
  if (complete && sampleText.trim() === '') {
    return new Quarantine('EMPTY_FILE', `the file has ${size} bytes but no header row (only blank lines or spaces); upload a CSV file with a header row`);
  }
  const guess = detectDialect(sampleText, complete);
  const dialect = guess.dialect;
  const records = readAll(sampleText, dialect, complete);
  if (!records.some((r) => r.line === guess.headerLine)) {
    // Only an unfinished sample can lack its header record: the header runs on past what was read.
    return new Quarantine(
      'HEADER_TOO_LONG',
      `the header does not end within the first ${size} bytes (a header may be up to ${MAX_HEADER_BYTES / 1024} KiB long, and a quote in it must close); check the header's line ends and quotes, or split the columns into files with shorter headers`,
    );
  }
  const header = detectHeader(records, guess.columns, {
    setting: dataset?.header ?? 'auto',
    decimalComma: dialect.delimiter !== ',',
    ...(dataset ? { datasetMatches: (cells: readonly string[]) => datasetNameMatches(dataset, cells) } : {}),
  });
  if (!header) return new Quarantine('EMPTY_FILE', `no header row found in the first ${size} bytes; the file is not CSV text`);
  const absent = header.kind === 'absent';
  const expected = absent ? header.width : header.names.length + (header.trailingDelimiter ? 1 : 0);
  const shape: RecordShape = { expected, trailingField: header.trailingDelimiter ? expected - 1 : -1, firstDataLine: header.firstDataLine };
  const preambleLines = (header.headerLines[0] ?? header.firstDataLine) - 1;
  const read = readChoices(encoding, guess, header, preambleLines);
  return { sample, sampleText, complete, encoding, decoder, dialect, records, header, shape, read, notes: headerNotes(header, preambleLines) };
}

function readChoices(encoding: EncodingChoice, guess: DialectGuess, header: HeaderDecision, preambleLines: number): ReadChoices {
  const dialect = guess.dialect;
  return {
    encoding: encoding.encoding,
    encodingConfidence: encoding.confidence,
    delimiter: dialect.delimiter,
    spaceAfterDelimiter: dialect.spaceAfterDelimiter === true,
    quote: dialect.quote,
    lineEnding: dialect.lineEnding,
    preambleLines,
    header: header.names,
    headerKind: header.kind,
    headerLines: header.headerLines,
    trailingDelimiter: header.trailingDelimiter,
    footerLines: 0,
    evidence: { encoding: encoding.evidence, dialect: guess.evidence, header: header.evidence },
  };
}

function headerNotes(header: HeaderDecision, preambleLines: number): string[] {
  const notes: string[] = [];
  const above = header.kind === 'absent' ? 'first row' : 'header';
  if (preambleLines) {
    const shown = header.preamble.map((r) => JSON.stringify(r.raw.slice(0, 80))).join(', ');
    notes.push(`${preambleLines} preamble line${preambleLines > 1 ? 's' : ''} above the ${above} skipped: ${shown}`);
  }
  if (header.kind !== 'present' || header.trailingDelimiter) notes.push(header.evidence);
  return notes;
}
