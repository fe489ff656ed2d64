// Runs the real preprocessing core (lambda/core/preprocess.ts) on a sample held in memory, so `init` decides with the core's own rules.
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { parsePipelineConfig } from '../../config/parse';
import type { PipelineConfig, PipelineConfigInput } from '../../config/schema';
import { preprocess } from '../../lambda/core/preprocess';
import type { PreprocessReport } from '../../lambda/core/report';

/** The dataset input shape of the config file (defaults not filled in). */
export type DatasetInput = PipelineConfigInput['datasets'][number];
export type ColumnInput = DatasetInput['columns'][number];
export type IngestInput = NonNullable<PipelineConfigInput['ingest']>;

/** One rejected row as the core writes it (REJECT_COLUMNS). */
export interface RejectRow {
  readonly line: number;
  readonly reason_code: string;
  readonly column_name: string;
  readonly reason: string;
  readonly raw_record: string;
}

export interface CoreRun {
  readonly report: PreprocessReport;
  /** The valid rows' CSV parsed back: the header (the dataset's column names) first. */
  readonly valid: string[][];
  readonly rejects: RejectRow[];
}

/** Slices the core is fed, like a file stream's chunks. */
const CHUNK_BYTES = 64 * 1024;

function collector(into: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      into.push(Buffer.from(chunk));
      callback();
    },
  });
}

async function* chunks(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) yield bytes.subarray(i, i + CHUNK_BYTES);
}

/** A config holding `dataset` (validated by the real loader) with the given ingest settings. */
export function configWith(dataset: DatasetInput, ingest: IngestInput = {}, source = 'the generated dataset entry'): PipelineConfig {
  return parsePipelineConfig({ datasets: [dataset], ingest }, source);
}

/** Runs the core on `bytes`: against the config's only dataset, or in inferred mode when `inferred`. */
export async function runCore(bytes: Uint8Array, config: PipelineConfig, source: string, inferred = false): Promise<CoreRun> {
  const valid: Buffer[] = [];
  const rejects: Buffer[] = [];
  const report = await preprocess(
    chunks(bytes),
    { valid: collector(valid), rejects: collector(rejects) },
    { config, dataset: inferred ? undefined : config.datasets[0], source },
  );
  const validText = Buffer.concat(valid).toString('utf8');
  const rejectText = Buffer.concat(rejects).toString('utf8');
  return {
    report,
    valid: validText ? (parse(validText, { relax_column_count: false }) as string[][]) : [],
    rejects: rejectText
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as RejectRow),
  };
}

/** Whether a reject is caused by a column rule or the key (which the entry can relax), not by the file's structure. */
export function isRuleReject(reject: RejectRow): boolean {
  return reject.column_name !== '';
}
