// Writes <workdir>/dashboard/index.html: aggregates in DuckDB, renders the page with the bundled chart library, commits it atomically.
import type { PipelineConfig } from '../../config/schema';
import { LocalObjectStore } from '../store';
import { openLocalTables } from '../tables';
import { chartLibraryBundle } from './bundle';
import { collectDashboardData, type LastRunInput } from './data';
import { renderDashboardPage } from './page';

/** Key of the page in the local store, and of the run it describes. */
export const DASHBOARD_KEY = 'dashboard/index.html';
export const LAST_RUN_KEY = 'dashboard/last-run.json';

export interface GenerateDashboardOptions {
  readonly config: PipelineConfig;
  readonly workdir: string;
  /** The run to show as "last run"; when absent, the one recorded by the previous generation, else all reports. */
  readonly lastRun?: LastRunInput;
}

/** Generates the dashboard page and returns its absolute path. */
export async function generateDashboard(options: GenerateDashboardOptions): Promise<string> {
  const store = new LocalObjectStore(options.workdir);
  let lastRun = options.lastRun;
  if (lastRun) {
    store.put(LAST_RUN_KEY, `${JSON.stringify({ startedAt: lastRun.startedAt, reportKeys: lastRun.reportKeys }, null, 2)}\n`);
  } else if (store.exists(LAST_RUN_KEY)) {
    lastRun = JSON.parse(store.readText(LAST_RUN_KEY)) as LastRunInput;
  }
  const [library, data] = await Promise.all([
    chartLibraryBundle(),
    (async () => {
      const tables = await openLocalTables(store.root, options.config);
      try {
        return await collectDashboardData(options.config, store.root, tables, lastRun ?? {});
      } finally {
        tables.close();
      }
    })(),
  ]);
  store.put(DASHBOARD_KEY, renderDashboardPage(data, library));
  return store.pathOf(DASHBOARD_KEY);
}
