// The end of a file's body (footer rejects, footer lines, notes on blank lines and formulas): one pure function, so the
// one-thread core and the merge of blocks read by worker threads (local/parallel-preprocess.ts) end a file the same way.

/** A record that looks like a footer: rejected as FOOTER if only footers follow it, else with its own reason. */
export interface PendingRecord {
  readonly line: number;
  readonly raw: string;
  readonly blanksBefore: number;
  readonly code: string;
  readonly column: string;
  readonly reason: string;
  /** Why it looks like a footer. */
  readonly evidence: string;
}

export interface BodyEnd {
  /** Lines of the footer: its records, the blank lines before them and the blank lines at the end. */
  readonly footerLines: number;
  /** The FOOTER rejects, in order: [line, reason, raw]. */
  readonly footerRejects: { line: number; reason: string; raw: string }[];
  /** Notes to add to the report, in order. */
  readonly notes: string[];
}

/** What is left when the last record was read: the records held as a possible footer are the footer. */
export function endOfBody(pending: readonly PendingRecord[], blankRun: number, bodyBlankLines: number, neutralised: number): BodyEnd {
  let footerLines = blankRun;
  const notes: string[] = [];
  const footerRejects = pending.map((p) => ({ line: p.line, reason: `a footer after the last row, not data: ${p.evidence}`, raw: p.raw }));
  if (pending.length) {
    footerLines += pending.reduce((n, p) => n + 1 + p.blanksBefore, 0);
    notes.push(
      `${pending.length} footer record${pending.length > 1 ? 's' : ''} after the last row rejected as FOOTER: ${pending.map((p) => `line ${p.line} ${JSON.stringify(p.raw.slice(0, 80))}`).join(', ')}`,
    );
  }
  if (bodyBlankLines) notes.push(`${bodyBlankLines} blank line${bodyBlankLines > 1 ? 's' : ''} between rows skipped`);
  if (blankRun) notes.push(`${blankRun} blank line${blankRun > 1 ? 's' : ''} at the end skipped`);
  if (neutralised)
    notes.push(
      `${neutralised} value${neutralised > 1 ? 's' : ''} starting with = + - or @ prefixed with ' so spreadsheets do not run them as formulas (ingest.neutraliseFormulas)`,
    );
  return { footerLines, footerRejects, notes };
}
