// Renders query results for the terminal (aligned text), for programs (JSON rows) and for spreadsheets (RFC 4180 CSV).
import { stringify } from 'csv-stringify/sync';

function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** An aligned text table with a header rule and a row count; long cells are cut at `maxWidth`, rows after `maxRows` are counted, not shown. */
export function formatTextTable(columns: readonly string[], rows: readonly unknown[][], { maxWidth = 60, maxRows = Infinity } = {}): string {
  const cells = rows.slice(0, maxRows).map((r) => r.map(cellText));
  const widths = columns.map((c, i) => Math.min(maxWidth, Math.max(c.length, ...cells.map((r) => r[i].length))));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === null || typeof r[i] === 'number'));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => {
        const text = v.length > widths[i] ? `${v.slice(0, widths[i] - 1)}…` : v;
        return numeric[i] ? text.padStart(widths[i]) : text.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  const more = rows.length > cells.length ? [`... ${rows.length - cells.length} more row(s)`] : [];
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), ...more, `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join(
    '\n',
  );
}

/** One JSON object per row, keyed by column name. */
export function formatJson(columns: readonly string[], rows: readonly unknown[][]): string {
  return JSON.stringify(
    rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))),
    null,
    2,
  );
}

/** RFC 4180 CSV with a header; null is an empty field. */
export function formatCsv(columns: readonly string[], rows: readonly unknown[][]): string {
  return stringify([columns, ...rows.map((r) => r.map((v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))))], {
    record_delimiter: '\n',
  });
}
