// Guesses a file's dialect (delimiter, quote, line ending) and where its header is, from a bounded sample of text.
import { Dialect, readAll } from './reader';

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
 * A file whose lines never split gives one column, delimiter ",".
 * `complete` says the sample is the whole file (its last line is then a record, not a cut-off).
 */
export function detectDialect(sample: string, complete: boolean): DialectGuess {
  const lineEnding = detectLineEnding(sample);
  let best: { score: number; dialect: Dialect; headerLine: number; columns: number } | undefined;
  for (const quote of QUOTES) {
    if (quote === "'" && sample.indexOf("'") === -1) continue;
    for (const delimiter of DELIMITERS) {
      if (sample.indexOf(delimiter) === -1) continue;
      const dialect: Dialect = { delimiter, quote, lineEnding };
      const records = readAll(sample, dialect, complete)
        .filter((r) => !(r.fields.length === 1 && r.fields[0].trim() === ''))
        .slice(0, SAMPLE_RECORDS);
      if (!records.length) continue;
      const mode = modeOf(records.map((r) => r.fields.length));
      if (mode < 2) continue;
      const header = records.find((r) => r.fields.length === mode);
      if (!header || header.line - 1 > MAX_PREAMBLE_LINES) continue;
      const after = records.filter((r) => r.line >= header.line);
      const matching = after.filter((r) => r.fields.length === mode).length;
      // Fewer problems win; a double quote wins ties over a single quote, earlier delimiters over later ones.
      const score = matching / after.length + (quote === '"' ? 1e-6 : 0) + matching * 1e-9;
      if (!best || score > best.score + 1e-12) best = { score, dialect, headerLine: header.line, columns: mode };
    }
  }
  if (best) return { dialect: best.dialect, headerLine: best.headerLine, columns: best.columns };
  const dialect: Dialect = { delimiter: ',', quote: '"', lineEnding };
  const first = readAll(sample, dialect, complete).find((r) => !(r.fields.length === 1 && r.fields[0].trim() === ''));
  return { dialect, headerLine: first ? first.line : 1, columns: 1 };
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
