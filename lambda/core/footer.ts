// Tells a footer (a total or export note after the last row) from data, so trailing records are never dropped as one by mistake.

/** A first cell that starts a summary line: Total, Totals, Grand total, Subtotal, Sum, Count:, Rows:, "3 rows", End of report. */
export const TOTAL_LIKE =
  /^(?:(?:grand\s+|sub-?)?totals?\b|sum(?:me)?\b|gesamt|count\s*:|rows?\s*:|\d+\s+(?:rows?|records?)\b|end of (?:report|file|data|export)\b)/i;

/** Trailing records that look like a footer rejected as FOOTER instead of with their own reason. */
export const MAX_FOOTER_RECORDS = 5;

/** For each field position: a check that a value has its column's type, or undefined for a string column (no evidence). */
export type TypeChecks = readonly (((value: string) => boolean) | undefined)[];

/**
 * Why a record that would be rejected looks like a footer rather than data, or undefined when it may be data.
 * A footer is only what is clearly not data: its first non-empty cell is a total or summary label; or it has
 * fewer fields than the rows and none of its typed values fits its column's type. A short record whose values
 * fit the columns (a row lacking its last fields) is data.
 */
export function footerEvidence(fields: readonly string[], count: number, width: number, checks: TypeChecks): string | undefined {
  let first = '';
  for (let j = 0; j < count && !first; j++) first = fields[j].trim();
  if (TOTAL_LIKE.test(first)) return `its first value ${JSON.stringify(first.slice(0, 40))} is a total or summary label`;
  if (count >= width) return undefined;
  const misfits: string[] = [];
  let typed = 0;
  for (let j = 0; j < count; j++) {
    const v = fields[j].trim();
    const check = checks[j];
    if (!v || !check) continue;
    typed++;
    if (check(v)) return undefined;
    misfits.push(`${JSON.stringify(v.slice(0, 40))} in column ${j + 1}`);
  }
  if (!typed) return undefined;
  return `it has ${count} field${count === 1 ? '' : 's'} where the rows have ${width}, and none of its values has its column's type (${misfits.join(', ')})`;
}

/** A record with no value in any field (a blank line, or a line of only delimiters such as `;;;;;`): skipped like a blank line, never a row. */
export function isBlankRecord(fields: readonly string[], count: number): boolean {
  for (let j = 0; j < count; j++) if (fields[j].trim() !== '') return false;
  return true;
}

/**
 * The sample's records without the footer the core would reject at the end of the file (inferred mode, before
 * the types are inferred, so a `Total` line does not make its column a string): when `atEnd` (the sample holds the
 * whole file), up to `max` trailing records that look like a footer without the types (a total or summary label),
 * with the blank records among them. Other records are returned as they are.
 */
export function withoutFooter<T extends { readonly fields: readonly string[] }>(
  records: readonly T[],
  width: number,
  atEnd: boolean,
  max: number,
): readonly T[] {
  if (!atEnd) return records;
  let cut = records.length;
  let footers = 0;
  for (let i = records.length - 1; i >= 0 && footers < max; i--) {
    const fields = records[i].fields;
    if (isBlankRecord(fields, fields.length)) continue;
    if (footerEvidence(fields, fields.length, width, []) === undefined) break;
    footers++;
    cut = i;
  }
  return cut === records.length ? records : records.slice(0, cut);
}
