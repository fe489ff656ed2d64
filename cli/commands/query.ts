// `csv-pipeline query "SQL"`: SQL over the local final tables (the local Athena); adapts argv and output, the work is in local/tables.
import { DEFAULT_CONFIG_PATH, loadPipelineConfig } from '../../config/load';
import { formatCsv, formatJson, formatTextTable } from '../../local/engine/format';
import { DEFAULT_WORKDIR } from '../../local/store';
import { openLocalTables } from '../../local/tables';
import { parseCommandArgs, parseExistingWorkdir, usageError } from '../args';

export const QUERY_USAGE = `usage: csv-pipeline query "SQL" [--workdir DIR] [--config FILE] [--json | --csv]

Runs SQL on DuckDB over the local tables of every configured dataset:
  <dataset>          the final Parquet data (<workdir>/final_output/<dataset>/)
  <dataset>_rejects  the rejected rows (<workdir>/quarantine/<dataset>/rows/)

options:
  --workdir DIR   local object store (default ${DEFAULT_WORKDIR}/)
  --config FILE   pipeline config (default ${DEFAULT_CONFIG_PATH})
  --json          print the rows as a JSON array of objects
  --csv           print the rows as CSV with a header

A --workdir that does not exist is refused (exit 2) rather than read as an empty workdir.`;

export async function run(argv: string[], write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const command = { name: 'query', usage: QUERY_USAGE, write };
  const parsed = parseCommandArgs(command, argv, {
    allowPositionals: true,
    options: {
      workdir: { type: 'string', short: 'w' },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      csv: { type: 'boolean' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !positionals[0].trim()) {
    return usageError(command, `give exactly one SQL statement in quotes (got ${positionals.length} argument${positionals.length === 1 ? '' : 's'})`);
  }
  if (values.json && values.csv) {
    console.error('csv-pipeline query: choose one of --json and --csv');
    return 2;
  }
  const configPath = values.config ?? DEFAULT_CONFIG_PATH;
  const workdir = parseExistingWorkdir(command, values.workdir);
  if (typeof workdir === 'number') return workdir;
  try {
    const config = loadPipelineConfig(configPath);
    const tables = await openLocalTables(workdir, config);
    try {
      const { columns, rows } = await tables.query(positionals[0]);
      write(`${values.json ? formatJson(columns, rows) : values.csv ? formatCsv(columns, rows).trimEnd() : formatTextTable(columns, rows)}\n`);
    } finally {
      tables.close();
    }
    return 0;
  } catch (err) {
    // local/tables names the tables in its errors; a config error says what is wrong with the config.
    console.error(`csv-pipeline query (workdir ${workdir}, config ${configPath}): ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
