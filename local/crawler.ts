// The local Glue crawler: infers processed_<ds> tables from processed CSV files as Glue would, and writes them as TableInput JSON.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import { datasetLayout } from '../config/layout';
import type { PipelineConfig } from '../config/schema';
import { listFiles } from './engine/files';

/** Bytes of each file the classifiers look at (Glue classifies from the start of a file). */
export const SAMPLE_BYTES = 1024 * 1024;
/** Delimiters the built-in CSV classifier tries, in order (Glue docs, "Built-in classifiers"). */
export const BUILT_IN_DELIMITERS = [',', '|', '\t', ';', '\u0001'] as const;
/** A header cell must be shorter than this (Glue docs). */
export const MAX_HEADER_CELL_CHARS = 150;

export type GlueCsvType = 'boolean' | 'bigint' | 'double' | 'string';

export interface GlueColumn {
  readonly Name: string;
  readonly Type: string;
}

/** The shape of Glue's CreateTable `TableInput` (the fields the crawler fills). */
export interface TableInput {
  readonly Name: string;
  readonly Description: string;
  readonly TableType: 'EXTERNAL_TABLE';
  readonly Parameters: Record<string, string>;
  readonly PartitionKeys: GlueColumn[];
  readonly StorageDescriptor: {
    readonly Columns: GlueColumn[];
    readonly Location: string;
    readonly InputFormat: string;
    readonly OutputFormat: string;
    readonly Compressed: boolean;
    readonly NumberOfBuckets: number;
    readonly SerdeInfo: { readonly SerializationLibrary: string; readonly Parameters: Record<string, string> };
    readonly StoredAsSubDirectories: boolean;
  };
}

/** What the built-in CSV classifier alone decides for one file. */
export interface BuiltInVerdict {
  readonly file: string;
  /** "csv" when the file is recognised (>= 2 columns, >= 2 rows with one delimiter), else "UNKNOWN". */
  readonly classification: 'csv' | 'UNKNOWN';
  readonly delimiter: string | null;
  readonly header: 'PRESENT' | 'ABSENT';
  /** Why the header was or was not taken, in the classifier's own terms. */
  readonly reason: string;
  readonly columns: GlueColumn[];
}

export interface CrawledTable {
  readonly dataset: string;
  readonly name: string;
  /** Files the table was inferred from (relative to the workdir). */
  readonly files: readonly string[];
  readonly tableInput: TableInput;
  /** The built-in classifier's decision per file: why the custom classifier (header PRESENT) is needed. */
  readonly builtInVerdicts: readonly BuiltInVerdict[];
  /** Where the JSON files were written. */
  readonly tableFile: string;
  readonly verdictFile: string;
}

/** Glue's type of one CSV cell; null for an empty cell (it says nothing about the column). */
export function cellType(value: string): GlueCsvType | null {
  const v = value.trim();
  if (v === '') return null;
  if (/^(true|false)$/i.test(v)) return 'boolean';
  if (/^[+-]?\d+$/.test(v)) return 'bigint';
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(v)) return 'double';
  return 'string';
}

/** The type of a column from its cells' types: bigint widens to double, anything else mixed is string. */
export function mergeTypes(types: readonly (GlueCsvType | null)[]): GlueCsvType {
  const seen = new Set(types.filter((t): t is GlueCsvType => t !== null));
  if (seen.size === 0) return 'string';
  if (seen.size === 1) return [...seen][0];
  if ([...seen].every((t) => t === 'bigint' || t === 'double')) return 'double';
  return 'string';
}

/** Glue's rule for a column name (CreateTable `Column.Name`: 1-255 characters of the allowed ranges). */
export function isValidGlueColumnName(name: string): boolean {
  return name.length >= 1 && name.length <= 255 && /^[\u0020-\uD7FF\uE000-\uFFFD\t]+$/u.test(name);
}

function parseRows(text: string, delimiter: string): string[][] | null {
  try {
    return parse(text, { delimiter, quote: '"', relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch {
    return null;
  }
}

/** The start of a file, cut at the last complete line when the file is longer than the sample. */
export function sampleOf(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const n = fs.readSync(fd, buffer, 0, SAMPLE_BYTES, 0);
    const text = buffer.subarray(0, n).toString('utf8');
    if (n < SAMPLE_BYTES) return text;
    const cut = text.lastIndexOf('\n');
    return cut > 0 ? text.slice(0, cut + 1) : text;
  } catch {
    return '';
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The built-in CSV classifier's rules (Glue docs, "Built-in classifiers"; ../shared notes):
 * a delimiter among , | tab ; \u0001 that gives >= 2 columns and >= 2 rows, every row the same width;
 * row 1 is a header only if every cell parses as a string, is < 150 characters (the last may be
 * empty), is a valid column name, and the data rows are not all strings (some column has another
 * type). Otherwise the columns are named col0, col1, ...
 */
export function classifyBuiltIn(text: string, file = ''): BuiltInVerdict {
  for (const delimiter of BUILT_IN_DELIMITERS) {
    const rows = parseRows(text, delimiter);
    if (!rows || rows.length < 2) continue;
    const width = rows[0].length;
    if (width < 2 || !rows.every((r) => r.length === width)) continue;
    const [first, ...data] = rows;
    const dataTypes = first.map((_, c) => mergeTypes(data.map((r) => cellType(r[c]))));
    const problems: string[] = [];
    const nonString = first.filter((cell) => cellType(cell) !== null && cellType(cell) !== 'string');
    if (nonString.length)
      problems.push(
        `row 1 has cells that are not strings (${nonString
          .slice(0, 3)
          .map((c) => JSON.stringify(c))
          .join(', ')})`,
      );
    const long = first.filter((cell, i) => cell.length >= MAX_HEADER_CELL_CHARS && i < first.length - 1);
    if (long.length) problems.push(`row 1 has cells of ${MAX_HEADER_CELL_CHARS} or more characters`);
    const invalid = first.filter((cell, i) => !isValidGlueColumnName(cell) && !(i === first.length - 1 && cell === ''));
    if (invalid.length)
      problems.push(
        `row 1 has cells that are not valid column names (${invalid
          .slice(0, 3)
          .map((c) => JSON.stringify(c))
          .join(', ')})`,
      );
    if (dataTypes.every((t) => t === 'string')) {
      problems.push('every column of the data rows is a string too, so row 1 is not different enough from the data to be a header');
    }
    const header = problems.length === 0;
    const columns = header
      ? first.map((name, i) => ({ Name: name.trim().toLowerCase(), Type: dataTypes[i] }))
      : first.map((_, i) => ({ Name: `col${i}`, Type: mergeTypes(rows.map((r) => cellType(r[i]))) }));
    return {
      file,
      classification: 'csv',
      delimiter,
      header: header ? 'PRESENT' : 'ABSENT',
      reason: header
        ? 'row 1 is all strings, short, valid names, and some data columns are not strings: taken as the header'
        : `no header: ${problems.join('; ')}; Glue names the columns col0..col${width - 1}`,
      columns,
    };
  }
  return {
    file,
    classification: 'UNKNOWN',
    delimiter: null,
    header: 'ABSENT',
    reason: 'no delimiter among , | tab ; \\u0001 gives at least 2 columns and 2 rows of the same width; the built-in CSV classifier does not match',
    columns: [],
  };
}

/** Our crawler's custom CSV classifier: delimiter ",", quote '"', ContainsHeader PRESENT, every column string. */
export function classifyWithHeaderPresent(text: string): string[] {
  const rows = parseRows(text, ',') ?? [];
  return (rows[0] ?? []).map((name) => name.trim().toLowerCase());
}

/** CombineCompatibleSchemas: one table whose columns are the union of the files' columns, in first-seen order. */
export function combineColumns(perFile: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (const columns of perFile) for (const c of columns) if (!out.includes(c)) out.push(c);
  return out;
}

function tableInputFor(name: string, location: string, columns: readonly string[], files: readonly string[], verdictSummary: string): TableInput {
  const sizes = files.map((f) => fs.statSync(f).size);
  return {
    Name: name,
    Description: 'Made by the local crawler from the processed CSV files (custom CSV classifier, header PRESENT)',
    TableType: 'EXTERNAL_TABLE',
    Parameters: {
      classification: 'csv',
      delimiter: ',',
      'skip.header.line.count': '1',
      columnsOrdered: 'true',
      areColumnsQuoted: 'false',
      compressionType: 'none',
      typeOfData: 'file',
      objectCount: String(files.length),
      sizeKey: String(sizes.reduce((a, b) => a + b, 0)),
      CrawlerSchemaSerializerVersion: '1.0',
      CrawlerSchemaDeserializerVersion: '1.0',
      builtInClassifierVerdict: verdictSummary,
    },
    PartitionKeys: [],
    StorageDescriptor: {
      Columns: columns.map((c) => ({ Name: c, Type: 'string' })),
      Location: location,
      InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      Compressed: false,
      NumberOfBuckets: -1,
      SerdeInfo: {
        SerializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
        Parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
      },
      StoredAsSubDirectories: false,
    },
  };
}

/** One line saying what the built-in classifier alone would have made of the files. */
export function summariseVerdicts(verdicts: readonly BuiltInVerdict[]): string {
  const absent = verdicts.filter((v) => v.classification === 'csv' && v.header === 'ABSENT').length;
  const unknown = verdicts.filter((v) => v.classification === 'UNKNOWN').length;
  const present = verdicts.length - absent - unknown;
  return (
    `built-in CSV classifier alone: header PRESENT in ${present}, ABSENT in ${absent} (columns col0..colN), not CSV in ${unknown} of ${verdicts.length} file(s); ` +
    'the custom classifier (ContainsHeader PRESENT) takes the header of every file'
  );
}

/**
 * Crawls <workdir>/processed/<ds>/ for every dataset with files and writes <workdir>/catalog/<table>.json
 * (TableInput) and <workdir>/catalog/<table>.builtin-classifier.json (the built-in verdicts).
 */
export async function crawlProcessed(config: PipelineConfig, workdir: string): Promise<CrawledTable[]> {
  const root = path.resolve(workdir);
  const catalogDir = path.join(root, 'catalog');
  const tables: CrawledTable[] = [];
  for (const dataset of config.datasets) {
    const layout = datasetLayout(dataset);
    const dir = path.join(root, layout.processedPrefix);
    const files = listFiles(dir, '.csv').filter((f) => fs.statSync(f).size > 0);
    if (files.length === 0) continue;
    const samples = files.map((f) => sampleOf(f));
    const verdicts = samples.map((text, i) => classifyBuiltIn(text, path.relative(root, files[i])));
    const columns = combineColumns(samples.map(classifyWithHeaderPresent));
    const location = `file://${dir}${dir.endsWith('/') ? '' : '/'}`;
    const tableInput = tableInputFor(layout.processedTable, location, columns, files, summariseVerdicts(verdicts));
    fs.mkdirSync(catalogDir, { recursive: true });
    const tableFile = path.join(catalogDir, `${layout.processedTable}.json`);
    const verdictFile = path.join(catalogDir, `${layout.processedTable}.builtin-classifier.json`);
    fs.writeFileSync(tableFile, `${JSON.stringify(tableInput, null, 2)}\n`);
    fs.writeFileSync(
      verdictFile,
      `${JSON.stringify({ table: layout.processedTable, note: 'What the Glue built-in CSV classifier alone would decide for each file; the deployed crawler uses a custom CSV classifier with ContainsHeader PRESENT instead.', files: verdicts }, null, 2)}\n`,
    );
    tables.push({
      dataset: dataset.name,
      name: layout.processedTable,
      files: files.map((f) => path.relative(root, f)),
      tableInput,
      builtInVerdicts: verdicts,
      tableFile,
      verdictFile,
    });
  }
  return tables;
}
