// The one e-mail grammar of validate.ts (scanEmail, behind isEmail, the email column's clean and its byte writer)
// against a reference written independently from its description, on random and near-limit addresses.
import fc from 'fast-check';
import { compileColumn, type CellFailure, isEmail } from '../../lambda/core/validate';
import { ByteOut } from '../../lambda/core/byte-out';

const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const LOCAL = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`);
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Local part of atext and single inner dots (1-64), one "@", two or more labels (1-63, no hyphen first or last), 3-254 in all. */
function referenceIsEmail(v: string): boolean {
  if (v.length < 3 || v.length > 254) return false;
  const parts = v.split('@');
  if (parts.length !== 2) return false;
  const [local, domain] = parts;
  if (local.length < 1 || local.length > 64 || !LOCAL.test(local)) return false;
  const labels = domain.split('.');
  return labels.length >= 2 && labels.every((l) => l.length <= 63 && LABEL.test(l));
}

const CHARS = ['a', 'b', 'Z', 'Q', '0', '7', '.', '-', '_', '+', "'", '!', '~', '@', ' ', ',', '"', 'é', '\u212A', '\u00a0', '(', '[', '\\'];
const piece = (maxLength: number) => fc.array(fc.constantFrom(...CHARS.filter((c) => c !== '@')), { maxLength }).map((a) => a.join(''));
/** Runs of one letter, to reach the length limits (64 local, 63 per label, 254 in all). */
const run = fc.tuple(fc.constantFrom('a', 'B', '9'), fc.integer({ min: 0, max: 70 })).map(([c, n]) => c.repeat(n));
const address = fc.oneof(
  fc.array(fc.constantFrom(...CHARS), { maxLength: 16 }).map((a) => a.join('')),
  fc.tuple(piece(10), piece(14)).map(([l, d]) => `${l}@${d}`),
  fc.tuple(fc.oneof(piece(6), run), fc.array(fc.oneof(piece(5), run), { minLength: 1, maxLength: 5 })).map(([l, labels]) => `${l}@${labels.join('.')}`),
);

test('isEmail follows the grammar it documents', () => {
  fc.assert(
    fc.property(address, (v) => {
      expect(isEmail(v)).toBe(referenceIsEmail(v));
    }),
    { numRuns: 5000 },
  );
});

test('the email column cleans and writes exactly the grammar’s addresses, in lower case', () => {
  const column = compileColumn({ name: 'email', type: 'email', required: false }, { delimiter: ',', quote: '"', neutraliseFormulas: false });
  fc.assert(
    fc.property(address, (v) => {
      const ok = referenceIsEmail(v);
      const failure: CellFailure = { code: '', reason: '' };
      const trimmed = v.trim();
      if (trimmed !== v || v === '' || /[,"]/.test(v)) return;
      expect(column.clean(v, failure, true)).toBe(ok ? v.toLowerCase() : undefined);
      const out = new ByteOut(16);
      out.ensure(3 * v.length + 16);
      const written = column.write(v, 0, v.length, out);
      expect(written).toBe(ok);
      if (ok) expect(out.buf.toString('utf8', 0, out.pos)).toBe(v.toLowerCase());
    }),
    { numRuns: 5000 },
  );
});

test('the limits: 64 characters of local part, 63 per label, 254 in all', () => {
  expect(isEmail(`${'l'.repeat(64)}@b.co`)).toBe(true);
  expect(isEmail(`${'l'.repeat(65)}@b.co`)).toBe(false);
  expect(isEmail(`a@${'d'.repeat(63)}.co`)).toBe(true);
  expect(isEmail(`a@${'d'.repeat(64)}.co`)).toBe(false);
  const labels = Array.from({ length: 4 }, () => 'd'.repeat(61)).join('.');
  // local + "@" + labels + ".co"
  expect(`${'l'.repeat(254 - labels.length - 4)}@${labels}.co`).toHaveLength(254);
  expect(isEmail(`${'l'.repeat(254 - labels.length - 4)}@${labels}.co`)).toBe(true);
  expect(isEmail(`${'l'.repeat(255 - labels.length - 4)}@${labels}.co`)).toBe(false);
  expect(isEmail('John.Doe@Example.COM')).toBe(true);
});
