// Test helper: reads a rejects file the way the <dataset>_rejects table does (Hadoop TextInputFormat lines, then the Hive JSON SerDe per line).
import { REJECT_COLUMNS } from '../../config/layout';
import type { RejectedRow } from '../../lambda/core/rejects-jsonl';

/**
 * Splits `text` into lines as Hadoop's TextInputFormat (LineRecordReader) does: at LF, CR or CRLF; the
 * line after a final line end is not a record. Each line must be one JSON object with exactly the
 * REJECT_COLUMNS keys, `line` a number and the others strings (what the table's column types need);
 * anything else throws, naming the line, so a broken row can never pass as a good one.
 */
export function readRejectsAsTable(text: string): RejectedRow[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`the rejects file does not end with a line end: ${JSON.stringify(text.slice(-40))}`);
  const lines = text.slice(0, -1).split(/\r\n|\r|\n/);
  const names = REJECT_COLUMNS.map((c) => c.name);
  return lines.map((line, i) => {
    const row = JSON.parse(line) as Record<string, unknown>;
    const problem =
      row === null || typeof row !== 'object' || Array.isArray(row)
        ? 'is not a JSON object'
        : JSON.stringify(Object.keys(row)) !== JSON.stringify(names)
          ? `has the keys ${Object.keys(row).join(', ')}`
          : REJECT_COLUMNS.find((c) => typeof row[c.name] !== (c.type === 'bigint' ? 'number' : 'string'))?.name;
    if (problem) throw new Error(`line ${i + 1} of the rejects file ${problem.includes(' ') ? problem : `has a wrong type for ${problem}`}: ${line}`);
    return row as unknown as RejectedRow;
  });
}
