// The preprocessing core: streams one raw CSV file into valid rows, rejected rows and a report, with no AWS calls.
import type { Writable } from 'node:stream';
import type { DatasetConfig, PipelineConfig } from '../../config/schema';
import type { PreprocessReport } from './report';
import { RecordTooLargeError } from './reader';
import { DuplicateKeys } from './keyset';
import type { BlockRun } from './blocks';
import { Quarantine, ReportBuilder } from './build-report';
import { InputBytes, LineAlignedDecoder, SLICE_BYTES, tooLarge } from './input';
import { decideOnSample, readSample, type SampleDecisions } from './sample';
import { type ColumnPlan, planColumns } from './column-plan';
import { RowWriter } from './row-writer';
import { endSinks } from './sinks';

// The stages' constants other modules (the worker threads' merge, tests) read from here.
export { MAX_HEADER_BYTES, SAMPLE_BYTES } from './sample';
export { INFER_ROWS } from './column-plan';
export { MAX_FOOTER_RECORDS } from './footer';

export interface PreprocessOptions {
  readonly config: PipelineConfig;
  /** undefined: inferred mode (no dataset config). */
  readonly dataset?: DatasetConfig;
  /** S3 key or local path; goes into rejects' source_file and the report. */
  readonly source: string;
  /** When known: over config.ingest.maxFileSizeMb the file is quarantined unread. */
  readonly sizeBytes?: number;
  /** Worker threads (local/parallel-preprocess.ts): decide on the sample, then read only this block of the file. */
  readonly block?: BlockRun;
}

export interface PreprocessSinks {
  /** Valid rows: RFC 4180 CSV, UTF-8, comma, header first. */
  readonly valid: Writable;
  /** Rejected rows: JSON Lines, one object per row with REJECT_COLUMNS' keys (see rejects-jsonl.ts); nothing for no rejected row. */
  readonly rejects: Writable;
}

/**
 * Streams the input once in constant memory; ends both sinks; never throws for bad data (a file that cannot be
 * read comes back as outcome "quarantined" with fileError {code, reason}); throws only on I/O errors of the input
 * or the sinks. When the outcome is "quarantined" the caller discards what the sinks received.
 */
export async function preprocess(input: AsyncIterable<Uint8Array>, sinks: PreprocessSinks, options: PreprocessOptions): Promise<PreprocessReport> {
  const report = new ReportBuilder(options.source, options.dataset ? options.dataset.name : null);
  const limitMb = options.config.ingest.maxFileSizeMb;
  if (options.sizeBytes !== undefined && options.sizeBytes > limitMb * 1024 * 1024) {
    await endSinks([sinks.valid, sinks.rejects]);
    return report.quarantined(tooLarge(options.sizeBytes, true, limitMb), 0);
  }
  const bytes = new InputBytes(input, limitMb);
  const quarantine = async (q: Quarantine): Promise<PreprocessReport> => {
    await bytes.stop();
    await endSinks([sinks.valid, sinks.rejects]);
    return report.quarantined(q, bytes.bytesIn);
  };

  const decided = await decide(bytes, options, report);
  if (decided instanceof Quarantine) return quarantine(decided);
  const { decisions, plan } = decided;
  const rows = new RowWriter(decisions, plan, {
    source: options.source,
    keys: options.block?.keys ?? new DuplicateKeys(),
    valid: sinks.valid,
    rejects: sinks.rejects,
    writeHeader: !options.block || options.block.firstLine === 1,
  });
  const failed = await streamRows(bytes, decisions, rows, options.block);
  if (failed) return quarantine(failed);

  if (options.block) options.block.ended(rows.blockEnd(report.notes));
  const end = rows.endBody();
  report.notes.push(...end.notes);
  report.read = { ...report.read!, footerLines: end.footerLines };
  await rows.flush(true);
  await endSinks([sinks.valid, sinks.rejects]);
  return report.processed(rows, bytes.bytesIn);
}

/** Reads the sample and makes every decision on it (encoding, dialect, header, columns), noting each in the report. */
async function decide(
  bytes: InputBytes,
  options: PreprocessOptions,
  report: ReportBuilder,
): Promise<{ decisions: SampleDecisions; plan: ColumnPlan } | Quarantine> {
  const sample = await readSample(bytes);
  const overLimit = bytes.overLimit();
  if (overLimit) return overLimit;
  if (bytes.bytesIn === 0) return new Quarantine('EMPTY_FILE', 'the file is empty (0 bytes); upload a CSV file with a header row');
  const decisions = decideOnSample(sample, bytes.done, options.dataset, options.block !== undefined);
  if (decisions instanceof Quarantine) return decisions;
  report.read = decisions.read;
  report.notes.push(...decisions.notes);
  const plan = planColumns(decisions, options.dataset, options.config);
  if (plan instanceof Quarantine) return plan;
  report.notes.push(...plan.notes);
  report.columns = plan.report;
  return { decisions, plan };
}

/** Streams the records after the sample (or a block's) through the row writer; a quarantine when the file turns out unreadable. */
async function streamRows(bytes: InputBytes, decisions: SampleDecisions, rows: RowWriter, block: BlockRun | undefined): Promise<Quarantine | undefined> {
  const lines = new LineAlignedDecoder(decisions.decoder, decisions.encoding.encoding, decisions.dialect.lineEnding, (text, from) => rows.push(text, from));
  try {
    if (!block) rows.push(decisions.sampleText, decisions.sample);
    else {
      // A block: the sample served the decisions; the records are the block's.
      await bytes.switchTo(block.bytes);
      rows.startAt(block.firstLine);
    }
    await rows.flush(false);
    while (!bytes.done) {
      const chunk = await bytes.next();
      if (chunk === undefined) break;
      const overLimit = bytes.overLimit();
      if (overLimit) return overLimit;
      // Big input chunks are worked through in slices, so memory does not depend on the caller's chunk size.
      for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
        lines.push(chunk.length <= SLICE_BYTES ? chunk : chunk.subarray(offset, offset + SLICE_BYTES));
        await rows.flush(false);
      }
    }
    lines.end();
    rows.end();
  } catch (err) {
    if (err instanceof RecordTooLargeError) return new Quarantine('RECORD_TOO_LARGE', `${err.message}; check the quoting of that line, or split the file`);
    throw err;
  }
  return undefined;
}
