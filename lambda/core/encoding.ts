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
