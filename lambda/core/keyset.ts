// Remembers the key of every accepted row to find duplicates within a file, in memory that stays small for big files.
//
// Integer keys (the common case) go into a bitmap of 65,536-key pages (8 KB each): a file of 17 million
// sequential ids needs about 2 MB. Other keys (and integer keys too scattered for pages) are kept as 64-bit
// hashes in an open-addressing table of typed arrays: 8-16 bytes per key, no strings retained. Two different
// keys with the same 64-bit hash would be reported as duplicates; with n keys the chance is about n^2 / 2^65
// (1 in 100,000 at 17 million keys).

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
/** Pages allowed before integer keys move to the hash table (16 MB of pages). */
const MAX_PAGES = 2048;

export class DuplicateKeys {
  private pages: Map<number, Uint32Array> | undefined = new Map();
  private hashed: HashedKeySet | undefined;

  /** Adds an integer key; returns false when it was already present. */
  addInteger(n: number, text: string): boolean {
    const paged = this.addPagedInteger(n);
    if (paged !== -1) return paged === 1;
    if (this.pages !== undefined && Number.isSafeInteger(n)) this.movePagesToHashes();
    return this.addText(text);
  }

  /**
   * Adds an integer key to the pages when it can without the key's text: 1 added, 0 already present, -1 not done
   * (not a safe integer, or the keys are hashed or about to be: call addInteger with the text).
   */
  addPagedInteger(n: number): -1 | 0 | 1 {
    if (this.pages === undefined || !Number.isSafeInteger(n)) return -1;
    const page = Math.floor(n / PAGE_SIZE);
    let bits = page === this.lastPage ? this.lastBits : this.pages.get(page);
    if (bits === undefined) {
      if (this.pages.size >= MAX_PAGES) return -1;
      bits = new Uint32Array(PAGE_SIZE >>> 5);
      this.pages.set(page, bits);
    }
    this.lastPage = page;
    this.lastBits = bits;
    const offset = n - page * PAGE_SIZE;
    const word = offset >>> 5;
    const mask = 1 << (offset & 31);
    if (bits[word] & mask) return 0;
    bits[word] |= mask;
    return 1;
  }
  private lastPage = NaN;
  private lastBits: Uint32Array | undefined;

  /** Adds any key (several columns joined by the caller); returns false when it was already present. */
  addText(key: string): boolean {
    if (this.hashed === undefined) this.hashed = new HashedKeySet();
    return this.hashed.add(key);
  }

  /** Whether addInteger(n, text) would find the key present (changes nothing; for merging blocks read by worker threads). */
  hasInteger(n: number, text: string): boolean {
    const paged = this.hasPagedInteger(n);
    return paged === -1 ? this.hasText(text) : paged === 1;
  }

  /** Whether the pages hold the integer key: 1 yes, 0 no, -1 not known (not a safe integer, or the keys are hashed: ask hasText). */
  hasPagedInteger(n: number): -1 | 0 | 1 {
    if (this.pages === undefined || !Number.isSafeInteger(n)) return -1;
    const page = Math.floor(n / PAGE_SIZE);
    const bits = page === this.lastPage ? this.lastBits : this.pages.get(page);
    if (bits === undefined) return 0;
    this.lastPage = page;
    this.lastBits = bits;
    const offset = n - page * PAGE_SIZE;
    return (bits[offset >>> 5] & (1 << (offset & 31))) !== 0 ? 1 : 0;
  }

  /** Whether addText(key) would find the key present (changes nothing). */
  hasText(key: string): boolean {
    return this.hashed?.has(key) ?? false;
  }

  private movePagesToHashes(): void {
    const pages = this.pages!;
    this.pages = undefined;
    this.lastBits = undefined;
    for (const [page, bits] of pages) {
      for (let w = 0; w < bits.length; w++) {
        let word = bits[w];
        while (word !== 0) {
          const bit = 31 - Math.clz32(word);
          word &= ~(1 << bit);
          this.addText(String(page * PAGE_SIZE + w * 32 + bit));
        }
      }
    }
  }
}

class HashedKeySet {
  private capacity = 1 << 16;
  private size = 0;
  private slots = new Uint32Array(this.capacity * 2);

  add(key: string): boolean {
    hashKey(key);
    return this.insert(HASH[0], HASH[1]);
  }

  /** Whether `key` was added (changes nothing). */
  has(key: string): boolean {
    hashKey(key);
    const h1 = HASH[0];
    const h2 = HASH[1];
    const mask = this.capacity - 1;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const a = this.slots[i * 2];
      const b = this.slots[i * 2 + 1];
      if (a === 0 && b === 0) return false;
      if (a === h1 && b === h2) return true;
    }
  }

  private insert(h1: number, h2: number): boolean {
    const mask = this.capacity - 1;
    let i = h1 & mask;
    const slots = this.slots;
    for (;;) {
      const a = slots[i * 2];
      const b = slots[i * 2 + 1];
      if (a === 0 && b === 0) break;
      if (a === h1 && b === h2) return false;
      i = (i + 1) & mask;
    }
    slots[i * 2] = h1;
    slots[i * 2 + 1] = h2;
    this.size++;
    if (this.size * 10 > this.capacity * 7) this.grow();
    return true;
  }

  private grow(): void {
    const old = this.slots;
    this.capacity *= 2;
    this.slots = new Uint32Array(this.capacity * 2);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.insert(old[i], old[i + 1]);
    }
  }
}

/** The two 32-bit halves of the last key hashed by hashKey (no allocation per key). */
const HASH = new Uint32Array(2);

/** A 64-bit hash of `key` (two independent 32-bit halves, never both 0) into HASH. */
function hashKey(key: string): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= key.length;
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 = (h1 ^ (h1 >>> 16)) >>> 0;
  h2 = (Math.imul(h2 ^ (h2 >>> 13), 0x27d4eb2d) ^ key.length) >>> 0;
  if (h1 === 0 && h2 === 0) h2 = 1;
  HASH[0] = h1;
  HASH[1] = h2;
}
