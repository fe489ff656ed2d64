// `csv-pipeline init`: generates a dataset config entry from a sample file (a thin shell: arguments and files; the work is in local/init).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_PATH, loadPipelineConfig, parsePipelineConfig } from '../../config/load';
import type { PipelineConfig } from '../../config/schema';
import { identifierFrom } from '../../lambda/core/header';
import { appendDataset, formatJson } from '../../local/init/config-text';
import { InitError, inferDataset, type InitResult } from '../../local/init/infer-dataset';
import { parseCommandArgs, usageError } from '../args';

/** A sample is read whole (several times): larger files are refused with the way to cut a sample. */
export const MAX_SAMPLE_MB = 16;

export const INIT_USAGE = `usage: csv-pipeline init FILE [--name NAME] [--config FILE] [--write]

Reads a sample CSV file with the preprocessing core (encoding, delimiter, header as the Lambda finds them)
and generates a dataset config entry: columns with their types, date formats, required, maxLength, enum
values and aliases; the key; a partitioning by month; two named queries; a dashboard. The entry is then
checked by running the core on the sample with it: any rule a sample value breaks is relaxed (a column falls
back to string) until the core rejects no row for a column rule. Rows no config can accept (a wrong field
count, a broken quote) are listed: fix them in the file.

options:
  --name NAME     the dataset's name (default: from FILE's name, e.g. orders-2024.csv -> orders_2024)
  --config FILE   pipeline config (default ${DEFAULT_CONFIG_PATH}, if present): its ingest settings apply;
                  --write adds the entry there
  --write         add the entry to the config file instead of printing it (refused if a dataset has the
                  name; the rest of the file is kept byte for byte; written to a temp file, then renamed)

Standard output: the entry as JSON (nothing with --write). Standard error: why each choice was made.
Exit status: 0 done; 1 FILE cannot be used (empty, not CSV, no data rows) or the config cannot be read or
written; 2 a usage error (FILE missing or over ${MAX_SAMPLE_MB} MB, a bad --name, --write without a config,
or a dataset of that name already in the config with --write).`;

const COMMAND = { name: 'init', usage: INIT_USAGE };
const IDENTIFIER = /^[a-z][a-z0-9_]{0,127}$/;

/** Why FILE cannot be read as a sample, or undefined. */
function sampleProblem(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return `cannot read ${file}: ${code}${code === 'ENOENT' ? '; no such file, check the path' : ''}`;
  }
  if (!stat.isFile()) return `${file} is not a file; pass a CSV file`;
  if (stat.size > MAX_SAMPLE_MB * 1024 * 1024) {
    return `${file} is ${(stat.size / 1048576).toFixed(0)} MB, over the ${MAX_SAMPLE_MB} MB a sample may have; init reads a sample whole: cut one, e.g. head -n 100000 ${file} > sample.csv`;
  }
  return undefined;
}

/** The dataset name: --name, else one made from the file's name; or the usage error. */
function datasetName(file: string, given: string | undefined): string | { error: string } {
  if (given === undefined) return identifierFrom(path.basename(file).replace(/\.[^.]*$/, ''), 0);
  if (IDENTIFIER.test(given)) return given;
  return {
    error: `--name ${JSON.stringify(given)} is not a dataset name: use lower case letters, digits and "_", starting with a letter, e.g. --name ${identifierFrom(given, 0)}`,
  };
}

/** The config (path and contents) --config names, or the default one when present; a message when it cannot be used. */
function readConfig(option: string | undefined): { file?: string; config?: PipelineConfig } | { error: string; status: number } {
  const file = option ?? (fs.existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  if (file === undefined) return {};
  if (option !== undefined && !fs.existsSync(option))
    return { error: `--config ${option}: no such file; check the path, or leave --config out to use ${DEFAULT_CONFIG_PATH}`, status: 2 };
  try {
    return { file, config: loadPipelineConfig(file) };
  } catch (err) {
    return { error: `${(err as Error).message}\nFix the config first: init adds to a valid config and uses its ingest settings.`, status: 1 };
  }
}

/** Adds the entry to the config file: checked with the config loader, written to a temp file beside it, renamed into place. */
function writeEntry(file: string, result: InitResult): void {
  const target = fs.realpathSync(file);
  const text = fs.readFileSync(target, 'utf8');
  const updated = appendDataset(text, result.entry, file);
  parsePipelineConfig(JSON.parse(updated), `${file} with the new dataset`);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.init-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temp, updated, { mode: fs.statSync(target).mode & 0o777 });
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(COMMAND, argv, {
    allowPositionals: true,
    options: { name: { type: 'string' }, config: { type: 'string', short: 'c' }, write: { type: 'boolean', default: false } },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    return usageError(COMMAND, `expected one sample FILE, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}`);
  const file = positionals[0];
  const problem = sampleProblem(file);
  if (problem) return usageError(COMMAND, problem);
  const name = datasetName(file, values.name);
  if (typeof name !== 'string') return usageError(COMMAND, name.error);
  const loaded = readConfig(values.config);
  if ('error' in loaded) {
    console.error(`csv-pipeline init: ${loaded.error}`);
    return loaded.status;
  }
  if (values.write && !loaded.file)
    return usageError(COMMAND, `--write needs a config file to add the entry to, and there is no ${DEFAULT_CONFIG_PATH} here; pass --config FILE`);
  const taken = loaded.config?.datasets.some((d) => d.name === name);
  if (taken && values.write) {
    console.error(
      `csv-pipeline init: ${loaded.file} already has a dataset named "${name}"; nothing was written. Choose another name with --name NAME, or remove the existing entry first`,
    );
    return 2;
  }
  return generate(file, name, loaded, values.write === true, taken === true);
}

async function generate(file: string, name: string, loaded: { file?: string; config?: PipelineConfig }, write: boolean, taken: boolean): Promise<number> {
  let result: InitResult;
  try {
    result = await inferDataset(fs.readFileSync(file), { name, source: file, ingest: loaded.config?.ingest });
  } catch (err) {
    if (!(err instanceof InitError)) throw err;
    console.error(`csv-pipeline init: ${err.message}`);
    return 1;
  }
  const [first, ...rest] = result.summary;
  console.error([`csv-pipeline init: ${first}`, ...rest].join('\n'));
  if (!write) {
    if (taken) console.error(`note: ${loaded.file} already has a dataset named "${name}"; pass --name to add this one beside it`);
    process.stdout.write(`${formatJson(result.entry)}\n`);
    return 0;
  }
  try {
    writeEntry(loaded.file!, result);
  } catch (err) {
    console.error(`csv-pipeline init: cannot add dataset "${name}" to ${loaded.file}: ${(err as Error).message}; the file was not changed`);
    return 1;
  }
  const configOption = loaded.file === DEFAULT_CONFIG_PATH ? '' : ` --config ${loaded.file}`;
  console.error(`added dataset "${name}" to ${loaded.file}; try it: npx csv-pipeline run ${file} --dataset ${name}${configOption}`);
  return 0;
}
