// What the sample files should become, computed by the test itself with simple rules (never through the pipeline's core).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SAMPLE_DIR = path.resolve(__dirname, '../../../sample-data');

/** A plain RFC 4180 split: quotes, doubled quotes, the given delimiter; one physical line per record (the samples have no line breaks in fields). */
export function splitRecord(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

const EMAIL = /^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

function validDay(y: number, m: number, d: number): string | null {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** YYYY-MM-DD, YYYY/MM/DD and DD.MM.YYYY, as the config lists them. */
function signupDate(text: string): string | null {
  let m = /^(\d{4})[-/](\d{2})[-/](\d{2})$/.exec(text);
  if (m) return validDay(+m[1], +m[2], +m[3]);
  m = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(text);
  return m ? validDay(+m[3], +m[2], +m[1]) : null;
}

export interface ExpectedSignup {
  user_id: number;
  full_name: string;
  email: string;
  signup_date: string;
  status: string;
  signup_month: string;
}

export interface Expected<T> {
  readonly rowsIn: number;
  readonly final: T[];
  /** Physical line numbers (1-based) of the rejected records. */
  readonly rejectedLines: number[];
}

/** The sign-ups sample with the config's rules written out by hand. */
export function expectedSignups(file = path.join(SAMPLE_DIR, 'signups.csv')): Expected<ExpectedSignup> {
  const lines = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l !== '');
  const seen = new Set<number>();
  const final: ExpectedSignup[] = [];
  const rejectedLines: number[] = [];
  lines.slice(1).forEach((line, i) => {
    const lineNo = i + 2;
    const c = splitRecord(line, ',').map((v) => v.trim());
    const date = c.length === 5 ? signupDate(c[3]) : null;
    const status = c[4]?.toLowerCase();
    const ok =
      c.length === 5 &&
      /^-?\d+$/.test(c[0]) &&
      c[1] !== '' &&
      c[1].length <= 200 &&
      EMAIL.test(c[2]) &&
      date !== null &&
      ['active', 'inactive', 'pending'].includes(status) &&
      !seen.has(Number(c[0]));
    if (!ok) {
      rejectedLines.push(lineNo);
      return;
    }
    seen.add(Number(c[0]));
    // Formula neutralisation: a text starting with = + - @ gets a leading quote.
    const name = /^[=+\-@\t\r]/.test(c[1]) ? `'${c[1]}` : c[1];
    if (date! >= '2000-01-01') {
      final.push({ user_id: Number(c[0]), full_name: name, email: c[2].toLowerCase(), signup_date: date!, status, signup_month: date!.slice(0, 7) });
    }
  });
  return { rowsIn: lines.length - 1, final: final.sort((a, b) => a.user_id - b.user_id), rejectedLines };
}

export interface ExpectedOrder {
  order_id: number;
  customer_email: string;
  ordered_at: string;
  amount: number;
  currency: string;
  paid: boolean | null;
  order_date: string;
  order_month: string;
}

function orderTimestamp(text: string): string | null {
  let m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (m) return validDay(+m[1], +m[2], +m[3]) && `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
  m = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})$/.exec(text);
  if (m) return validDay(+m[3], +m[2], +m[1]) && `${m[3]}-${m[2]}-${m[1]}T${m[4]}:${m[5]}:00`;
  return null;
}

/**
 * The orders sample: ";"-separated, one preamble line, yes/no booleans. Its amounts are written with a decimal point
 * (19.99, 120.5...), so the column is read with a decimal point only: "1,5" (a decimal comma) is rejected, not read as 1.5.
 */
export function expectedOrders(file = path.join(SAMPLE_DIR, 'orders.csv')): Expected<ExpectedOrder> {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.split(';').length === 6);
  const final: ExpectedOrder[] = [];
  const rejectedLines: number[] = [];
  let rowsIn = 0;
  lines.forEach((line, i) => {
    if (i <= headerIndex || line === '') return;
    rowsIn++;
    const c = splitRecord(line, ';').map((v) => v.trim());
    const ts = c.length === 6 ? orderTimestamp(c[2]) : null;
    const amountText = c[3];
    const amount = /^[+-]?\d+(\.\d+)?$/.test(amountText ?? '') ? Number(amountText) : NaN;
    const paidWord = c[5]?.toLowerCase();
    const paid = paidWord === '' ? null : ['true', 'yes'].includes(paidWord) ? true : ['false', 'no'].includes(paidWord) ? false : undefined;
    const ok =
      c.length === 6 && /^\d+$/.test(c[0]) && EMAIL.test(c[1]) && ts && !Number.isNaN(amount) && ['EUR', 'USD', 'GBP'].includes(c[4]) && paid !== undefined;
    if (!ok) {
      rejectedLines.push(i + 1);
      return;
    }
    if (amount > 0) {
      final.push({
        order_id: Number(c[0]),
        customer_email: c[1].toLowerCase(),
        ordered_at: ts!,
        amount,
        currency: c[4],
        paid: paid!,
        order_date: ts!.slice(0, 10),
        order_month: ts!.slice(0, 7),
      });
    }
  });
  return { rowsIn, final: final.sort((a, b) => a.order_id - b.order_id), rejectedLines };
}

/** Counts per key, sorted by count desc then key (the order the configured queries use). */
export function countBy<T>(rows: readonly T[], key: (row: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** The Monday that starts the ISO week of a YYYY-MM-DD day. */
export function isoWeekStart(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86400000).toISOString().slice(0, 10);
}
