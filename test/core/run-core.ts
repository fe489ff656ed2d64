// Test helper: runs the real preprocessing core on bytes or a fixture file and collects both sinks as text.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { loadPipelineConfig, findDataset, parsePipelineConfig } from '../../config/load';
import type { PipelineConfig } from '../../config/schema';
import { preprocess } from '../../lambda/core/preprocess';
import type { PreprocessReport } from '../../lambda/core/report';
import { readAll } from '../../lambda/core/reader';
import type { RejectedRow } from '../../lambda/core/rejects-jsonl';
import { readRejectsAsTable } from './serde-read';

export const FIXTURES = path.join(__dirname, '..', 'fixtures', 'csv');
export const CONFIG: PipelineConfig = loadPipelineConfig(path.join(__dirname, '..', '..', 'pipeline.config.json'));

export interface CoreResult {
  readonly report: PreprocessReport;
  readonly valid: string;
  readonly rejects: string;
  /** The valid output parsed back (header first). */
  readonly validRows: string[][];
  /** The rejects output (JSON Lines) read back as the rejects table reads it. */
  readonly rejectRows: RejectedRow[];
}

function collect(stream: PassThrough): Promise<string> {
  const parts: Buffer[] = [];
  stream.on('data', (d: Buffer) => parts.push(d));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    stream.on('error', reject);
  });
}

export function parseOutput(text: string): string[][] {
  return readAll(text, { delimiter: ',', quote: '"', lineEnding: 'LF' }).map((r) => r.fields);
}

/** Runs the core over `input` (fixture file name, or bytes split into chunks of `chunkSize`). */
export async function runCore(
  input: string | Uint8Array,
  opts: { dataset?: string /** A raw config object, validated here. */; config?: object; chunkSize?: number; sizeBytes?: number } = {},
): Promise<CoreResult> {
  const config = opts.config ? parsePipelineConfig(opts.config, 'test config') : CONFIG;
  const bytes = typeof input === 'string' ? fs.readFileSync(path.join(FIXTURES, input)) : Buffer.from(input);
  const size = opts.chunkSize ?? 65536;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const valid = new PassThrough();
  const rejects = new PassThrough();
  const [report, validText, rejectsText] = await Promise.all([
    preprocess(
      Readable.from(chunks),
      { valid, rejects },
      {
        config,
        dataset: opts.dataset ? findDataset(config, opts.dataset) : undefined,
        source: typeof input === 'string' ? input : 'bytes.csv',
        sizeBytes: opts.sizeBytes,
      },
    ),
    collect(valid),
    collect(rejects),
  ]);
  return { report, valid: validText, rejects: rejectsText, validRows: parseOutput(validText), rejectRows: readRejectsAsTable(rejectsText) };
}
