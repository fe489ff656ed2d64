// The Glue transform on local Spark: runs the real glue-scripts/local_job.py (PySpark), which merges the new processed files into a local Iceberg table (final_output/<ds>/).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { datasetJobSpec } from '../config/job-spec';
import type { TransformRunOptions, TransformRunResult } from './duckdb-transform';
import { reportsDirOf } from './engine/files';

/** The local Spark entry point, relative to the repository root. */
export const LOCAL_JOB = path.join('glue-scripts', 'local_job.py');

const INSTALL_PYTHON =
  'python3 was not found: install Python 3.11+ (e.g. `sudo apt-get install python3 python3-pip`), then `pip install -r requirements-dev.txt` for pyspark 3.5.4';
const INSTALL_PYSPARK = 'pyspark is not installed: run `pip install -r requirements-dev.txt` (pyspark 3.5.4, the Spark of Glue 5.0)';
const INSTALL_JAVA =
  'Java was not found (Spark needs it): install a JDK 17, e.g. `sudo apt-get install openjdk-17-jdk-headless`, and put `java` on PATH or set JAVA_HOME';

export interface SparkRunIo {
  /** Each line the script logs (stderr); default: written to this process's stderr. */
  readonly onLog?: (line: string) => void;
  /** The Python interpreter (default: $PYTHON or python3). */
  readonly python?: string;
}

/** Finds the repository root (the folder holding glue-scripts/local_job.py) from this module's location. */
export function repositoryRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, LOCAL_JOB))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`transform (spark): ${LOCAL_JOB} not found above ${start}; run from a checkout of serverless-csv-pipeline`);
    dir = parent;
  }
}

/** The summary the script prints as its last stdout line. */
interface LocalJobSummary {
  readonly files: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly partitions: string[];
  readonly durationMs: number;
}

/** Turns the script's failure into a message that says what to install or fix. */
export function explainFailure(code: number | null, stderr: string, datasetName: string): string {
  const tail = stderr.trim().split('\n').slice(-15).join('\n');
  const lastError = [...stderr.matchAll(/^error: (.*)$/gm)].map((m) => m[1]).pop();
  if (/No module named ['"]?pyspark/.test(stderr)) return INSTALL_PYSPARK;
  if (code === 3) return lastError ?? INSTALL_JAVA;
  if (/JAVA_HOME|Unable to locate a Java|java: not found|JAVA_GATEWAY_EXITED|Java gateway process exited/.test(stderr)) return INSTALL_JAVA;
  if (code === 2 && lastError) return `transform (spark) of dataset "${datasetName}": ${lastError}`;
  return `transform (spark) of dataset "${datasetName}": ${LOCAL_JOB} failed (exit ${code}); its last output:\n${tail}`;
}

/** Where the job reads each file's raw key (source_file): shared with the DuckDB engine (local/engine/files.ts). */
export { reportsDirOf };

/**
 * Runs the transform of one dataset on local Spark: writes the spec (datasetJobSpec) to a temporary file and
 * runs `python3 glue-scripts/local_job.py --input --output --dataset-spec-file [--reports] [--ingested-at]`,
 * streaming its log; the counts come from the JSON line it prints last. The output folder is an Iceberg table
 * whose current snapshot local/tables.ts reads.
 */
export async function transformWithSpark(options: TransformRunOptions, io: SparkRunIo = {}): Promise<TransformRunResult> {
  const started = Date.now();
  const { dataset } = options;
  const root = repositoryRoot();
  const specDir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-pipeline-spec-'));
  const specFile = path.join(specDir, `${dataset.name}.spec.json`);
  fs.writeFileSync(specFile, JSON.stringify(datasetJobSpec(dataset)));
  const args = [
    path.join(root, LOCAL_JOB),
    '--input',
    path.resolve(options.inputDir),
    '--output',
    path.resolve(options.outputDir),
    '--dataset-spec-file',
    specFile,
  ];
  const reports = reportsDirOf(options.inputDir, dataset);
  if (reports) args.push('--reports', reports);
  if (options.ingestedAt) args.push('--ingested-at', options.ingestedAt.toISOString());
  const python = io.python ?? process.env.PYTHON ?? 'python3';
  const onLog = io.onLog ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(python, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let pending = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        stderr += text;
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) onLog(line);
      });
      child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new Error(`${python}: ${INSTALL_PYTHON}`) : err));
      child.on('close', (exitCode) => {
        if (pending.trim()) onLog(pending);
        resolve({ code: exitCode, stdout, stderr });
      });
    });
    if (code !== 0) throw new Error(explainFailure(code, stderr, dataset.name));
    const last = stdout.trim().split('\n').pop() ?? '';
    let summary: LocalJobSummary;
    try {
      summary = JSON.parse(last) as LocalJobSummary;
    } catch {
      throw new Error(
        `transform (spark) of dataset "${dataset.name}": ${LOCAL_JOB} ended without its JSON summary line; got ${JSON.stringify(last.slice(0, 200))}`,
      );
    }
    return {
      engine: 'spark',
      files: summary.files,
      rowsIn: summary.rowsIn,
      rowsOut: summary.rowsOut,
      partitions: [...summary.partitions].sort(),
      durationMs: Date.now() - started,
    };
  } finally {
    fs.rmSync(specDir, { recursive: true, force: true });
  }
}
