// Maps a file's header onto the dataset's columns (names, aliases, missing, unknown and duplicate columns), or infers columns.
import { normaliseHeaderName, reservedColumnMessage, reservedColumnNames, reservedColumnReason } from '../../config/column-names';
import type { DatasetConfig } from '../../config/schema';
import type { ColumnReport } from './report';
import type { ColumnSpec } from './validate';
import { DEFAULT_TIMESTAMP_FORMATS, compileDateFormat, type DateParts } from './dates';
import { isEmail, normaliseDecimal, normaliseInteger } from './validate';

/** One output column: what to write and where it comes from in the file (-1: not in the file, written empty). */
export interface OutputColumn {
  readonly spec: ColumnSpec;
  readonly sourceIndex: number;
  readonly report: ColumnReport;
}

export type HeaderPlan =
  | { readonly ok: true; readonly columns: readonly OutputColumn[]; readonly notes: readonly string[] }
  | { readonly ok: false; readonly code: 'HEADER_MISMATCH' | 'DUPLICATE_HEADER' | 'RESERVED_COLUMN'; readonly reason: string };

/** Header names compare case-, space- and underscore-insensitively (defined with the column-name rule in config/). */
export { normaliseHeaderName };

/**
 * The column-name rule (config/column-names.ts): a file whose own columns would take a reserved name (a lineage
 * column, a rename or derive target, an internal "__" name) is quarantined RESERVED_COLUMN, so the dataset's
 * transform never meets the collision. `own` lists the file's columns that are not declared ones: [header index, column name].
 */
function reservedColumnQuarantine(
  own: readonly (readonly [number, string])[],
  header: readonly string[],
  dataset: DatasetConfig | undefined,
): HeaderPlan | undefined {
  const reserved = reservedColumnNames(dataset);
  for (const [j, name] of own) {
    const why = reservedColumnReason(name, reserved);
    if (why) return { ok: false, code: 'RESERVED_COLUMN', reason: reservedColumnMessage(header[j], j, name, why, dataset) };
  }
  return undefined;
}

/** A Glue/Athena-safe column name from a header cell: lower case, [a-z0-9_], starting with a letter. */
export function identifierFrom(name: string, position: number): string {
  let id = name
    .trim()
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!id) id = `column_${position + 1}`;
  if (!/^[a-z]/.test(id)) id = `c_${id}`;
  return id.slice(0, 128);
}

/** Names made unique by a suffix _2, _3... on the later ones. */
export function uniqueNames(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let k = 2; seen.has(name); k++) name = `${n}_${k}`;
    seen.add(name);
    return name;
  });
}

const show = (s: string) => JSON.stringify(s);
/** A header cell for messages: its text, or its position when it has none (a trailing delimiter, say). */
const showHeader = (header: readonly string[], j: number) => (header[j] === '' ? `an unnamed column (column ${j + 1})` : show(header[j]));

/** Matches the header against the dataset; missing required or (with extraColumns "reject") unknown columns fail the file. */
export function planForDataset(dataset: DatasetConfig, header: readonly string[]): HeaderPlan {
  const byName = new Map<string, number>();
  dataset.columns.forEach((c, i) => {
    for (const n of [c.name, ...c.aliases]) if (!byName.has(normaliseHeaderName(n))) byName.set(normaliseHeaderName(n), i);
  });
  const sourceOf = new Array<number>(dataset.columns.length).fill(-1);
  const unknown: number[] = [];
  const duplicates: string[] = [];
  header.forEach((h, j) => {
    const i = byName.get(normaliseHeaderName(h));
    if (i === undefined) unknown.push(j);
    else if (sourceOf[i] !== -1)
      duplicates.push(`${show(header[sourceOf[i]])} (column ${sourceOf[i] + 1}) and ${show(h)} (column ${j + 1}) both map to "${dataset.columns[i].name}"`);
    else sourceOf[i] = j;
  });
  if (duplicates.length) {
    return { ok: false, code: 'DUPLICATE_HEADER', reason: `the header names a column twice: ${duplicates.join('; ')}; remove or rename one of them` };
  }
  const missingRequired = dataset.columns.filter((c, i) => c.required && sourceOf[i] === -1);
  const problems: string[] = [];
  if (missingRequired.length) {
    problems.push(
      `missing required column${missingRequired.length > 1 ? 's' : ''} ${missingRequired.map((c) => c.name + (c.aliases.length ? ` (or ${c.aliases.map(show).join(', ')})` : '')).join(', ')}`,
    );
  }
  if (unknown.length && dataset.extraColumns === 'reject') {
    problems.push(
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((j) => showHeader(header, j)).join(', ')} (set extraColumns to "drop" or "keep" in dataset "${dataset.name}", or add them as aliases)`,
    );
  }
  if (problems.length) {
    return {
      ok: false,
      code: 'HEADER_MISMATCH',
      reason: `the header does not match dataset "${dataset.name}": ${problems.join('; ')}; header found: ${header.map(show).join(', ')}`,
    };
  }
  const notes: string[] = [];
  const columns: OutputColumn[] = dataset.columns.map((c, i) => ({
    spec: c,
    sourceIndex: sourceOf[i],
    report: { name: c.name, sourceName: sourceOf[i] === -1 ? '' : header[sourceOf[i]], type: c.type, inferred: false },
  }));
  const missingOptional = dataset.columns.filter((_c, i) => sourceOf[i] === -1);
  if (missingOptional.length)
    notes.push(`optional column${missingOptional.length > 1 ? 's' : ''} not in the file, written empty: ${missingOptional.map((c) => c.name).join(', ')}`);
  if (unknown.length && dataset.extraColumns === 'drop')
    notes.push(`extra columns dropped (extraColumns "drop"): ${unknown.map((j) => showHeader(header, j)).join(', ')}`);
  if (unknown.length && dataset.extraColumns === 'keep') {
    const taken = dataset.columns.map((c) => c.name);
    const names = uniqueNames([...taken, ...unknown.map((j) => identifierFrom(header[j], j))]).slice(taken.length);
    const quarantine = reservedColumnQuarantine(
      unknown.map((j, k) => [j, names[k]] as const),
      header,
      dataset,
    );
    if (quarantine) return quarantine;
    unknown.forEach((j, k) => {
      columns.push({
        spec: { name: names[k], type: 'string', required: false },
        sourceIndex: j,
        report: { name: names[k], sourceName: header[j], type: 'string', inferred: true },
      });
    });
    notes.push(`extra columns kept as strings (extraColumns "keep"): ${unknown.map((j, k) => `${show(header[j])} as ${names[k]}`).join(', ')}`);
  }
  return { ok: true, columns, notes };
}

export const INFER_DATE_FORMATS = ['YYYY-MM-DD', 'YYYY/MM/DD', 'DD.MM.YYYY', 'DD/MM/YYYY', 'MM/DD/YYYY'];
const INFER_TIMESTAMP_FORMATS = DEFAULT_TIMESTAMP_FORMATS.filter((f) => f !== 'YYYY-MM-DD');
const INFER_BOOLEANS = new Set(['true', 'false', 'yes', 'no']);

/**
 * Inferred mode: names from the header (made safe and unique), types from the sample rows. A type is chosen
 * only when every non-empty sample value has it; ambiguous day/month orders stay strings. Every choice is noted.
 */
export function planInferred(header: readonly string[], rows: readonly (readonly string[])[], delimiter: string): HeaderPlan {
  const names = uniqueNames(header.map((h, j) => identifierFrom(h, j)));
  const quarantine = reservedColumnQuarantine(
    names.map((n, j) => [j, n] as const),
    header,
    undefined,
  );
  if (quarantine) return quarantine;
  const notes: string[] = [`no dataset config: ${header.length} columns and their types inferred from the header and the first ${rows.length} data rows`];
  const columns: OutputColumn[] = header.map((h, j) => {
    const values = rows.map((r) => (r[j] ?? '').trim()).filter((v) => v !== '');
    const { spec, note } = inferColumn(names[j], values, delimiter);
    if (note) notes.push(note);
    if (names[j] !== h) notes.push(`column ${show(h)} renamed ${names[j]}`);
    return { spec, sourceIndex: j, report: { name: names[j], sourceName: h, type: spec.type, inferred: true } };
  });
  return { ok: true, columns, notes };
}

function inferColumn(name: string, values: readonly string[], delimiter: string): { spec: ColumnSpec; note?: string } {
  const spec = (type: ColumnSpec['type'], formats?: string[]): ColumnSpec => ({ name, type, required: false, ...(formats ? { formats } : {}) });
  if (!values.length) return { spec: spec('string'), note: `${name}: no values in the sample, read as string` };
  const leadingZero = (v: string) => /^[+-]?0\d/.test(v);
  if (values.every((v) => normaliseInteger(v) !== undefined && !leadingZero(v))) return { spec: spec('integer') };
  if (values.every((v) => normaliseDecimal(v, delimiter !== ',') !== undefined && !leadingZero(v))) return { spec: spec('decimal') };
  if (values.every((v) => INFER_BOOLEANS.has(v.toLowerCase()))) return { spec: spec('boolean') };
  const parts: DateParts = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, ms: 0 };
  const dateFits = INFER_DATE_FORMATS.filter((f) => {
    const parse = compileDateFormat(f);
    return values.every((v) => parse(v, parts));
  });
  if (dateFits.length) {
    const slash = dateFits.filter((f) => f === 'DD/MM/YYYY' || f === 'MM/DD/YYYY');
    if (slash.length === 2 && dateFits.length === 2)
      return {
        spec: spec('string'),
        note: `${name}: dates fit both DD/MM/YYYY and MM/DD/YYYY, read as string (declare the column with its format in a dataset)`,
      };
    return { spec: spec('date', [dateFits[0]]), note: `${name}: date in the format ${dateFits[0]}` };
  }
  const parsers = INFER_TIMESTAMP_FORMATS.map((f) => ({ f, parse: compileDateFormat(f) }));
  const used = new Set<string>();
  if (values.every((v) => parsers.some((p) => p.parse(v, parts) && used.add(p.f)))) {
    const formats = INFER_TIMESTAMP_FORMATS.filter((f) => used.has(f));
    return { spec: spec('timestamp', formats), note: `${name}: timestamp in the format${formats.length > 1 ? 's' : ''} ${formats.join(', ')}` };
  }
  if (values.every(isEmail)) return { spec: spec('email') };
  return { spec: spec('string') };
}

/** A dataset whose files have no header ("header": "absent"): field i is the dataset's column i; fields past its columns are extra columns named column_<n>. */
export function planByPosition(dataset: DatasetConfig, width: number): HeaderPlan {
  const header = Array.from({ length: width }, (_v, j) => (j < dataset.columns.length ? dataset.columns[j].name : `column_${j + 1}`));
  const plan = planForDataset(dataset, header);
  if (!plan.ok)
    return {
      ...plan,
      reason: `${plan.reason} (the file has no header row, "header": "absent": its ${width} fields are mapped by position to the dataset's ${dataset.columns.length} columns)`,
    };
  return { ...plan, notes: [`no header row ("header": "absent"): the ${width} fields are mapped by position to ${header.join(', ')}`, ...plan.notes] };
}

/** How many of these header cells name a column of the dataset (name or alias). */
export function datasetNameMatches(dataset: DatasetConfig, cells: readonly string[]): number {
  const known = new Set(dataset.columns.flatMap((c) => [c.name, ...c.aliases].map(normaliseHeaderName)));
  return cells.reduce((n, c) => n + (c.trim() && known.has(normaliseHeaderName(c)) ? 1 : 0), 0);
}
