// `csv-pipeline preprocess`: runs the Lambda's preprocessing core on a local file (a thin shell: arguments and files only).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CONFIG_PATH, findDataset, loadPipelineConfig } from '../../config/load';
import { REJECT_COLUMNS, REJECTS_FILE_EXTENSION } from '../../config/layout';
import type { DatasetConfig, PipelineConfig } from '../../config/schema';
import { IngestSchema } from '../../config/schema';
import { parseThreads, preprocessFile } from '../../local/parallel-preprocess';
import type { PreprocessReport } from '../../lambda/core/report';
import { parseCommandArgs, usageError } from '../args';

const USAGE = `usage: csv-pipeline preprocess INPUT [--config FILE] [--dataset NAME] [--out FILE] [--rejects FILE] [--report FILE] [--json] [--threads N]

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
  --threads N     threads reading the file (default: 2, or 1 on a one-CPU machine); the outputs are
                  byte for byte those of one thread
Outputs are written to temp files beside them and renamed into place at the end: a file already at an
output path is replaced only when the run wrote that output (a file that could not be processed leaves
--out and --rejects as they were; --report then holds why).
Exit status: 0 every row valid, 2 some rows rejected, 1 the file could not be processed or an output
cannot be written (two outputs naming one file, a folder that does not exist: nothing is written).`;

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
      threads: { type: 'string' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    return usageError(command, `expected one INPUT file, got ${positionals.length}${positionals.length ? ` (${positionals.join(' ')})` : ''}`);
  }
  const input = positionals[0];
  const threads = parseThreads(values.threads);
  if (typeof threads === 'object') return usageError(command, threads.error);
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

  const loaded = loadConfig(values.config, values.dataset);
  if (typeof loaded === 'string') {
    console.error(`csv-pipeline preprocess: ${loaded}`);
    return 1;
  }
  const { config, dataset } = loaded;

  const outPath = values.out ?? `${input}.processed.csv`;
  const rejectsPath = values.rejects ?? `${input}.rejects${REJECTS_FILE_EXTENSION}`;
  const outputs: Output[] = [
    { flag: '--out', path: outPath },
    { flag: '--rejects', path: rejectsPath },
    ...(values.report ? [{ flag: '--report', path: values.report }] : []),
  ];
  // Every output path is checked before anything is opened: a bad one writes nothing.
  const problem = outputProblem(input, outputs);
  if (problem) {
    console.error(`csv-pipeline preprocess: ${problem}`);
    return 1;
  }
  const [out, rejects, reportFile] = outputs.map((o) => writeTarget(o.path));
  // Read in 64 KiB chunks, as fs.createReadStream does by default (the sample, and so the decisions, depend on it).
  const report = await writeOutputs(input, { out, rejects, report: reportFile }, (sinks) =>
    preprocessFile({ file: input, config, dataset, source: input, sizeBytes: stat.size, sampleChunkBytes: 64 * 1024 }, sinks, { threads }),
  );
  if (typeof report === 'string') {
    console.error(`csv-pipeline preprocess: ${report}`);
    return 1;
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(summary(report, outPath, rejectsPath, values.report));
  if (report.outcome === 'quarantined') {
    if (values.json) console.error(`csv-pipeline preprocess: ${input} could not be processed: ${report.fileError?.code}: ${report.fileError?.reason}`);
    return 1;
  }
  return report.rowsRejected > 0 ? 2 : 0;
}

/** The config (or the ingest defaults without one) and the dataset asked for, or why they cannot be had. */
function loadConfig(configOption: string | undefined, datasetName: string | undefined): { config: PipelineConfig; dataset?: DatasetConfig } | string {
  try {
    const configPath = configOption ?? (fs.existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
    if (datasetName && !configPath) return `--dataset ${datasetName} needs a pipeline config; pass --config FILE or run where ${DEFAULT_CONFIG_PATH} is`;
    // Without a config file the core still needs the ingest settings: their defaults.
    const config = configPath ? loadPipelineConfig(configPath) : ({ datasets: [], ingest: IngestSchema.parse({}) } as unknown as PipelineConfig);
    return { config, dataset: datasetName ? findDataset(config, datasetName) : undefined };
  } catch (err) {
    return (err as Error).message;
  }
}

/** An output file and the option that names it (for messages). */
interface Output {
  readonly flag: string;
  readonly path: string;
}

/**
 * Why the outputs cannot be written, or undefined: one is the input, two are the same file (also through
 * symbolic links, dangling ones included), one names a folder, or its folder does not exist. A missing folder is
 * not created: a mistyped path would silently write somewhere new.
 */
export function outputProblem(input: string, outputs: readonly Output[]): string | undefined {
  const inputId = fileId(input);
  const ids: string[] = [];
  for (const o of outputs) {
    let target: string;
    try {
      target = writeTarget(o.path);
    } catch (err) {
      return `${o.flag} ${o.path}: ${(err as Error).message}; point it at a file, or remove the loop`;
    }
    const id = fileId(target);
    if (id === inputId) return `${o.flag} ${o.path} is the input file; choose another output path`;
    const via = target === path.resolve(o.path) ? '' : ` (a symbolic link to ${target})`;
    const twin = ids.indexOf(id);
    if (twin >= 0) {
      const links = [outputs[twin], o].filter((x) => path.resolve(x.path) !== target).map((x) => `${x.flag} ${x.path}`);
      const note = links.length ? ` (${links.join(' and ')} ${links.length > 1 ? 'link' : 'links'} to it)` : '';
      return `${outputs[twin].flag} and ${o.flag} both name ${target}${note}; give each output its own file`;
    }
    ids.push(id);
    const folder = path.dirname(target);
    if (!isFolder(folder))
      return `the folder ${folder} of ${o.flag} ${o.path}${via} does not exist; create it first (mkdir -p ${JSON.stringify(folder)}) or choose another path`;
    if (isFolder(target)) return `${o.flag} ${o.path}${via} is a folder; name a file in it instead`;
  }
  return undefined;
}

/** Symbolic links followed in a row before giving up (Linux's MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

/**
 * The absolute path a write to `p` lands on: its folders resolved, then symbolic links followed one by one, also
 * to a target that does not exist yet (a relative target is read from the link's folder). Throws on a link loop.
 */
export function writeTarget(p: string): string {
  let at = path.resolve(p);
  for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
    at = path.join(realFolder(path.dirname(at)), path.basename(at));
    let link: string;
    try {
      link = fs.readlinkSync(at);
    } catch {
      return at; // not a link (EINVAL), or nothing there yet (ENOENT): this is the file written
    }
    at = path.resolve(path.dirname(at), link);
  }
  throw new Error(`more than ${MAX_LINK_HOPS} symbolic links in a row (a loop?) ending at ${at}`);
}

function realFolder(folder: string): string {
  try {
    return fs.realpathSync(folder);
  } catch {
    return folder; // does not exist: reported by the folder check
  }
}

/** A file's identity: device and inode when it exists (hard links to one file are one file), else its resolved path. */
function fileId(p: string): string {
  try {
    const st = fs.statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return writeTarget(p);
  }
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** An output being written: a temp file beside its target, renamed onto the target once the run has produced it. */
interface Staged {
  readonly target: string;
  readonly temp: string;
}

/**
 * Runs `produce` into temp files beside the targets, then renames them onto the targets: all of them when the file
 * was processed, only the report when it was quarantined, none after an error (the temp files are removed). Files
 * already at the targets are left as they were until then. Returns the report, or the error as one line.
 */
export async function writeOutputs(
  input: string,
  targets: { out: string; rejects: string; report?: string },
  produce: (sinks: { valid: fs.WriteStream; rejects: fs.WriteStream }) => Promise<PreprocessReport>,
): Promise<PreprocessReport | string> {
  const staged: Staged[] = [];
  const renamed: string[] = [];
  try {
    const report = await produce(openSinks(targets.out, targets.rejects, staged));
    if (report.outcome === 'quarantined') discard(staged.splice(0)); // no rows to keep: --out and --rejects stay as they were
    if (targets.report) writeStaged(targets.report, `${JSON.stringify(report, null, 2)}\n`, staged);
    while (staged.length) {
      fs.renameSync(staged[0].temp, staged[0].target);
      renamed.push(staged.shift()!.target);
    }
    return report;
  } catch (err) {
    // An I/O error (unreadable input, a file that cannot be created, a full disk): say which; leave no partial output.
    discard(staged);
    return `${ioMessage(err, input, staged)}; ${renamed.length ? `only ${renamed.join(', ')} written` : 'no output written'}`;
  }
}

/** Creates a new temp file beside `target` (recorded in `staged`) and returns its descriptor; the error names the target. */
function createStaged(target: string, staged: Staged[]): number {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    const existing = fs.statSync(target, { throwIfNoEntry: false });
    if (existing) fs.accessSync(target, fs.constants.W_OK); // a read-only file stays protected, as it was when written in place
    const fd = fs.openSync(temp, 'wx');
    staged.push({ target, temp });
    if (existing) fs.fchmodSync(fd, existing.mode & 0o7777); // the replacement keeps the permissions of the file it replaces
    return fd;
  } catch (err) {
    throw new Error(`cannot write ${target}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function writeStaged(target: string, text: string, staged: Staged[]): void {
  const fd = createStaged(target, staged);
  try {
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

function discard(staged: readonly Staged[]): void {
  for (const s of staged) fs.rmSync(s.temp, { force: true });
}

/** Opens both outputs' temp files now, so one that cannot be created fails before any reading. */
function openSinks(outPath: string, rejectsPath: string, staged: Staged[]): { valid: fs.WriteStream; rejects: fs.WriteStream } {
  const open = (p: string) => {
    const stream = fs.createWriteStream('', { fd: createStaged(p, staged) });
    // A later write error (a full disk) reaches the core through the stream's state: preprocess then throws it.
    stream.on('error', () => {});
    return stream;
  };
  const valid = open(outPath);
  try {
    return { valid, rejects: open(rejectsPath) };
  } catch (err) {
    valid.destroy();
    throw err;
  }
}

/** An I/O error as one line: what could not be read or written (the target, not its temp file), and the system's code. */
function ioMessage(err: unknown, input: string, staged: readonly Staged[]): string {
  const e = err as NodeJS.ErrnoException;
  if (!e.path) return e.message;
  const target = staged.find((s) => s.temp === e.path)?.target;
  return `cannot ${e.path === input ? 'read' : 'write'} ${target ?? e.path}: ${e.code ?? e.message}`;
}

/** A few lines a person reads after a run. */
export function summary(report: PreprocessReport, outPath: string, rejectsPath: string, reportPath?: string): string {
  const reportLine = reportPath ? [`report: ${reportPath}`] : [];
  if (report.outcome === 'quarantined') {
    const kept = `No rows written: ${outPath} and ${rejectsPath} were left as they were.`;
    return [`${report.source}: could not be processed (${report.fileError?.code}): ${report.fileError?.reason}`, kept, ...reportLine].join('\n');
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
  return [...lines, ...reportLine].join('\n');
}
