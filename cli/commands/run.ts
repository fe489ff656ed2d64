// `csv-pipeline run`: the whole pipeline on this machine, raw files to dashboard; adapts argv and output, the work is in local/pipeline.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_PATH, loadPipelineConfig } from '../../config/load';
import type { PipelineConfig } from '../../config/schema';
import { formatTextTable } from '../../local/engine/format';
import { rawKeyForFile, runLocalPipeline, type LocalRunResult, type QueryRunResult } from '../../local/pipeline';
import { ConsoleProgress, formatDuration } from '../../local/progress';
import { DEFAULT_WORKDIR } from '../../local/store';
import { parseCommandArgs, parseEngine, parseWorkdir, usageError } from '../args';

export const RUN_USAGE = `usage: csv-pipeline run [FILES...] [--config FILE] [--workdir DIR] [--engine duckdb|spark] [--dataset NAME]

Copies FILES into <workdir>/raw/ (under the raw prefix of the dataset named like the file, or of --dataset;
unmatched files go to raw/_unrouted/ and are read in inferred mode), or without FILES takes every file under
raw/ not processed yet; then preprocesses each file as the Lambda does, crawls, transforms, runs the configured
queries and writes the dashboard.

options:
  --config FILE     pipeline config (default ${DEFAULT_CONFIG_PATH})
  --workdir DIR     local object store (default ${DEFAULT_WORKDIR}/)
  --engine ENGINE   transform engine: duckdb (default) or spark (the Glue script on local Spark)
  --dataset NAME    route every given file to this dataset
  --quiet           print only errors and the dashboard location

One run at a time writes a workdir: a run takes <workdir>/.lock (its pid and start time) and a second run
(or a watch cycle) on the same workdir waits for it, saying which process it waits for. A lock left by a
process that is no longer running is taken over, with a message; so are the temp files it left.

Exit status: 0 done (a quarantined file is a data outcome, not a failure), 2 a usage error (an unknown
option or --dataset, a FILE that does not exist, is not a file or cannot be read: checked before the
workdir is touched, nothing is created), 1 a stage failed.`;

export function printQueries(queries: readonly QueryRunResult[], write: (s: string) => void): void {
  for (const q of queries) {
    write(`\n${q.dataset}.${q.name}${q.description ? ` - ${q.description}` : ''}\n${formatTextTable(q.columns, q.rows, { maxRows: 50 })}\n`);
  }
}

export function printDashboardLocation(result: Pick<LocalRunResult, 'dashboardFile' | 'workdir'>, write: (s: string) => void): void {
  if (!result.dashboardFile) return;
  const relative = path.relative(process.cwd(), result.workdir) || '.';
  const workdir = relative.startsWith('..') ? result.workdir : relative;
  const serve = workdir === DEFAULT_WORKDIR ? 'npx csv-pipeline serve' : `npx csv-pipeline serve --workdir ${workdir}`;
  write(`\nDashboard: ${result.dashboardFile}\n  open it as a file, or serve it with: ${serve}  (http://127.0.0.1:8080/)\n`);
}

/**
 * Why `run FILES --dataset NAME` cannot start, or undefined: an unknown dataset, a file that does not exist, is
 * not a file or cannot be read, or two files that would be copied to one raw key.
 */
export function runArgumentProblem(config: PipelineConfig, files: readonly string[], datasetName: string | undefined): string | undefined {
  const names = config.datasets.map((d) => d.name);
  if (datasetName !== undefined && !names.includes(datasetName)) {
    return `--dataset ${JSON.stringify(datasetName)} is not configured; use one of: ${names.join(', ') || '(none: the config has no datasets)'}, or leave --dataset out to route files by name`;
  }
  for (const file of files) {
    const problem = readableFileProblem(file);
    if (problem) return problem;
  }
  const keys = files.map((file) => rawKeyForFile(config, file, datasetName));
  const twin = keys.findIndex((key, i) => keys.indexOf(key) !== i);
  if (twin >= 0) {
    return `${files[keys.indexOf(keys[twin])]} and ${files[twin]} would both be copied to ${keys[twin]}; rename one of them (files with one name overwrite each other in raw/)`;
  }
  return undefined;
}

/** Why `file` cannot be read as an input file, or undefined. */
function readableFileProblem(file: string): string | undefined {
  try {
    if (!fs.statSync(file).isFile()) return `${file} is not a file; pass CSV files (for a folder's files: ${path.join(file, '*.csv')})`;
    fs.closeSync(fs.openSync(file, 'r'));
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const fix = code === 'ENOENT' ? 'no such file; check the path' : 'check its permissions (chmod u+r)';
    return `cannot read ${file}: ${code}; ${fix}`;
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ name: 'run', usage: RUN_USAGE }, argv, {
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      workdir: { type: 'string', short: 'w' },
      engine: { type: 'string' },
      dataset: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const engine = parseEngine({ name: 'run', usage: RUN_USAGE }, values.engine);
  if (typeof engine === 'number') return engine;
  const workdir = parseWorkdir({ name: 'run', usage: RUN_USAGE }, values.workdir);
  if (typeof workdir === 'number') return workdir;
  const config = loadPipelineConfig(values.config ?? DEFAULT_CONFIG_PATH);
  // Checked before the workdir is created or locked: a wrong argument leaves nothing behind.
  const problem = runArgumentProblem(config, positionals, values.dataset);
  if (problem) return usageError({ name: 'run', usage: RUN_USAGE }, problem);
  const progress = new ConsoleProgress(process.stderr);
  const result = await runLocalPipeline({
    config,
    workdir,
    files: positionals,
    dataset: values.dataset,
    engine,
    progress: values.quiet ? undefined : progress,
    notice: (message) => console.error(`csv-pipeline run: ${message}`),
  });
  const write = (s: string) => process.stdout.write(s);
  if (!values.quiet) {
    if (result.files.length === 0) write('No new files under raw/; the downstream stages ran on the data already there.\n');
    printQueries(result.queries, write);
    const total = Object.values(result.timings).reduce((a, b) => a + (b ?? 0), 0);
    write(
      `\nStages: ${Object.entries(result.timings)
        .map(([stage, ms]) => `${stage} ${formatDuration(ms ?? 0)}`)
        .join(', ')}; total ${formatDuration(total)}\n`,
    );
  }
  printDashboardLocation(result, write);
  // A quarantined file is a data outcome (reported above and on the dashboard), not a failure of the run.
  return 0;
}
