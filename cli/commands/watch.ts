// `csv-pipeline watch`: processes files dropped into <workdir>/raw/ and refreshes the final tables and the dashboard until Ctrl-C.
import * as path from 'path';
import { datasetLayout } from '../../lib/config/layout';
import { DEFAULT_CONFIG_PATH, loadPipelineConfig } from '../../lib/config/load';
import { ConsoleProgress } from '../../local/progress';
import { watchRawFolder } from '../../local/watch';
import { printDashboardLocation, printQueries } from './run';
import { parseCommandArgs, parseEngine, parseWorkdir } from '../args';

const USAGE = `usage: csv-pipeline watch [--config FILE] [--workdir DIR] [--engine duckdb|spark]

Watches <workdir>/raw/ and processes each new file once (when its size has stopped changing): preprocess,
crawl, transform, queries, dashboard. Put files under raw/<dataset>/ (e.g. raw/signups/); files elsewhere
under raw/ are read in inferred mode. Stop with Ctrl-C.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ name: 'watch', usage: USAGE }, argv, {
    options: {
      config: { type: 'string', short: 'c' },
      workdir: { type: 'string', short: 'w' },
      engine: { type: 'string' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const engine = parseEngine({ name: 'watch', usage: USAGE }, values.engine);
  if (typeof engine === 'number') return engine;
  const workdirValue = parseWorkdir({ name: 'watch', usage: USAGE }, values.workdir);
  if (typeof workdirValue === 'number') return workdirValue;
  const config = loadPipelineConfig(values.config ?? DEFAULT_CONFIG_PATH);
  const workdir = path.resolve(workdirValue);
  const progress = new ConsoleProgress(process.stderr);
  const write = (s: string) => process.stdout.write(s);
  const watcher = watchRawFolder({
    config,
    workdir,
    engine,
    progress,
    onCycle: ({ result }) => {
      printQueries(result.queries, write);
      printDashboardLocation({ ...result, workdir }, write);
    },
    onError: (err) => console.error(`csv-pipeline watch: ${err instanceof Error ? err.message : String(err)}\n  (still watching; fix the file or the config and drop it again)`),
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
