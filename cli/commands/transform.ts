// `csv-pipeline transform`: the Glue transform on local folders with DuckDB or local Spark; adapts argv and output only.
import * as path from 'node:path';
import { DEFAULT_CONFIG_PATH, findDataset, loadPipelineConfig } from '../../config/load';
import type { DatasetConfig, PipelineConfig } from '../../config/schema';
import { missingInputMessage, transformWithDuckDb, type TransformRunResult } from '../../local/duckdb-transform';
import { withTransformLock } from '../../local/pipeline';
import { transformWithSpark } from '../../local/spark-transform';
import { parseCommandArgs, usageError, parseEngine } from '../args';

export const TRANSFORM_USAGE = `usage: csv-pipeline transform --input DIR --output DIR [--engine duckdb|spark] [--config FILE] [--dataset NAME]

Runs the Glue job's transform (glue-scripts/TRANSFORMS.md) on the processed CSV files in --input and
merges the result into the partitioned Parquet in --output (the layout of final_output/<dataset>/).

options:
  --input DIR         the dataset's processed CSV folder (e.g. .pipeline/processed/signups/)
  --output DIR        the dataset's final folder (e.g. .pipeline/final_output/signups/)
  --engine ENGINE     duckdb (default, in-process) or spark (glue-scripts/local_job.py on local PySpark)
  --config FILE       pipeline config (default ${DEFAULT_CONFIG_PATH})
  --dataset NAME      the dataset (default: the one named like the --input folder)
  --ingested-at TIME  the run's ingested_at, ISO 8601 (default: now)

One process at a time writes a table: the transform holds the lock "csv-pipeline run" and "watch" hold,
<workdir>/.lock, when --output is <workdir>/final_output/<name>/; for any other --output, .lock in the
--output folder's parent. A second transform, a run or a watch cycle on it waits, saying which process it
waits for (Ctrl-C stops the wait); a lock whose process is no longer running is taken over, with a message.`;

/** The dataset named by --dataset, or the one named like the input folder, or an error listing the datasets. */
export function chooseDataset(config: PipelineConfig, inputDir: string, name?: string): DatasetConfig {
  if (name) return findDataset(config, name);
  const base = path.basename(path.resolve(inputDir));
  const match = config.datasets.find((d) => d.name === base);
  if (!match) {
    throw new Error(
      `the input folder "${base}" is not named like a dataset; pass --dataset NAME (configured datasets: ${config.datasets.map((d) => d.name).join(', ')})`,
    );
  }
  return match;
}

export function describeResult(dataset: string, result: TransformRunResult): string {
  const partitions = result.partitions.length
    ? `${result.partitions.length} partition${result.partitions.length === 1 ? '' : 's'} written (${result.partitions.join(', ')})`
    : 'no partitions';
  return `transform ${dataset} (${result.engine}): ${result.files} file${result.files === 1 ? '' : 's'}, ${result.rowsIn} rows in, ${result.rowsOut} rows out, ${partitions}, ${(result.durationMs / 1000).toFixed(2)} s`;
}

export async function run(argv: string[], write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const command = { name: 'transform', usage: TRANSFORM_USAGE, write };
  const parsed = parseCommandArgs(command, argv, {
    options: {
      input: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o' },
      engine: { type: 'string', short: 'e' },
      config: { type: 'string', short: 'c' },
      dataset: { type: 'string', short: 'd' },
      'ingested-at': { type: 'string' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.input || !values.output) {
    return usageError(command, '--input and --output are required');
  }
  const engine = parseEngine(command, values.engine);
  if (typeof engine === 'number') return engine;
  let ingestedAt: Date | undefined;
  if (values['ingested-at']) {
    ingestedAt = new Date(values['ingested-at']);
    if (Number.isNaN(ingestedAt.getTime())) {
      console.error(`csv-pipeline transform: --ingested-at "${values['ingested-at']}" is not an ISO 8601 time; write e.g. 2024-11-05T10:00:00Z`);
      return 2;
    }
  }
  const configPath = values.config ?? DEFAULT_CONFIG_PATH;
  let datasetName = values.dataset ?? path.basename(path.resolve(values.input));
  try {
    const config = loadPipelineConfig(configPath);
    const dataset = chooseDataset(config, values.input, values.dataset);
    datasetName = dataset.name;
    const options = { config, dataset, inputDir: values.input, outputDir: values.output, ingestedAt };
    // Checked before the lock's folder is created: a mistyped --input leaves nothing behind.
    const missing = missingInputMessage(values.input);
    if (missing) throw new Error(`transform (${engine}) of dataset "${dataset.name}": ${missing}`);
    const lock = {
      command: 'csv-pipeline transform',
      notice: (m: string) => console.error(`csv-pipeline transform: ${m}`),
      elsewhere: 'write to another --output',
    };
    const result = await withTransformLock(values.output, lock, () => (engine === 'spark' ? transformWithSpark(options) : transformWithDuckDb(options)));
    write(`${describeResult(dataset.name, result)}\n`);
    return 0;
  } catch (err) {
    console.error(
      `csv-pipeline transform: stage transform (${engine}) failed for dataset "${datasetName}" (input ${values.input}, output ${values.output}, config ${configPath}):\n  ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }
}
