// `csv-pipeline preprocess`: runs the Lambda's preprocessing core on a local file (a thin shell: arguments and files only).
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_CONFIG_PATH, findDataset, loadPipelineConfig } from '../../lib/config/load';
import { REJECT_COLUMNS, REJECTS_FILE_EXTENSION } from '../../lib/config/layout';
import type { DatasetConfig, PipelineConfig } from '../../lib/config/schema';
import { IngestSchema } from '../../lib/config/schema';
import { preprocess } from '../../lambda/core/preprocess';
import type { PreprocessReport } from '../../lambda/core/report';
import { parseCommandArgs, usageError } from '../args';

const USAGE = `usage: csv-pipeline preprocess INPUT [--config FILE] [--dataset NAME] [--out FILE] [--rejects FILE] [--report FILE] [--json]

Cleans and validates one CSV file exactly as the Lambda does.
  --config FILE   pipeline config (default: ${DEFAULT_CONFIG_PATH} in the current folder, if present)
  --dataset NAME  validate against this dataset; without it the columns and types are inferred
  --out FILE      valid rows: CSV, header first (default: INPUT.processed.csv)
  --rejects FILE  rejected rows: JSON Lines, one JSON object per line with the keys
                  ${REJECT_COLUMNS.map((c) => c.name).join(', ')} (line a number,
                  raw_record the record exactly as in INPUT); empty when no row was rejected
                  (default: INPUT.rejects${REJECTS_FILE_EXTENSION})
  --report FILE   write the JSON report there too
  --json          print the report as JSON instead of a summary
Exit status: 0 every row valid, 2 some rows rejected, 1 the file could not be processed.`;

export async function run(argv: string[]): Promise<number> {
  const command = { name: 'preprocess', usage: USAGE, usageErrorStatus: 1 };
  const parsed = parseCommandArgs(command, argv, {
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      dataset: { type: 'string' },
      out: { type: 'string' },
      rejects: { type: 'string' },
      report: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    return usageError(command, `expected one INPUT file, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}`);
  }
  const input = positionals[0];
  let stat: fs.Stats;
  try {
    stat = fs.statSync(input);
  } catch (err) {
    console.error(`csv-pipeline preprocess: cannot read ${input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; pass an existing CSV file`);
    return 1;
  }
  if (!stat.isFile()) {
    console.error(`csv-pipeline preprocess: ${input} is not a file; pass a CSV file`);
    return 1;
  }

  let config: PipelineConfig;
  let dataset: DatasetConfig | undefined;
  try {
    const configPath = values.config ?? (fs.existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
    if (values.dataset && !configPath) {
      console.error(`csv-pipeline preprocess: --dataset ${values.dataset} needs a pipeline config; pass --config FILE or run where ${DEFAULT_CONFIG_PATH} is`);
      return 1;
    }
    // Without a config file the core still needs the ingest settings: their defaults.
    config = configPath ? loadPipelineConfig(configPath) : ({ datasets: [], ingest: IngestSchema.parse({}) } as unknown as PipelineConfig);
    if (values.dataset) dataset = findDataset(config, values.dataset);
  } catch (err) {
    console.error(`csv-pipeline preprocess: ${(err as Error).message}`);
    return 1;
  }

  const outPath = values.out ?? `${input}.processed.csv`;
  const rejectsPath = values.rejects ?? `${input}.rejects${REJECTS_FILE_EXTENSION}`;
  for (const p of [outPath, rejectsPath, values.report]) {
    if (p && path.resolve(p) === path.resolve(input)) {
      console.error(`csv-pipeline preprocess: ${p} is the input file; choose another output path`);
      return 1;
    }
  }
  const report = await preprocess(
    fs.createReadStream(input),
    { valid: fs.createWriteStream(outPath), rejects: fs.createWriteStream(rejectsPath) },
    { config, dataset, source: input, sizeBytes: stat.size },
  );
  if (report.outcome === 'quarantined') {
    // Nothing was written that the user should use: remove the partial outputs.
    fs.rmSync(outPath, { force: true });
    fs.rmSync(rejectsPath, { force: true });
  }
  if (values.report) fs.writeFileSync(values.report, JSON.stringify(report, null, 2) + '\n');
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(summary(report, outPath, rejectsPath));
  if (report.outcome === 'quarantined') {
    if (values.json) console.error(`csv-pipeline preprocess: ${input} could not be processed: ${report.fileError?.code}: ${report.fileError?.reason}`);
    return 1;
  }
  return report.rowsRejected > 0 ? 2 : 0;
}

/** A few lines a person reads after a run. */
export function summary(report: PreprocessReport, outPath: string, rejectsPath: string): string {
  if (report.outcome === 'quarantined') {
    return `${report.source}: could not be processed (${report.fileError?.code}): ${report.fileError?.reason}\nNo output written.`;
  }
  const r = report.read!;
  const lines = [
    `${report.source}: ${report.rowsIn} rows read, ${report.rowsValid} valid, ${report.rowsRejected} rejected` +
      (report.dataset ? ` (dataset ${report.dataset})` : ' (no dataset: columns inferred)'),
    `read as ${r.encoding}, delimiter ${JSON.stringify(r.delimiter)}, quote ${JSON.stringify(r.quote)}, ${r.lineEnding} line ends` +
      (r.preambleLines ? `, ${r.preambleLines} preamble line(s)` : '') +
      (r.footerLines ? `, ${r.footerLines} footer line(s)` : ''),
  ];
  if (!report.dataset && report.columns) lines.push(`columns: ${report.columns.map((c) => `${c.name} ${c.type}`).join(', ')}`);
  for (const [code, n] of Object.entries(report.rejectedByReason)) lines.push(`  ${code}: ${n}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push(`valid rows: ${outPath}`);
  lines.push(`rejected rows: ${rejectsPath}`);
  return lines.join('\n');
}
