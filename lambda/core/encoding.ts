// Decides how a file's bytes become text (BOM, UTF-8, UTF-16, Windows-1252) from a bounded sample, before any parsing.

/** The encodings the reader can decide on, as reported in ReadChoices.encoding. */
export type EncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface EncodingChoice {
  readonly encoding: EncodingName;
  /** The TextDecoder label for the encoding. */
  readonly decoderLabel: string;
  /** Bytes of byte-order mark to skip at the start. */
  readonly bomLength: number;
}

export type EncodingVerdict = { readonly ok: true; readonly choice: EncodingChoice } | { readonly ok: false; readonly code: 'BINARY_FILE'; readonly reason: string };

/**
 * Looks at the first bytes of a file: a BOM decides; otherwise NUL bytes mean binary (or BOM-less UTF-16,
 * recognised by NULs in every other byte); bytes that are valid UTF-8 are UTF-8; anything else is read as
 * Windows-1252 (which maps every byte to a character, so it never fails).
 * `complete` says whether the sample is the whole file (then a truncated UTF-8 sequence at its end is an error).
 */
export function detectEncoding(sample: Uint8Array, complete: boolean): EncodingVerdict {
  const b = sample;
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return ok('utf-8-bom', 'utf-8', 3);
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return ok('utf-16le', 'utf-16le', 2);
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return ok('utf-16be', 'utf-16be', 2);

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
    // BOM-less UTF-16 text of mostly ASCII has a NUL in (nearly) every other byte and none in the others.
    if (nulOdd > half * 0.6 && nulEven === 0) return ok('utf-16le', 'utf-16le', 0);
    if (nulEven > half * 0.6 && nulOdd === 0) return ok('utf-16be', 'utf-16be', 0);
    const first = b.indexOf(0);
    return {
      ok: false,
      code: 'BINARY_FILE',
      reason: `the file contains NUL bytes (first at byte ${first}, ${nulEven + nulOdd} in the first ${b.length} bytes), so it is not a text CSV file; export it as CSV text (UTF-8) and upload it again`,
    };
  }
  if (isValidUtf8(b, complete)) return ok('utf-8', 'utf-8', 0);
  return ok('windows-1252', 'windows-1252', 0);
}

function ok(encoding: EncodingName, decoderLabel: string, bomLength: number): EncodingVerdict {
  return { ok: true, choice: { encoding, decoderLabel, bomLength } };
}

/** Strict UTF-8 validation (no overlongs, no surrogates); a sequence cut by the end of an incomplete sample is accepted. */
export function isValidUtf8(b: Uint8Array, complete: boolean): boolean {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
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
    } else return false;
    if (i + need >= n) {
      // The sequence runs past the end of the sample.
      if (complete) return false;
      for (let k = i + 1; k < n; k++) if ((b[k] & 0xc0) !== 0x80) return false;
      return true;
    }
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if ((cc & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
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
