// The output columns and how each cell is cleaned, decided once on the sample: all the row writer looks up per cell.
import type { DatasetConfig, PipelineConfig } from '../../config/schema';
import type { ColumnReport } from './report';
import { type HeaderPlan, planByPosition, planForDataset, planInferred } from './header';
import type { HeaderDecision } from './header-detect';
import { type CellFailure, type ColumnCleaner, compileColumn } from './validate';
import { MAX_FOOTER_RECORDS, type TypeChecks, withoutFooter } from './footer';
import { decideDecimals } from './decimals';
import { RecordProblem } from './reader';
import { Quarantine } from './build-report';
import type { SampleDecisions } from './sample';

/** Data rows of the sample used to infer types in inferred mode. */
export const INFER_ROWS = 1000;

export interface ColumnPlan {
  /** Output column names, in output order (the valid rows' header). */
  readonly names: readonly string[];
  readonly cleaners: readonly ColumnCleaner[];
  /** For each output column, its field in a record (-1: not in the file, written empty). */
  readonly sourceIndex: Int32Array;
  /** The key's output columns, in the dataset's key order ([] without a key). */
  readonly keyIndexes: readonly number[];
  /** True when the key is one integer column (kept in the key set's bitmap). */
  readonly integerKey: boolean;
  /** The key's column names as the rejects name them. */
  readonly keyNames: string;
  /** The footer check's evidence: the columns' types, by field (see footer.ts). */
  readonly typeChecks: TypeChecks;
  readonly report: ColumnReport[];
  /** Notes on the columns (dropped, kept, renamed), for the report. */
  readonly notes: readonly string[];
  /** Values neutralised so far (the cleaners count them). */
  readonly stats: { neutralised: number };
}

/** Plans the columns of the file the sample decided on, or the quarantine when its header does not fit the dataset. */
export function planColumns(decisions: SampleDecisions, dataset: DatasetConfig | undefined, config: PipelineConfig): ColumnPlan | Quarantine {
  const { dialect, shape } = decisions;
  // The sample's rows, without a footer at the end of a file read whole: the evidence for inferred types and decimal conventions.
  const sampleRows = withoutFooter(
    decisions.records.filter((r) => r.line >= shape.firstDataLine && r.problem === RecordProblem.None),
    shape.expected,
    decisions.complete,
    MAX_FOOTER_RECORDS,
  )
    .filter((r) => r.fields.length === shape.expected)
    .slice(0, INFER_ROWS)
    .map((r) => r.fields);
  const plan = matchHeader(decisions.header, shape.expected, dataset, () => sampleRows, dialect.delimiter);
  if (!plan.ok) return new Quarantine(plan.code, plan.reason);
  // One decimal convention per decimal column, decided on the sample and reported with its evidence.
  const decimals = decideDecimals(plan.columns, sampleRows, dialect.delimiter);
  const stats = { neutralised: 0 };
  const cleanOptions = { neutraliseFormulas: config.ingest.neutraliseFormulas, delimiter: dialect.delimiter, quote: dialect.quote, stats, decimals };
  const cleaners = plan.columns.map((c) => compileColumn(c.spec, cleanOptions));
  const keyIndexes = (dataset?.key ?? []).map((k) => plan.columns.findIndex((c) => c.spec.name === k));
  // The footer check runs only on records that would be rejected; the columns' types are its evidence.
  const typeChecks: (((v: string) => boolean) | undefined)[] = [];
  const checkFailure: CellFailure = { code: '', reason: '' };
  plan.columns.forEach((c, i) => {
    if (c.sourceIndex >= 0 && c.spec.type !== 'string') typeChecks[c.sourceIndex] = (v) => cleaners[i].clean(v, checkFailure, false) !== undefined;
  });
  return {
    names: plan.columns.map((c) => c.spec.name),
    cleaners,
    sourceIndex: Int32Array.from(plan.columns.map((c) => c.sourceIndex)),
    keyIndexes,
    integerKey: keyIndexes.length === 1 && cleaners[keyIndexes[0]].type === 'integer',
    keyNames: dataset?.key.join(', ') ?? '',
    typeChecks,
    report: plan.columns.map((c) => (decimals[c.spec.name] ? { ...c.report, decimal: decimals[c.spec.name] } : c.report)),
    notes: plan.notes,
    stats,
  };
}

/**
 * The output columns for the header found: matched to the dataset (by name; by position for "header": "absent"; a
 * file without a header for a dataset that expects one is quarantined), or inferred (names column_1... when absent).
 */
function matchHeader(
  detected: HeaderDecision,
  expected: number,
  dataset: DatasetConfig | undefined,
  sampleRows: () => string[][],
  delimiter: string,
): HeaderPlan {
  const width = expected - (detected.trailingDelimiter ? 1 : 0);
  if (!dataset) {
    const names = detected.kind === 'absent' ? Array.from({ length: width }, (_v, j) => `column_${j + 1}`) : detected.names;
    return planInferred(names, sampleRows(), delimiter);
  }
  if (detected.kind === 'absent') {
    if (dataset.header === 'absent') return planByPosition(dataset, width);
    return {
      ok: false,
      code: 'HEADER_MISMATCH',
      reason: `the file has no header row: ${detected.evidence.replace(/^no header: /, '')}; add the header row, or, if the files of dataset "${dataset.name}" have none, set "header": "absent" in its config to map the fields by position`,
    };
  }
  const plan = planForDataset(dataset, detected.names);
  if (plan.ok || !detected.lowerNames) return plan;
  // A two-line header whose joined names do not match: the names line alone may.
  const lower = planForDataset(dataset, detected.lowerNames);
  return lower.ok
    ? {
        ...lower,
        notes: [
          `the dataset's columns match the header's second line alone (${detected.lowerNames.map((n) => JSON.stringify(n)).join(', ')}); the titles above are not part of the names`,
          ...lower.notes,
        ],
      }
    : plan;
}
