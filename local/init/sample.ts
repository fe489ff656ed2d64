// Reads a sample file's cells as the core reads them (encoding, dialect, header, preamble and footer by lambda/core), for `init` to infer from.
import { reservedColumnNames, reservedColumnReason } from '../../config/column-names';
import { identifierFrom, uniqueNames } from '../../lambda/core/header';
import type { ReadChoices } from '../../lambda/core/report';
import { MAX_FOOTER_RECORDS } from '../../lambda/core/preprocess';
import { withoutFooter } from '../../lambda/core/footer';
import { configWith, type IngestInput, type RejectRow, runCore } from './run-core';

/** A file `init` cannot read, with the reason and the fix (the CLI exits 1 with this message). */
export class InitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitError';
  }
}

export interface SampleColumn {
  /** A safe column name (the core's inferred-mode name: lower case, [a-z0-9_]). */
  readonly name: string;
  /** The header cell it was named from ('' when the file has no header). */
  readonly header: string;
}

export interface SampleTable {
  readonly read: ReadChoices;
  readonly columns: readonly SampleColumn[];
  /** Each data row's cells, trimmed, as the core reads them (rows the core rejects whatever the columns are left out). */
  readonly rows: readonly (readonly string[])[];
  /** Rows the core rejects whatever the column rules (wrong field count, bad quotes, bad bytes, footers). */
  readonly structuralRejects: readonly RejectRow[];
  /** Trailing total/summary records left out of the inference (the core rejects them as FOOTER). */
  readonly footerRows: number;
}

/** The placeholder dataset of the inferred-mode pass (the core needs a config; it reads no dataset in that mode). */
const PLACEHOLDER = { name: 'init_sample', columns: [{ name: 'value', type: 'string' as const }] };

/** Column names from the header as the core makes them, a reserved one (config/column-names.ts) given the suffix "_in_file". */
function columnsAvoidingReserved(read: ReadChoices): { name: string; header: string }[] {
  const reserved = reservedColumnNames(undefined);
  const names = read.header.map((h, j) => {
    const name = identifierFrom(h, j);
    return reservedColumnReason(name, reserved) ? `${name}_in_file` : name;
  });
  return uniqueNames(names).map((name, j) => ({ name, header: read.header[j] }));
}

/**
 * Reads `bytes` twice with the core: in inferred mode for the header, the dialect and safe column names; then with
 * every column a plain optional string (formulas not neutralised), which writes each cell trimmed and rejects only
 * what no column rule can let through.
 */
export async function readSample(bytes: Uint8Array, source: string, ingest: IngestInput = {}): Promise<SampleTable> {
  if (bytes.length === 0) throw new InitError(`${source} is empty (0 bytes); give a CSV file with a header row and some data rows`);
  const inferred = await runCore(bytes, configWith(PLACEHOLDER, ingest), source, true);
  const report = inferred.report;
  // A header the core would name like a reserved column (RESERVED_COLUMN): the dataset init writes declares it
  // under another name with the header as an alias, the fix the quarantine reason gives.
  const renamed = report.fileError?.code === 'RESERVED_COLUMN' && report.read ? columnsAvoidingReserved(report.read) : undefined;
  if (!renamed && (report.outcome === 'quarantined' || !report.read || !report.columns)) {
    const error = report.fileError ?? { code: 'UNREADABLE', reason: 'the core could not read it' };
    throw new InitError(`${source} cannot be read as CSV: ${error.code}: ${error.reason}`);
  }
  const read = report.read!;
  const columns = renamed ?? report.columns!.map((c) => ({ name: c.name, header: read.headerKind === 'absent' ? '' : c.sourceName }));
  const strings = {
    name: PLACEHOLDER.name,
    header: read.headerKind === 'absent' ? ('absent' as const) : ('auto' as const),
    columns: columns.map((c) => ({ name: c.name, type: 'string' as const, ...(c.header && c.header !== c.name ? { aliases: [c.header] } : {}) })),
  };
  const plain = await runCore(bytes, configWith(strings, { ...ingest, neutraliseFormulas: false }), source);
  if (plain.report.outcome === 'quarantined') {
    const error = plain.report.fileError!;
    throw new InitError(
      `${source}: the core cannot match the header to columns named from it (${error.code}: ${error.reason}); rename the header cells so each is unique and not empty`,
    );
  }
  const dataRows = plain.valid.slice(1);
  if (dataRows.length === 0) {
    throw new InitError(
      `${source} has no data rows the core accepts (${plural(plain.rejects.length, 'row')} rejected${firstReject(plain.rejects)}); init needs sample rows to infer the columns: add rows below the header`,
    );
  }
  const kept = withoutFooter(
    dataRows.map((fields) => ({ fields })),
    columns.length,
    true,
    MAX_FOOTER_RECORDS,
  ).map((r) => r.fields);
  return { read, columns, rows: kept, structuralRejects: plain.rejects, footerRows: dataRows.length - kept.length };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function firstReject(rejects: readonly RejectRow[]): string {
  return rejects.length ? `, the first at line ${rejects[0].line}: ${rejects[0].reason_code}, ${rejects[0].reason}` : '';
}
