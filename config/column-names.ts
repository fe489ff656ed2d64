// The one rule for column names: which names the pipeline reserves (lineage, internal, rename and derive targets), decided here for the config loader and the Lambda.
//
// The rule (glue-scripts/TRANSFORMS.md, "Column names"): a file whose header would give a column a reserved name is
// quarantined with reason RESERVED_COLUMN (the dataset keeps working with the next file); a config that declares one
// is refused at load. Internal names start with INTERNAL_PREFIX, which no column name can: config names and the
// names the Lambda makes from headers (lambda/core/header.ts identifierFrom) start with a letter.
import { LINEAGE_COLUMNS } from './layout';
import type { DatasetConfig } from './schema';

/** The prefix of every internal column name the engines add while they run; unreachable for data columns. */
export const INTERNAL_PREFIX = '__';

/** Internal per-row columns both engines add before the transform and never write (glue-scripts reads them from the plan). */
export const INTERNAL_COLUMNS = {
  /** The processed file's path (or URI). */
  path: '__source_file_path',
  /** The processed file's modification time. */
  mtime: '__source_file_mtime',
  /** The row's position in its file (orders the rows of a file). */
  row: '__source_file_line',
  /** The processed file's base name (what source_file holds). */
  file: '__source_file_name',
  /** Marks an existing final row that this run replaces. */
  stale: '__stale',
} as const;

/** Lineage column names (config/layout.ts LINEAGE_COLUMNS). */
export const LINEAGE_NAMES: readonly string[] = LINEAGE_COLUMNS.map((c) => c.name);

/** Header names compare case-, space- and underscore-insensitively: "Signup Date" = "signup_date" = "SIGNUPDATE". */
export function normaliseHeaderName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '');
}

/**
 * Column names a file's own columns may not take in this dataset (undefined: a file of no dataset, inferred mode),
 * each with what reserves it: the lineage columns, the new names of transforms.rename, the derived columns.
 * Names starting with INTERNAL_PREFIX are reserved too (reservedColumnReason checks the prefix).
 */
export function reservedColumnNames(dataset: DatasetConfig | undefined): Map<string, string> {
  const reserved = new Map<string, string>(LINEAGE_NAMES.map((n) => [n, 'a lineage column the transform adds to every row']));
  if (!dataset) return reserved;
  for (const [from, to] of Object.entries(dataset.transforms.rename)) {
    if (!reserved.has(to)) reserved.set(to, `the new name of column "${from}" (transforms.rename)`);
  }
  dataset.transforms.derive.forEach((d, i) => {
    if (!reserved.has(d.name)) reserved.set(d.name, `the derived column transforms.derive[${i}]`);
  });
  return reserved;
}

/** Why a column name is reserved in this dataset, or undefined when a file's column may take it. */
export function reservedColumnReason(name: string, reserved: ReadonlyMap<string, string>): string | undefined {
  if (name.startsWith(INTERNAL_PREFIX)) return `an internal column name (names starting with "${INTERNAL_PREFIX}" are the engines')`;
  return reserved.get(name);
}

/**
 * The RESERVED_COLUMN quarantine reason for a header cell that would become a reserved column: names the header,
 * the column, what reserves it and the two fixes.
 */
export function reservedColumnMessage(header: string, position: number, column: string, why: string, dataset: DatasetConfig | undefined): string {
  const where = dataset ? `dataset "${dataset.name}"` : 'the inferred table';
  const fix = dataset
    ? `rename the header in the file, or declare it in ${where} under another name with the header as an alias, e.g. {"name": "${column}_in_file", "type": "string", "aliases": [${JSON.stringify(header)}]} (or set extraColumns to "drop")`
    : `rename the header in the file, or add a dataset for these files that declares it under another name with the header as an alias`;
  return `the header ${JSON.stringify(header)} (column ${position + 1}) would become column "${column}", which is reserved in ${where}: ${why}; ${fix}`;
}
