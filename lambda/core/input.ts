// Reads the input's bytes: counted against ingest.maxFileSizeMb, released when a run stops early, and decoded in
// pieces that end at a line end so the tokenizer works on flat strings.
import type { ChunkDecoder, EncodingName } from './encoding';
import type { Dialect } from './reader';
import { Quarantine } from './build-report';

/** Input is decoded and parsed in slices of at most this many bytes, whatever the caller's chunk size. */
export const SLICE_BYTES = 64 * 1024;

const EMPTY = new Uint8Array(0);

/** The quarantine of a file over ingest.maxFileSizeMb: `known` when the size was given, else only its part read so far. */
export function tooLarge(size: number, known: boolean, limitMb: number): Quarantine {
  return new Quarantine(
    'FILE_TOO_LARGE',
    `the file is ${known ? '' : 'over '}${(size / 1048576).toFixed(1)} MB, over the limit of ${limitMb} MB (ingest.maxFileSizeMb); split it or raise the limit`,
  );
}

/** The input's chunks, with the bytes read so far. */
export class InputBytes {
  bytesIn = 0;
  private iterator: AsyncIterator<Uint8Array>;
  private ended = false;

  constructor(
    input: AsyncIterable<Uint8Array>,
    private readonly limitMb: number,
  ) {
    this.iterator = input[Symbol.asyncIterator]();
  }

  /** True when the input has no more chunks (or reading was stopped). */
  get done(): boolean {
    return this.ended;
  }

  /** The next chunk, or undefined at the end. */
  async next(): Promise<Uint8Array | undefined> {
    const next = await this.iterator.next();
    if (next.done) {
      this.ended = true;
      return undefined;
    }
    this.bytesIn += next.value.length;
    return next.value;
  }

  /** The quarantine when the bytes read so far are over the limit. */
  overLimit(): Quarantine | undefined {
    return this.bytesIn > this.limitMb * 1024 * 1024 ? tooLarge(this.bytesIn, false, this.limitMb) : undefined;
  }

  /** Stops reading early (the input's stream is released). */
  async stop(): Promise<void> {
    if (!this.ended && this.iterator.return) await this.iterator.return();
    this.ended = true;
  }

  /** For a block (worker threads): the sample served the decisions; the chunks from now on are the block's. */
  async switchTo(bytes: AsyncIterable<Uint8Array>): Promise<void> {
    await this.stop();
    this.iterator = bytes[Symbol.asyncIterator]();
    this.ended = false;
  }
}

/**
 * Decodes slices into text pieces that end at a line end where it can (the bytes after the last one wait for the
 * next slice), so the tokenizer rarely joins a leftover to new text; only the short line across two slices is copied.
 */
export class LineAlignedDecoder {
  /** Single-byte and UTF-8 text can be cut after a line-end byte without splitting a character. */
  private readonly alignLines: boolean;
  private readonly lineByte: number;
  private carry: Uint8Array = EMPTY;

  constructor(
    private readonly decoder: ChunkDecoder,
    encoding: EncodingName,
    lineEnding: Dialect['lineEnding'],
    private readonly deliver: (text: string, bytes: Uint8Array) => void,
  ) {
    this.alignLines = encoding === 'utf-8' || encoding === 'utf-8-bom' || encoding === 'windows-1252';
    this.lineByte = lineEnding === 'CR' ? 13 : 10;
  }

  /** Decodes the next slice (at most SLICE_BYTES) and delivers what ends at a line end. */
  push(slice: Uint8Array): void {
    if (!this.alignLines) {
      this.decode(slice);
      return;
    }
    const lineByte = this.lineByte;
    const last = slice.lastIndexOf(lineByte);
    if (last === -1) {
      this.carry = this.carry.length ? Buffer.concat([this.carry, slice]) : Buffer.from(slice);
      if (this.carry.length >= SLICE_BYTES) {
        this.decode(this.carry);
        this.carry = EMPTY;
      }
      return;
    }
    let from = 0;
    if (this.carry.length) {
      from = slice.indexOf(lineByte) + 1;
      this.decode(Buffer.concat([this.carry, slice.subarray(0, from)]));
    }
    if (last + 1 > from) this.decode(from === 0 && last + 1 === slice.length ? slice : slice.subarray(from, last + 1));
    this.carry = last + 1 < slice.length ? Buffer.from(slice.subarray(last + 1)) : EMPTY;
  }

  /** Delivers what is left at the end of the input. */
  end(): void {
    if (this.carry.length) this.decode(this.carry);
    const tail = this.decoder.decode();
    if (tail) this.deliver(tail, new Uint8Array(0));
  }

  private decode(bytes: Uint8Array): void {
    this.deliver(this.decoder.decode(bytes, { stream: true }), bytes);
  }
}
