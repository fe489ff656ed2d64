// Decides how a file's bytes become text (BOM, UTF-8, UTF-16, Windows-1252) from a bounded sample, before any parsing.

/** The encodings the reader can decide on, as reported in ReadChoices.encoding. */
export type EncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface EncodingChoice {
  readonly encoding: EncodingName;
  /** The TextDecoder label for the encoding. */
  readonly decoderLabel: string;
  /** Bytes of byte-order mark to skip at the start. */
  readonly bomLength: number;
  /**
   * 0-1: how well the whole sample fits the choice. 1 for a BOM or an ASCII-only sample; for UTF-8 without BOM
   * (valid multi-byte characters + 1) / (valid + invalid sequences + 1); for Windows-1252 invalid / (valid + invalid + 1).
   */
  readonly confidence: number;
  /** The counts the choice rests on, in words (for the report). */
  readonly evidence: string;
}

export type EncodingVerdict =
  | { readonly ok: true; readonly choice: EncodingChoice }
  | { readonly ok: false; readonly code: 'BINARY_FILE'; readonly reason: string };

/** Invalid UTF-8 sequences a sample needs, besides outnumbering the valid multi-byte characters, to be read as Windows-1252. */
export const MIN_INVALID_FOR_WINDOWS_1252 = 2;

/**
 * Looks at the first bytes of a file: a BOM decides; otherwise NUL bytes mean binary (or BOM-less UTF-16,
 * recognised by NULs in every other byte). Without those, the whole sample is weighed: its valid UTF-8
 * multi-byte characters against its invalid sequences. Windows-1252 (which maps every byte to a character) is
 * chosen only when invalid sequences outnumber valid ones and there are at least MIN_INVALID_FOR_WINDOWS_1252 of
 * them; otherwise the file is UTF-8 and the rows holding the invalid bytes are rejected (ENCODING_ERROR), so one
 * stray byte never changes how every other character is read.
 * `complete` says whether the sample is the whole file (then a truncated UTF-8 sequence at its end is an error).
 */
export function detectEncoding(sample: Uint8Array, complete: boolean): EncodingVerdict {
  const b = sample;
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return ok('utf-8-bom', 'utf-8', 3, 1, 'UTF-8 byte-order mark');
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return ok('utf-16le', 'utf-16le', 2, 1, 'UTF-16LE byte-order mark');
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return ok('utf-16be', 'utf-16be', 2, 1, 'UTF-16BE byte-order mark');

  let nulEven = 0;
  let nulOdd = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      if (i & 1) nulOdd++;
      else nulEven++;
    }
  }
  if (nulEven + nulOdd > 0) {
    const half = b.length / 2;
    const utf16 = (order: string, nuls: number) =>
      `no byte-order mark; NUL in ${nuls} of the ${Math.floor(half)} ${order} bytes of the first ${b.length} bytes and in none of the others (UTF-16 text)`;
    // BOM-less UTF-16 text of mostly ASCII has a NUL in (nearly) every other byte and none in the others.
    if (nulOdd > half * 0.6 && nulEven === 0) return ok('utf-16le', 'utf-16le', 0, round2(nulOdd / half), utf16('odd', nulOdd));
    if (nulEven > half * 0.6 && nulOdd === 0) return ok('utf-16be', 'utf-16be', 0, round2(nulEven / half), utf16('even', nulEven));
    const first = b.indexOf(0);
    return {
      ok: false,
      code: 'BINARY_FILE',
      reason: `the file contains NUL bytes (first at byte ${first}, ${nulEven + nulOdd} in the first ${b.length} bytes), so it is not a text CSV file; export it as CSV text (UTF-8) and upload it again`,
    };
  }
  const { valid, invalid, firstInvalid } = utf8Counts(b, complete);
  const counts = `${valid} valid UTF-8 multi-byte character${valid === 1 ? '' : 's'} and ${invalid} invalid sequence${invalid === 1 ? '' : 's'}${invalid ? ` (first at byte ${firstInvalid})` : ''} in the first ${b.length} bytes`;
  if (invalid >= MIN_INVALID_FOR_WINDOWS_1252 && invalid > valid) {
    return ok('windows-1252', 'windows-1252', 0, round2(invalid / (valid + invalid + 1)), `${counts}: read as Windows-1252`);
  }
  const note = invalid ? `: read as UTF-8, the rows holding invalid bytes are rejected (ENCODING_ERROR)` : valid ? '' : ' (ASCII only)';
  return ok('utf-8', 'utf-8', 0, round2((valid + 1) / (valid + invalid + 1)), counts + note);
}

function ok(encoding: EncodingName, decoderLabel: string, bomLength: number, confidence: number, evidence: string): EncodingVerdict {
  return { ok: true, choice: { encoding, decoderLabel, bomLength, confidence, evidence } };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Strict UTF-8 validation (no overlongs, no surrogates); a sequence cut by the end of an incomplete sample is accepted. */
export function isValidUtf8(b: Uint8Array, complete: boolean): boolean {
  return utf8Counts(b, complete, true).invalid === 0;
}

/**
 * Counts the valid multi-byte UTF-8 characters and the invalid sequences (each bad byte once) of a whole sample;
 * `stopAtFirst` stops at the first invalid one. A sequence cut by the end of an incomplete sample counts as neither.
 */
export function utf8Counts(b: Uint8Array, complete: boolean, stopAtFirst = false): { valid: number; invalid: number; firstInvalid: number } {
  const n = b.length;
  let valid = 0;
  let invalid = 0;
  let firstInvalid = -1;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const len = sequenceLength(b, i, complete);
    if (len > 0) {
      valid++;
      i += len;
      continue;
    }
    if (len === 0) break; // cut by the end of an incomplete sample
    if (firstInvalid < 0) firstInvalid = i;
    invalid++;
    if (stopAtFirst) break;
    i++;
  }
  return { valid, invalid, firstInvalid };
}

/** The length of the valid UTF-8 sequence at b[i] (a byte >= 0x80), -1 when it is invalid, 0 when the sample ends inside it. */
function sequenceLength(b: Uint8Array, i: number, complete: boolean): number {
  const c = b[i];
  const n = b.length;
  let need: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) {
    need = 1;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    min = 0x10000;
  } else return -1;
  if (i + need >= n) {
    // The sequence runs past the end of the sample.
    for (let k = i + 1; k < n; k++) if ((b[k] & 0xc0) !== 0x80) return -1;
    return complete ? -1 : 0;
  }
  let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
  for (let k = 1; k <= need; k++) {
    const cc = b[i + k];
    if ((cc & 0xc0) !== 0x80) return -1;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  return need + 1;
}

/** What the core needs from a decoder: TextDecoder's streaming `decode`. */
export interface ChunkDecoder {
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}

/** Windows-1252's characters for bytes 0x80-0x9F (the rest is ISO-8859-1); undefined bytes map to the C1 control, as WHATWG does. */
const CP1252_80_9F =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
const C1 = /[\u0080-\u009f]/g;

/**
 * Node 20's TextDecoder("windows-1252") decodes 0x80-0x9F as ISO-8859-1 control characters (so € and curly
 * quotes are lost); this decoder maps them as Windows-1252 does. One byte is one character, so no state.
 */
class Windows1252Decoder implements ChunkDecoder {
  decode(input?: Uint8Array): string {
    if (!input || input.length === 0) return '';
    const text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
    C1.lastIndex = 0;
    return C1.test(text) ? text.replace(C1, (c) => CP1252_80_9F[c.charCodeAt(0) - 0x80]) : text;
  }
}

/** A streaming decoder for the chosen encoding (a BOM at the start is dropped). */
export function createDecoder(choice: EncodingChoice): ChunkDecoder {
  return choice.encoding === 'windows-1252' ? new Windows1252Decoder() : new TextDecoder(choice.decoderLabel);
}

/** How each encoding spells U+FFFD in bytes (Windows-1252 cannot). */
const REPLACEMENT_BYTES: Readonly<Record<EncodingName, Buffer | undefined>> = {
  'utf-8': Buffer.from([0xef, 0xbf, 0xbd]),
  'utf-8-bom': Buffer.from([0xef, 0xbf, 0xbd]),
  'utf-16le': Buffer.from([0xfd, 0xff]),
  'utf-16be': Buffer.from([0xff, 0xfd]),
  'windows-1252': undefined,
};

/**
 * Tells decoding errors from U+FFFD characters written as such in the file: a piece of text holds an error when it
 * has more U+FFFD than the bytes it was decoded from spell (a U+FFFD split across two pieces counts in the second,
 * where the decoder emits it; UTF-16 code units count only at even offsets from the start of the file).
 */
export class DecodingErrors {
  private offset = 0;
  private tail: Uint8Array = new Uint8Array(0);
  private readonly pattern: Buffer | undefined;

  constructor(encoding: EncodingName) {
    this.pattern = REPLACEMENT_BYTES[encoding];
  }

  /** Feed every piece in order: `text` decoded from `bytes`, the next bytes of the file. True when `text` holds a decoding error. */
  found(text: string, bytes: Uint8Array): boolean {
    const error = text.indexOf('\uFFFD') !== -1 && countChar(text, '\uFFFD') > this.spelled(bytes);
    this.offset += bytes.length;
    if (bytes.length >= 2) this.tail = new Uint8Array(bytes.subarray(bytes.length - 2));
    else if (bytes.length) this.tail = new Uint8Array(Buffer.concat([this.tail, bytes]).subarray(-2));
    return error;
  }

  private spelled(bytes: Uint8Array): number {
    const pattern = this.pattern;
    if (!pattern) return 0;
    const joined = Buffer.concat([this.tail, bytes]);
    const base = this.offset - this.tail.length;
    const aligned = pattern.length === 2;
    let n = 0;
    for (let i = joined.indexOf(pattern); i !== -1; i = joined.indexOf(pattern, i + 1)) {
      if (i + pattern.length > this.tail.length && (!aligned || ((base + i) & 1) === 0)) n++;
    }
    return n;
  }
}

function countChar(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) n++;
  return n;
}
