// The report every preprocessing run produces: the contract between the core, the handler, the CLI and the local pipeline.
import type { DecimalDecision } from './decimals';

/** How the reader decided to read a file; every choice is reported, never silent. */
export interface ReadChoices {
  /** "utf-8", "utf-8-bom", "utf-16le", "utf-16be" or "windows-1252". */
  readonly encoding: string;
  /** 0-1: how well the whole 64 KiB sample fits the encoding (1: a BOM or ASCII only; see lambda/core/encoding.ts). */
  readonly encodingConfidence: number;
  readonly delimiter: string;
  /** The file writes a space after each delimiter (`1, "Doe, John"`); it is skipped before a quoted field. */
  readonly spaceAfterDelimiter: boolean;
  readonly quote: string;
  /** "LF", "CRLF" or "CR". */
  readonly lineEnding: string;
  /** Lines skipped above the header (above the first row when there is no header). */
  readonly preambleLines: number;
  /** The header as found in the file, before normalisation (two lines joined; a trailing delimiter's empty name removed); [] when absent. */
  readonly header: readonly string[];
  /** "present" (one line), "two-lines" (group titles joined to the names below), "repeated" (the names written twice, used once) or "absent". */
  readonly headerKind: 'present' | 'two-lines' | 'repeated' | 'absent';
  /** Physical lines of the header ([] when absent). */
  readonly headerLines: readonly number[];
  /** Records end with a delimiter whose empty field belongs to no column (it is ignored; a value there rejects the row). */
  readonly trailingDelimiter: boolean;
  /** Lines skipped at the end (footers, blank lines). */
  readonly footerLines: number;
  /** Why each choice above was made, in words, with the figures it rests on. */
  readonly evidence: ReadEvidence;
}

/** The evidence behind each reading decision (one sentence each; wording may change, the keys do not). */
export interface ReadEvidence {
  /** Valid and invalid UTF-8 sequences counted in the sample, or the BOM, or the UTF-16 NUL pattern. */
  readonly encoding: string;
  /** How many sample records the chosen delimiter and quote split into the usual number of fields. */
  readonly dialect: string;
  /** Why this line is the header (or why there is none): its cells against the types of the rows below, or the dataset's names. */
  readonly header: string;
}

/** One column as the core read it: declared by the dataset config, or inferred when there is none. */
export interface ColumnReport {
  readonly name: string;
  readonly sourceName: string;
  readonly type: string;
  readonly inferred: boolean;
  /**
   * Decimal columns only: how the column's decimals are read, decided once on the sample (lambda/core/decimals.ts):
   * `convention` "point" (1,234.56) or "comma" (1.234,56), `basis` ("delimiter", "sample", "no-evidence") and the
   * `evidence` (how many sample values only one convention reads). A cell of the other convention, or one it cannot
   * tell (1,234 / 1.234), is rejected INVALID_DECIMAL, never read the other way.
   */
  readonly decimal?: DecimalDecision;
}

export interface PreprocessReport {
  /** The input as named by the caller (S3 key or local path). */
  readonly source: string;
  /** The dataset the file was validated against, or null when read without one (inferred mode). */
  readonly dataset: string | null;
  /** "processed" (rows written, maybe some rejected) or "quarantined" (the whole file could not be read). */
  readonly outcome: 'processed' | 'quarantined';
  /** For a quarantined file: a stable code and a human reason. */
  readonly fileError?: { readonly code: string; readonly reason: string };
  readonly read?: ReadChoices;
  readonly columns?: readonly ColumnReport[];
  /** Always rowsIn = rowsValid + rowsRejected. */
  readonly rowsIn: number;
  readonly rowsValid: number;
  readonly rowsRejected: number;
  /** Rejected rows by reason code. */
  readonly rejectedByReason: Readonly<Record<string, number>>;
  /** Notes on what was inferred, dropped or changed (e.g. extra columns dropped, formulas neutralised). */
  readonly notes: readonly string[];
  readonly bytesIn: number;
  readonly durationMs: number;
}
