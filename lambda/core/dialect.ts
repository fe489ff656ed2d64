// Guesses a file's dialect (delimiter, quote, line ending) and where its header is, from a bounded sample of text.
import { type Dialect, readAll } from './reader';

export const DELIMITERS = [',', ';', '\t', '|'] as const;
export const QUOTES = ['"', "'"] as const;
/** Lines above the header that may be skipped as a preamble (titles, export notes). */
export const MAX_PREAMBLE_LINES = 10;
/** Records of the sample that the guess looks at. */
const SAMPLE_RECORDS = 500;

export interface DialectGuess {
  readonly dialect: Dialect;
  /** Physical line (1-based) of the header record. */
  readonly headerLine: number;
  /** Fields in the header. */
  readonly columns: number;
  /** How well the winner splits the sample, in words (for the report). */
  readonly evidence: string;
}

/** Counts line endings outside double-quoted fields: a CRLF majority means CRLF, mostly lone CRs mean CR, else LF. */
export function detectLineEnding(sample: string): Dialect['lineEnding'] {
  let crlf = 0;
  let cr = 0;
  let lf = 0;
  let quoted = false;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 13) {
      if (sample.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      } else if (i + 1 < sample.length) cr++;
    } else if (c === 10) lf++;
  }
  if (crlf > 0 && crlf >= lf && crlf >= cr) return 'CRLF';
  if (cr > lf) return 'CR';
  return 'LF';
}

/**
 * Tries every delimiter and quote on the sample: the winner gives the most records with the same field count
 * (at least 2) after its header; the header is the first record, within the preamble limit, with that count.
 * When the sample has a delimiter, a space and a quote in a row (`1, "Doe, John"`), the same delimiter is also tried
 * with spaces skipped before quoted fields; it wins only by splitting more records consistently.
 * A file whose lines never split gives one column, delimiter ",".
 * `complete` says the sample is the whole file (its last line is then a record, not a cut-off).
 */
export function detectDialect(sample: string, complete: boolean): DialectGuess {
  const lineEnding = detectLineEnding(sample);
  let best: Scored | undefined;
  for (const quote of QUOTES) {
    if (quote === "'" && sample.indexOf("'") === -1) continue;
    for (const delimiter of DELIMITERS) {
      if (sample.indexOf(delimiter) === -1) continue;
      for (const spaced of sample.indexOf(`${delimiter} ${quote}`) === -1 ? [false] : [false, true]) {
        const dialect: Dialect = spaced ? { delimiter, quote, lineEnding, spaceAfterDelimiter: true } : { delimiter, quote, lineEnding };
        const scored = score(sample, dialect, complete);
        if (scored && (!best || scored.score > best.score + 1e-12)) best = scored;
      }
    }
  }
  if (best) return { dialect: best.dialect, headerLine: best.headerLine, columns: best.columns, evidence: best.evidence };
  const dialect: Dialect = { delimiter: ',', quote: '"', lineEnding };
  const first = readAll(sample, dialect, complete).find((r) => !(r.fields.length === 1 && r.fields[0].trim() === ''));
  return { dialect, headerLine: first ? first.line : 1, columns: 1, evidence: 'no delimiter splits the sample consistently: one column' };
}

interface Scored {
  readonly score: number;
  readonly dialect: Dialect;
  readonly headerLine: number;
  readonly columns: number;
  readonly evidence: string;
}

/** The share of the sample's records (from the first of the usual width) that have the usual width, or undefined when it splits nothing. */
function score(sample: string, dialect: Dialect, complete: boolean): Scored | undefined {
  const records = readAll(sample, dialect, complete)
    .filter((r) => !(r.fields.length === 1 && r.fields[0].trim() === ''))
    .slice(0, SAMPLE_RECORDS);
  if (!records.length) return undefined;
  const mode = modeOf(records.map((r) => r.fields.length));
  if (mode < 2) return undefined;
  const header = records.find((r) => r.fields.length === mode);
  if (!header || header.line - 1 > MAX_PREAMBLE_LINES) return undefined;
  const after = records.filter((r) => r.line >= header.line);
  const matching = after.filter((r) => r.fields.length === mode).length;
  const spaced = dialect.spaceAfterDelimiter === true;
  // Fewer problems win; a double quote wins ties over a single quote, earlier delimiters over later ones, no skipping over skipping.
  const value = matching / after.length + (dialect.quote === '"' ? 1e-6 : 0) + matching * 1e-9 - (spaced ? 1e-7 : 0);
  const evidence = `${JSON.stringify(dialect.delimiter)}${spaced ? ' followed by a space' : ''} with quote ${JSON.stringify(dialect.quote)} splits ${matching} of ${after.length} sample records into ${mode} fields`;
  return { score: value, dialect, headerLine: header.line, columns: mode, evidence };
}

function modeOf(values: readonly number[]): number {
  const counts = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (const v of values) {
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > bestCount || (c === bestCount && v > best)) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}
