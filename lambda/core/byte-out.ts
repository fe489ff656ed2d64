// The valid-rows output as UTF-8 bytes written straight into a Buffer: no per-row strings, no join, no string encoding pass.

/** A growable UTF-8 output buffer; `take()` hands the bytes written so far to a sink and starts a fresh buffer. */
export class ByteOut {
  buf: Buffer;
  pos = 0;

  constructor(private readonly capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes (the buffer grows, keeping what was written). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** The bytes written so far (the caller passes them to a sink, which keeps them); writing goes on in a new buffer. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.capacity);
    this.pos = 0;
    return out;
  }

  /** Appends a string as UTF-8 (as Buffer.from(s) encodes it: a lone surrogate becomes U+FFFD). */
  writeString(s: string): void {
    this.ensure(s.length * 3);
    this.pos = writeUtf8(s, 0, s.length, this.buf, this.pos);
  }

  /** Appends one ASCII byte (the caller made room). */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
}

/** Encodes text[s..e) as UTF-8 into buf at pos (room for 3 bytes per character is the caller's); returns the new position. */
export function writeUtf8(text: string, s: number, e: number, buf: Uint8Array, pos: number): number {
  // ASCII first (the common case), in a loop of its own.
  let i = s;
  for (; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    buf[pos++] = c;
  }
  return i === e ? pos : writeUtf8From(text, i, e, buf, pos);
}

function writeUtf8From(text: string, s: number, e: number, buf: Uint8Array, pos: number): number {
  for (let i = s; i < e; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      buf[pos++] = c;
    } else if (c < 0x800) {
      buf[pos++] = 0xc0 | (c >> 6);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      buf[pos++] = 0xe0 | (c >> 12);
      buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
      buf[pos++] = 0x80 | (c & 0x3f);
    } else {
      const d = i + 1 < e ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[pos++] = 0xf0 | (c >> 18);
        buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else {
        // A lone surrogate: U+FFFD, as Node's UTF-8 encoder writes it.
        buf[pos++] = 0xef;
        buf[pos++] = 0xbf;
        buf[pos++] = 0xbd;
      }
    }
  }
  return pos;
}
