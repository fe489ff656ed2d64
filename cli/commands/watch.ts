// `csv-pipeline watch`: processes files dropped into <workdir>/raw/ and refreshes the final tables and the dashboard until Ctrl-C.
import * as path from 'node:path';
import { datasetLayout } from '../../config/layout';
import { DEFAULT_CONFIG_PATH, loadPipelineConfig } from '../../config/load';
import { ConsoleProgress } from '../../local/progress';
import { DEFAULT_SETTLE_MS, watchRawFolder } from '../../local/watch';
import { DEFAULT_WORKDIR } from '../../local/store';
import { printDashboardLocation, printQueries } from './run';
import { parseCommandArgs, parseEngine, parseWorkdir, usageError } from '../args';

const USAGE = `usage: csv-pipeline watch [--config FILE] [--workdir DIR] [--engine duckdb|spark] [--settle-ms MS]

Watches <workdir>/raw/ and processes each new file once, when it has stopped changing: preprocess, crawl,
transform, queries, dashboard. Put files under raw/<dataset>/ (e.g. raw/signups/); files elsewhere under
raw/ are read in inferred mode. Stop with Ctrl-C.

options:
  --config FILE     pipeline config (default ${DEFAULT_CONFIG_PATH})
  --workdir DIR     local object store (default ${DEFAULT_WORKDIR}/)
  --engine ENGINE   transform engine: duckdb (default) or spark
  --settle-ms MS    a file is taken once its size and modification time have not changed for MS
                    milliseconds (default ${DEFAULT_SETTLE_MS}); raise it for slow copies (network shares)

Each cycle holds the workdir lock (<workdir>/.lock): a "csv-pipeline run" on the same workdir waits for it.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ name: 'watch', usage: USAGE }, argv, {
    options: {
      config: { type: 'string', short: 'c' },
      workdir: { type: 'string', short: 'w' },
      engine: { type: 'string' },
      'settle-ms': { type: 'string' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const engine = parseEngine({ name: 'watch', usage: USAGE }, values.engine);
  if (typeof engine === 'number') return engine;
  const workdirValue = parseWorkdir({ name: 'watch', usage: USAGE }, values.workdir);
  if (typeof workdirValue === 'number') return workdirValue;
  const settleMs = Number(values['settle-ms'] ?? DEFAULT_SETTLE_MS);
  if (!Number.isInteger(settleMs) || settleMs < 0) {
    return usageError(
      { name: 'watch', usage: USAGE },
      `--settle-ms must be a whole number of milliseconds, 0 or more (got ${JSON.stringify(values['settle-ms'])}); e.g. --settle-ms ${DEFAULT_SETTLE_MS}`,
    );
  }
  const config = loadPipelineConfig(values.config ?? DEFAULT_CONFIG_PATH);
  const workdir = path.resolve(workdirValue);
  const progress = new ConsoleProgress(process.stderr);
  const write = (s: string) => process.stdout.write(s);
  const watcher = watchRawFolder({
    config,
    workdir,
    engine,
    progress,
    settleMs,
    onCycle: ({ result }) => {
      printQueries(result.queries, write);
      printDashboardLocation({ ...result, workdir }, write);
    },
    onError: (err) =>
      console.error(
        `csv-pipeline watch: ${err instanceof Error ? err.message : String(err)}\n  (still watching; fix the file or the config and drop it again)`,
      ),
  });
  const datasets = config.datasets.map((d) => path.join(workdir, datasetLayout(d).rawPrefix)).join(', ');
  progress.info(`Watching ${path.join(workdir, 'raw')} (drop files into ${datasets}); Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await watcher.close();
  return 0;
}
