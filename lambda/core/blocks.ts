// Hooks and pure helpers to read one file in blocks on worker threads (CLI and local mode; the Lambda stays on one
// thread): where a block may start, what a block's run leaves for the next one, the keys it accepted, and how the
// records held as a possible footer carry across blocks, so that the merged result is exactly the one-thread one.
import type { PendingRecord } from './body-end';
import { DuplicateKeys } from './keyset';

/** PreprocessOptions.block: decide on the sample of `input` as usual, then read only this block of the file. */
export interface BlockRun {
  /** The block's bytes, from a record boundary (the first block starts at byte 0). */
  readonly bytes: AsyncIterable<Uint8Array>;
  /** Physical line number of the block's first line (1 for the first block). */
  readonly firstLine: number;
  /** The duplicate-key set to use (the merge passes the file's when it reads a block again); default: a new one. */
  readonly keys?: DuplicateKeys;
  /** Called once after the block's last record, instead of deciding the footer (only the whole file can). */
  ended(state: BlockEnd): void;
}

/** What a block's run leaves that depends on the blocks around it. */
export interface BlockEnd {
  /** Records at the end of the block held as a possible footer (not counted in the report's rows yet). */
  readonly pending: PendingRecord[];
  /** Blank lines after the last record of the block (not counted yet). */
  readonly blankRun: number;
  /** Blank lines between rows counted in this block. */
  readonly bodyBlankLines: number;
  /** True when a record of the block was data (a valid row, or a reject with its own reason): what was held before it is not a footer. */
  readonly settled: boolean;
  /** True when the block had a decoding error or a NUL: the one-thread rule for those is sequential, so the file is read on one thread. */
  readonly suspicious: boolean;
  /** The physical line after the block (where the next block must start). */
  readonly lineAfter: number;
  /** The first line that can hold a row (after the preamble and header). */
  readonly firstDataLine: number;
  readonly neutralised: number;
  /** The notes of the decisions (preamble, header, columns), before any note on the body. */
  readonly notes: string[];
}

/** A DuplicateKeys that also logs every key it accepted, in order, for the merge to check against earlier blocks. */
export class RecordingKeys extends DuplicateKeys {
  /** Integer value of each key accepted, NaN for a text key. */
  readonly numbers: number[] = [];
  /** Text of each key accepted (index in `numbers`), when it was given. */
  readonly texts = new Map<number, string>();
  private depth = 0;

  override addPagedInteger(n: number): -1 | 0 | 1 {
    const added = super.addPagedInteger(n);
    if (added === 1 && this.depth === 0) this.numbers.push(n);
    return added;
  }

  override addInteger(n: number, text: string): boolean {
    this.depth++;
    const fresh = super.addInteger(n, text);
    this.depth--;
    if (fresh && this.depth === 0) this.log(n, text);
    return fresh;
  }

  override addText(key: string): boolean {
    const fresh = super.addText(key);
    if (fresh && this.depth === 0) this.log(NaN, key);
    return fresh;
  }

  private log(n: number, text: string): void {
    this.texts.set(this.numbers.length, text);
    this.numbers.push(n);
  }
}

/** The keys a block accepted, as sent between threads. */
export interface KeyLog {
  readonly numbers: Float64Array;
  readonly texts: [number, string][];
}

export function keyLog(keys: RecordingKeys): KeyLog {
  return { numbers: Float64Array.from(keys.numbers), texts: [...keys.texts] };
}

/** True when a key of `log` is in `keys` already (an earlier block had it: the block must be read again against `keys`). */
export function seenBefore(keys: DuplicateKeys, log: KeyLog): boolean {
  const numbers = log.numbers;
  if (log.texts.length === 0) {
    for (let i = 0; i < numbers.length; i++) {
      const paged = keys.hasPagedInteger(numbers[i]);
      if (paged === 1 || (paged === -1 && keys.hasText(String(numbers[i])))) return true;
    }
    return false;
  }
  const texts = new Map(log.texts);
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i];
    const text = texts.get(i);
    if (Number.isNaN(n) ? keys.hasText(text!) : keys.hasInteger(n, text ?? String(n))) return true;
  }
  return false;
}

/** Adds the keys of `log` to `keys`, in the order the block accepted them (as the one-thread core would). */
export function addKeys(keys: DuplicateKeys, log: KeyLog): void {
  const numbers = log.numbers;
  const texts = new Map(log.texts);
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i];
    const text = log.texts.length ? texts.get(i) : undefined;
    if (Number.isNaN(n)) keys.addText(text!);
    else if (text === undefined) {
      if (keys.addPagedInteger(n) === -1) keys.addInteger(n, String(n));
    } else keys.addInteger(n, text);
  }
}

/** Where a scan for block boundaries is: quote parity since the start of the file. */
export interface CutScan {
  /** True when the bytes so far leave a quoted field open. */
  open: boolean;
}

/**
 * The first offset >= `from` in bytes[0..end) where a block may start, or -1: just after a line-end byte outside quotes
 * (by quote parity; the worker checks the guess: a block that ends inside a quoted field reports UNTERMINATED_QUOTE),
 * not between CR and LF, not before a UTF-8 BOM (a new decoder would drop it). `scan.open` is the parity at `scanned`,
 * the offset the scan of quotes has reached; both move forward.
 */
export function findCut(
  bytes: Uint8Array,
  scanned: number,
  from: number,
  end: number,
  quote: number,
  lineByte: number,
  scan: CutScan,
): { cut: number; scanned: number } {
  let pos = scanned;
  for (;;) {
    const lf = bytes.indexOf(lineByte, Math.max(pos, from));
    if (lf === -1 || lf + 4 > end) {
      scan.open = toggles(bytes, pos, end, quote, scan.open);
      return { cut: -1, scanned: end };
    }
    scan.open = toggles(bytes, pos, lf + 1, quote, scan.open);
    pos = lf + 1;
    if (scan.open) continue;
    if (lineByte === 13 && bytes[lf + 1] === 10) continue;
    if (bytes[lf + 1] === 0xef && bytes[lf + 2] === 0xbb && bytes[lf + 3] === 0xbf) continue;
    return { cut: lf + 1, scanned: pos };
  }
}

/** `open` after the quote bytes of bytes[start..end) (each toggles it). */
function toggles(bytes: Uint8Array, start: number, end: number, quote: number, open: boolean): boolean {
  for (let i = bytes.indexOf(quote, start); i !== -1 && i < end; i = bytes.indexOf(quote, i + 1)) open = !open;
  return open;
}

/** Line-end bytes in bytes[start..end): the lines a block spans. */
export function countLines(bytes: Uint8Array, start: number, end: number, lineByte: number): number {
  let n = 0;
  for (let i = bytes.indexOf(lineByte, start); i !== -1 && i < end; i = bytes.indexOf(lineByte, i + 1)) n++;
  return n;
}

/** Records held as a possible footer and blank lines not yet counted, carried from one block to the next. */
export interface Carry {
  readonly pending: PendingRecord[];
  readonly blankRun: number;
}

/**
 * What the one-thread core does with what was held when it reads a block: `flushed` are the held records now
 * rejected with their own reason (they go before the block's rejects), `bodyBlankLines` the blank lines now counted
 * between rows, `carry` what is held after the block. `shifted`: the block rejected a held record of its own because
 * more than `maxFooter` followed each other (the block's rejects are only those).
 */
export function carryThrough(
  carry: Carry,
  end: BlockEnd,
  shifted: boolean,
  maxFooter: number,
): { flushed: PendingRecord[]; bodyBlankLines: number; carry: Carry } {
  const blanksOf = (records: readonly PendingRecord[]) => records.reduce((n, p) => n + p.blanksBefore, 0);
  if (end.settled || shifted) {
    return { flushed: carry.pending, bodyBlankLines: carry.blankRun + blanksOf(carry.pending), carry: { pending: end.pending, blankRun: end.blankRun } };
  }
  if (end.pending.length === 0) return { flushed: [], bodyBlankLines: 0, carry: { pending: carry.pending, blankRun: carry.blankRun + end.blankRun } };
  const [first, ...rest] = end.pending;
  const held = [...carry.pending, { ...first, blanksBefore: first.blanksBefore + carry.blankRun }, ...rest];
  const over = Math.max(0, held.length - maxFooter);
  const flushed = held.slice(0, over);
  return { flushed, bodyBlankLines: blanksOf(flushed), carry: { pending: held.slice(over), blankRun: end.blankRun } };
}
