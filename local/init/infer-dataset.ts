// `csv-pipeline init`'s pure part: a sample file's bytes in, a dataset config entry out that the real core accepts every sample row with.
import { type ColumnGuess, inferColumn, relaxedColumn } from './columns';
import { chooseCategory, chooseKey, choosePartitioning, dashboardFor, granularityFor, type KeyChoice, namedQueries } from './entry';
import { configWith, type DatasetInput, type IngestInput, isRuleReject, type RejectRow, runCore } from './run-core';
import { InitError, readSample, type SampleTable } from './sample';

export { InitError } from './sample';

export interface InitOptions {
  /** The dataset's name (a lower-case identifier). */
  readonly name: string;
  /** How the sample is named in messages and the entry's description (its path). */
  readonly source: string;
  /** The config's ingest settings (formula neutralisation), when there is a config. */
  readonly ingest?: IngestInput;
}

/** What the core made of the sample with the final entry. */
export interface InitCheck {
  readonly rowsIn: number;
  readonly rowsValid: number;
  readonly rowsRejected: number;
  /** Rejects no column rule causes (wrong field count, bad quotes or bytes, footers): the same with any entry. */
  readonly structural: readonly RejectRow[];
  /** Rules loosened because the core rejected a sample value with them, one line each. */
  readonly relaxed: readonly string[];
}

export interface InitResult {
  readonly entry: DatasetInput;
  /** Why each choice was made, one line each (printed to stderr by the CLI). */
  readonly summary: readonly string[];
  readonly check: InitCheck;
}

interface Plan {
  readonly guesses: ColumnGuess[];
  readonly key: KeyChoice;
}

/** Rounds of "run the core, relax what it rejected": each relaxes a column one step (type, then required, then maxLength). */
const MAX_ROUNDS_PER_COLUMN = 3;

/** Infers a dataset entry from a sample, checks it with the real core and relaxes any rule the sample breaks until none does. */
export async function inferDataset(bytes: Uint8Array, options: InitOptions): Promise<InitResult> {
  const sample = await readSample(bytes, options.source, options.ingest);
  const context = { delimiter: sample.read.delimiter, quote: sample.read.quote };
  const guesses = sample.columns.map((c, j) => inferColumn(c.name, c.header, columnValues(sample, j), context));
  let plan: Plan = { guesses, key: chooseKey(guesses, sample.rows.length) };
  const relaxed: string[] = [];
  for (let round = 0; round <= MAX_ROUNDS_PER_COLUMN * guesses.length + 1; round++) {
    const { entry, notes } = entryOf(plan, options, sample);
    const run = await runCore(bytes, configWith(entry, options.ingest), options.source);
    if (run.report.outcome === 'quarantined') {
      throw new InitError(
        `${options.source}: the core quarantined the sample with the generated entry (${run.report.fileError?.code}: ${run.report.fileError?.reason}); this is a bug in init: please report it with the file`,
      );
    }
    const ruleRejects = run.rejects.filter(isRuleReject);
    if (ruleRejects.length === 0) {
      const check = { rowsIn: run.report.rowsIn, rowsValid: run.report.rowsValid, rowsRejected: run.report.rowsRejected, structural: run.rejects, relaxed };
      return { entry, summary: summaryOf(plan, notes, sample, check, options), check };
    }
    plan = relax(plan, ruleRejects, sample, relaxed);
  }
  throw new InitError(
    `${options.source}: the core still rejects sample rows after every column was relaxed to a string; this is a bug in init: please report it with the file`,
  );
}

function columnValues(sample: SampleTable, j: number): string[] {
  return sample.rows.map((r) => r[j] ?? '');
}

/** Loosens what the first rejected rows name: the key (dropped), or one column by one step. */
function relax(plan: Plan, rejects: readonly RejectRow[], sample: SampleTable, log: string[]): Plan {
  const first = rejects[0];
  const count = rejects.filter((r) => r.reason_code === first.reason_code && r.column_name === first.column_name).length;
  const evidence = `${count} sample row${count === 1 ? '' : 's'} rejected ${first.reason_code} (line ${first.line}: ${first.reason})`;
  if (first.reason_code === 'DUPLICATE_KEY') {
    log.push(`key ${plan.key.key.join(', ')} dropped: ${evidence}`);
    return { ...plan, key: { key: [], candidates: plan.key.candidates, why: `no key: the core found duplicates of ${plan.key.key.join(', ')} in the sample` } };
  }
  const j = plan.guesses.findIndex((g) => g.column.name === first.column_name);
  if (j < 0)
    throw new InitError(
      `the core rejected a sample row for column ${JSON.stringify(first.column_name)}, which the entry does not have (${first.reason}); this is a bug in init: please report it with the file`,
    );
  const guess = plan.guesses[j];
  let next: ColumnGuess;
  if (first.reason_code === 'REQUIRED_MISSING') next = { ...guess, column: { ...guess.column, required: false } };
  else if (first.reason_code === 'TOO_LONG') next = { ...guess, column: withoutMaxLength(guess.column) };
  else next = relaxedColumn(guess, columnValues(sample, j));
  log.push(`${guess.column.name}: ${describe(guess)} -> ${describe(next)}: ${evidence}`);
  const guesses = plan.guesses.map((g, i) => (i === j ? next : g));
  const key = plan.key.key.includes(guess.column.name) && next.column.type !== guess.column.type ? chooseKey(guesses, sample.rows.length) : plan.key;
  return { guesses, key };
}

function withoutMaxLength(column: ColumnGuess['column']): ColumnGuess['column'] {
  const copy = { ...column };
  delete copy.maxLength;
  return copy;
}

function describe(g: ColumnGuess): string {
  const c = g.column;
  return `${c.type}${c.required ? ' required' : ''}${c.maxLength ? ` maxLength ${c.maxLength}` : ''}`;
}

/** The entry for a plan, and the lines explaining its partitioning and dashboard. */
function entryOf(plan: Plan, options: InitOptions, sample: SampleTable): { entry: DatasetInput; notes: { time: string; dashboard: string; queries: string } } {
  const { guesses, key } = plan;
  const time = choosePartitioning(guesses);
  const category = chooseCategory(guesses);
  const timeValues = time.source ? guesses.find((g) => g.column.name === time.source!.name)!.cleaned : [];
  const dash = dashboardFor(options.name, time, category, granularityFor(timeValues));
  const queries = namedQueries(options.name, time, category);
  const entry: DatasetInput = {
    name: options.name,
    description: `Generated by csv-pipeline init from ${options.source} (${sample.rows.length} sample rows); review the columns before deploying.`,
    ...(sample.read.headerKind === 'absent' ? { header: 'absent' as const } : {}),
    key: key.key,
    columns: guesses.map((g) => g.column),
    ...(time.monthColumn ? { transforms: time.transforms } : {}),
    queries,
    dashboard: dash.dashboard,
  };
  return { entry, notes: { time: time.why, dashboard: dash.why, queries: queries.map((q) => `${q.name} (${q.description})`).join(', ') } };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** How the core read the file, in one line. */
function readLine(sample: SampleTable): string {
  const r = sample.read;
  const header =
    r.headerKind === 'absent' ? 'no header (columns named column_1...; "header": "absent")' : `header on line ${r.headerLines.join('-')} (${r.headerKind})`;
  const preamble = r.preambleLines ? `, ${plural(r.preambleLines, 'preamble line')} skipped` : '';
  const footer = sample.footerRows ? `; ${plural(sample.footerRows, 'trailing total line')} left out` : '';
  return `read by the core: ${r.encoding}, delimiter ${JSON.stringify(r.delimiter)}, quote ${JSON.stringify(r.quote)}${preamble}, ${header}; ${plural(sample.rows.length, 'data row')}${footer}`;
}

function summaryOf(
  plan: Plan,
  notes: { time: string; dashboard: string; queries: string },
  sample: SampleTable,
  check: InitCheck,
  options: InitOptions,
): string[] {
  const width = Math.max(...plan.guesses.map((g) => g.column.name.length));
  const lines = [`dataset ${JSON.stringify(options.name)} from ${options.source}`, readLine(sample), 'columns:'];
  for (const g of plan.guesses) lines.push(`  ${g.column.name.padEnd(width)}  ${g.column.type.padEnd(9)}  ${g.why}`);
  lines.push(`key: ${plan.key.why}`, `partitioning: ${notes.time}`, `queries: ${notes.queries}`, `dashboard: ${notes.dashboard}`);
  lines.push(
    `check: the preprocessing core (lambda/core/preprocess.ts) read the sample with this entry: ${check.rowsIn} rows, ${check.rowsValid} valid, ${check.rowsRejected} rejected`,
  );
  if (check.relaxed.length) {
    lines.push(`relaxed after checking with the core (it rejected sample values with the first rules):`);
    for (const r of check.relaxed) lines.push(`  ${r}`);
  } else lines.push('relaxed: nothing (the core accepted every sample value with the inferred rules)');
  if (check.structural.length) {
    lines.push(
      `${plural(check.structural.length, 'row')} rejected whatever the columns are (no config rule can accept them: a FOOTER is the export's summary line; fix any other in the file):`,
    );
    for (const r of check.structural.slice(0, 5)) lines.push(`  line ${r.line}: ${r.reason_code}: ${r.reason}`);
    if (check.structural.length > 5) lines.push(`  ... and ${check.structural.length - 5} more`);
  }
  return lines;
}
