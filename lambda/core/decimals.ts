// One decimal convention per decimal column, decided on the sample (decimal point or decimal comma), and each cell
// read with that convention only: a value is never read one way in one row and the other way in the next.

/** "point": 1,234.56 and 12.5 (comma groups); "comma": 1.234,56 and 12,5 (dot groups). */
export type DecimalConvention = 'point' | 'comma';

/** How a decimal column is read, and why (reported in the column plan: ColumnReport.decimal). */
export interface DecimalDecision {
  readonly convention: DecimalConvention;
  /**
   * "delimiter": a comma-delimited file, where a decimal comma cannot be written unquoted (always the point);
   * "sample": decided on the sample's values; "no-evidence": no sample value tells (the point, and both 1,234 and
   * 1.234 rejected as ambiguous).
   */
  readonly basis: 'delimiter' | 'sample' | 'no-evidence';
  /** The figures the decision rests on, in words. */
  readonly evidence: string;
}

const POINT_NUMBER = /^[+-]?(?:\d*(?:\.\d*)?|\d{1,3}(?:,\d{3})+(?:\.\d*)?)(?:[eE][+-]?\d{1,4})?$/;
const COMMA_NUMBER = /^[+-]?(?:\d*(?:,\d*)?|\d{1,3}(?:\.\d{3})+(?:,\d*)?)(?:[eE][+-]?\d{1,4})?$/;
const HAS_DIGIT = /\d/;
/** A lone thousands group: read 1000 times apart by the two conventions. */
const LONE_COMMA_GROUP = /^[+-]?\d{1,3},\d{3}$/;
const LONE_DOT_GROUP = /^[+-]?\d{1,3}\.\d{3}$/;

/** Whether a trimmed value is a number with a decimal point, with a decimal comma, or both (1,234 and 1.234 read both ways). */
function readings(t: string): { point: boolean; comma: boolean } {
  const digits = HAS_DIGIT.test(t);
  return { point: digits && POINT_NUMBER.test(t), comma: digits && COMMA_NUMBER.test(t) };
}

/** Reads a decimal written in `convention` as plain "-1234.5" text (separators removed, the point as decimal mark); undefined when it is not one. */
export function toPointText(t: string, convention: DecimalConvention): string | undefined {
  if (convention === 'point') {
    if (t.indexOf(',') === -1) return t;
    return POINT_NUMBER.test(t) ? t.replace(/,/g, '') : undefined;
  }
  if (t.indexOf('.') === -1 && t.indexOf(',') === -1) return t;
  return COMMA_NUMBER.test(t) && HAS_DIGIT.test(t) ? t.replace(/\./g, '').replace(',', '.') : undefined;
}

/** Decides a decimal column's convention from its sample values (trimmed, non-empty) and the file's delimiter. */
export function decideDecimal(values: readonly string[], delimiter: string): DecimalDecision {
  if (delimiter === ',')
    return { convention: 'point', basis: 'delimiter', evidence: 'decimal point: the file is comma-delimited, so a decimal comma is not read' };
  let pointOnly = 0;
  let commaOnly = 0;
  let firstPoint = '';
  let firstComma = '';
  for (const v of values) {
    const r = readings(v);
    if (r.point && !r.comma && pointOnly++ === 0) firstPoint = v;
    if (r.comma && !r.point && commaOnly++ === 0) firstComma = v;
  }
  const counts = `${commaOnly} sample value${commaOnly === 1 ? '' : 's'} only valid with a decimal comma${commaOnly ? ` (first ${JSON.stringify(firstComma)})` : ''}, ${pointOnly} only valid with a decimal point${pointOnly ? ` (first ${JSON.stringify(firstPoint)})` : ''}`;
  if (commaOnly === 0 && pointOnly === 0) {
    return {
      convention: 'point',
      basis: 'no-evidence',
      evidence: `decimal point: no sample value tells the convention (${values.length} values); a value like "1,234" or "1.234" is rejected as ambiguous`,
    };
  }
  // The README's rule: a non-comma delimiter with decimal-comma values means decimal comma, unless decimal-point values outnumber them.
  const convention: DecimalConvention = commaOnly >= pointOnly ? 'comma' : 'point';
  const lone = convention === 'comma' ? '"1.234"' : '"1,234"';
  return {
    convention,
    basis: 'sample',
    evidence: `decimal ${convention}: ${counts}; values of the other convention, and ${lone} (a thousands group or a decimal), are rejected`,
  };
}

/** The check of a value that `toPointText` read: true when the two conventions read it 1000 times apart and the decision cannot tell which is meant. */
export function ambiguousIn(decision: DecimalDecision): ((t: string) => boolean) | undefined {
  if (decision.basis === 'delimiter') return undefined;
  if (decision.basis === 'no-evidence') return (t) => LONE_COMMA_GROUP.test(t) || LONE_DOT_GROUP.test(t);
  const lone = decision.convention === 'point' ? LONE_COMMA_GROUP : LONE_DOT_GROUP;
  return (t) => lone.test(t);
}

/** Why `t` is not a decimal of the column (for the reject's reason): the value, the convention and the fix. */
export function decimalProblem(name: string, shown: string, t: string, decision: DecimalDecision): string {
  const mark = `decimal ${decision.convention}`;
  const basis =
    decision.basis === 'delimiter'
      ? 'the file is comma-delimited'
      : decision.basis === 'sample'
        ? 'decided on the sample: see the column in the report'
        : 'no sample value told the convention';
  const why = `this column is read with a ${mark} (${basis})`;
  const r = readings(t);
  const example = decision.convention === 'point' ? '-1234.5 or 1,234.5' : '-1234,5 or 1.234,5';
  if (r.point && r.comma) {
    const fraction =
      decision.basis === 'no-evidence'
        ? ''
        : ` or with its decimals (${decision.convention === 'point' ? t.replace(',', '.') : t.replace('.', ',')}) if it is a fraction`;
    return `${name}: ${shown} is ambiguous: a thousands separator or a decimal mark, read 1000 times apart; ${why}; write it without the separator (${t.replace(/[.,]/, '')}) if it is a whole number${fraction}`;
  }
  if (decision.convention === 'point' ? r.comma : r.point) {
    const other = decision.convention === 'point' ? 'decimal comma' : 'decimal point';
    return `${name}: ${shown} is written with a ${other}, which is not read in this column: ${why}; write it like ${example}, or fix the export's decimal setting`;
  }
  return `${name}: ${shown} is not a decimal number (like ${example}; ${why})`;
}

/** The decision for each decimal column found in the file, by output column name, from the sample rows' values. */
export function decideDecimals(
  columns: readonly { readonly spec: { readonly name: string; readonly type: string }; readonly sourceIndex: number }[],
  rows: readonly (readonly string[])[],
  delimiter: string,
): Record<string, DecimalDecision> {
  const decisions: Record<string, DecimalDecision> = {};
  for (const c of columns) {
    if (c.spec.type !== 'decimal' || c.sourceIndex < 0) continue;
    const values = rows.map((r) => (r[c.sourceIndex] ?? '').trim()).filter((v) => v !== '');
    decisions[c.spec.name] = decideDecimal(values, delimiter);
  }
  return decisions;
}
