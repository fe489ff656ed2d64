// The handler's I/O shell: reads raw objects from S3, streams them through the core into multipart uploads, writes the report last.
import { PassThrough, type Readable, Writable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  type S3ClientConfig,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse } from 'aws-lambda';
import { datasetForKey, parsePipelineConfig } from '../config/parse';
import { FILES_FAILED_METRIC, INGEST_METRICS } from '../lib/ingest-metrics';
import type { PipelineConfig } from '../config/schema';
import { INFERRED_FOLDER, type OutputKeys, outputKeysFor } from './core/keys';
import type { preprocess } from './core/preprocess';
import { REJECTS_CONTENT_TYPE } from './core/rejects-jsonl';
import type { PreprocessReport } from './core/report';
import { normaliseEvent, type S3ObjectRef } from './events';

/** The core's entry point, injected so the shell can be tested with any core. */
export type PreprocessFn = typeof preprocess;

/** Everything the helpers talk to, passed in so tests can point them at moto (the Powertools way). */
export interface HandlerDeps {
  readonly config: PipelineConfig;
  readonly s3: S3Client;
  readonly processedBucket: string;
  readonly logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  readonly metrics: Pick<Metrics, 'addDimension' | 'addMetric' | 'publishStoredMetrics'>;
  readonly preprocess: PreprocessFn;
  /** Multipart part size of the output uploads (5 MiB, S3's minimum, when absent). */
  readonly partSizeBytes?: number;
  /** Quarantined files up to this size are copied with one CopyObject, larger ones in parts of this size (5 GiB, S3's CopyObject limit, when absent). */
  readonly singleCopyLimitBytes?: number;
}

/** The largest object one CopyObject can copy. */
const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;

export type ObjectStatus = 'processed' | 'quarantined' | 'duplicate' | 'gone';

export interface ObjectResult {
  readonly status: ObjectStatus;
  readonly keys?: OutputKeys;
  readonly report?: PreprocessReport;
}

/** The handler's settings from its environment; fails at cold start with what is missing and how to set it. */
export function settingsFromEnv(configJson: string | undefined, env: NodeJS.ProcessEnv): Pick<HandlerDeps, 'config' | 'processedBucket'> {
  if (!configJson) {
    throw new Error(
      'PIPELINE_CONFIG_JSON is not set: the CDK app inlines the validated pipeline config at bundle time; elsewhere set it to the JSON text of pipeline.config.json',
    );
  }
  if (!env.PROCESSED_BUCKET)
    throw new Error('PROCESSED_BUCKET is not set: set it to the name of the bucket that receives processed/, quarantine/, reports/ and inferred/');
  let raw: unknown;
  try {
    raw = JSON.parse(configJson);
  } catch (err) {
    throw new Error(`PIPELINE_CONFIG_JSON is not valid JSON (${(err as Error).message}); it starts with ${JSON.stringify(configJson.slice(0, 40))}`);
  }
  return { config: parsePipelineConfig(raw, 'PIPELINE_CONFIG_JSON'), processedBucket: env.PROCESSED_BUCKET };
}

/** S3 client options from the environment: the SDK reads AWS_ENDPOINT_URL_S3 itself; a custom endpoint (moto) needs path-style URLs. */
export function s3ClientConfigFromEnv(env: NodeJS.ProcessEnv): S3ClientConfig {
  return { forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL) };
}

/** Processes every object of an event; SQS messages whose objects failed come back as batch item failures. */
export async function handleEvent(event: unknown, deps: HandlerDeps): Promise<SQSBatchResponse | undefined> {
  const { source, items, skipped } = normaliseEvent(event);
  for (const record of skipped) {
    if (record.code === 'TEST_EVENT' || record.code === 'FOLDER_MARKER') deps.logger.info('Ignored event record', { ...record });
    else deps.logger.warn('Skipped event record that names no object to process', { ...record });
  }
  const failedMessages: string[] = [];
  const errors: unknown[] = [];
  for (const item of items) {
    let failed = false;
    for (const ref of item.objects) {
      try {
        await processObject(ref, deps);
      } catch (err) {
        failed = true;
        errors.push(err);
        deps.logger.error('Processing failed; the object will be retried', { ...logKeys(ref, deps.config), messageId: item.messageId, error: err as Error });
        publishFailure(deps.metrics);
      }
    }
    if (failed && item.messageId) failedMessages.push(item.messageId);
  }
  if (source === 'sqs') return { batchItemFailures: failedMessages.map((itemIdentifier) => ({ itemIdentifier })) };
  if (errors.length) throw new AggregateError(errors, `${errors.length} object(s) of the event failed; see the logged errors`);
  return undefined;
}

/**
 * Processes one raw object, idempotently: skipped when its report exists (duplicate delivery) or when
 * it is gone or superseded; otherwise outputs are written by multipart uploads that are completed only
 * when the core succeeded, and the report is written last. Throws only for I/O errors (retry them).
 */
export async function processObject(ref: S3ObjectRef, deps: HandlerDeps): Promise<ObjectResult> {
  const { s3, config, logger } = deps;
  const where = logKeys(ref, config);
  let versionTag = ref.versionId ?? ref.eTag;
  if (!versionTag) {
    const head = await ifPresent(() => s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key })));
    if (!head?.ETag) return gone(ref, deps);
    versionTag = unquoted(head.ETag);
  }
  const keys = outputKeysFor(config, ref.key, versionTag);
  if (await ifPresent(() => s3.send(new HeadObjectCommand({ Bucket: deps.processedBucket, Key: keys.reportKey })))) {
    logger.info('Report already exists: duplicate delivery, skipped', { ...where, reportKey: keys.reportKey });
    return { status: 'duplicate', keys };
  }
  // The version id, else If-Match on the ETag, pins the bytes the outputs are named after.
  const pin = ref.versionId ? { VersionId: ref.versionId } : { IfMatch: quoted(versionTag) };
  const object = await ifPresent(() => s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...pin })));
  if (!object?.Body) return gone(ref, deps);
  const input = object.Body as Readable;
  const dataset = datasetForKey(config, ref.key);
  const report = await streamThroughCore(input, keys, deps, (sinks) =>
    deps.preprocess(input, sinks, { config, dataset, source: ref.key, sizeBytes: object.ContentLength }),
  );
  if (report.outcome === 'quarantined') await quarantineRawFile(ref, pin, object.ContentLength ?? report.bytesIn, keys, report, deps);
  await putJson(s3, deps.processedBucket, keys.reportKey, report);
  publishMetrics(deps.metrics, report);
  logger.info(report.outcome === 'quarantined' ? 'File quarantined' : 'File processed', {
    ...where,
    outcome: report.outcome,
    fileError: report.fileError,
    rowsIn: report.rowsIn,
    rowsValid: report.rowsValid,
    rowsRejected: report.rowsRejected,
    reportKey: keys.reportKey,
  });
  return { status: report.outcome, keys, report };
}

type Sinks = { readonly valid: Writable; readonly rejects: Writable };

/**
 * Runs the core with its two sinks fed into two multipart uploads. The sinks never end the uploads
 * themselves: only once the core returned a 'processed' report are the uploads completed; on any
 * error, or when the file is quarantined, the upload bodies are destroyed, which makes lib-storage
 * abort the multipart upload (or skip its single PutObject), so no partial object is ever visible.
 * Two objects cannot be completed atomically: an output without a report comes from an unfinished
 * run; it is complete, and the retry rewrites it with the same bytes (the report marks completion).
 */
async function streamThroughCore(
  input: Readable,
  keys: OutputKeys,
  deps: HandlerDeps,
  run: (sinks: Sinks) => Promise<PreprocessReport>,
): Promise<PreprocessReport> {
  const bodies = [new PassThrough(), new PassThrough()] as const;
  const outputs = [
    { Key: keys.processedKey, ContentType: 'text/csv; charset=utf-8' },
    { Key: keys.rejectsKey, ContentType: REJECTS_CONTENT_TYPE },
  ];
  const uploads = outputs.map((output, i) =>
    new Upload({
      client: deps.s3,
      params: { Bucket: deps.processedBucket, ...output, Body: bodies[i] },
      ...(deps.partSizeBytes ? { partSize: deps.partSizeBytes } : {}),
    }).done(),
  );
  const sinks = { valid: heldOpen(bodies[0]), rejects: heldOpen(bodies[1]) };
  // Errors reach us through the promises of the core and the uploads; a stream destroyed with an error
  // after its consumer let go must not raise an unhandled 'error' event (that would crash the process).
  for (const stream of [input, ...bodies, sinks.valid, sinks.rejects]) stream.on('error', ignoreStreamError);
  let uploadError: unknown;
  const stopAll = (err: unknown) => {
    uploadError ??= err;
    for (const body of bodies) body.destroy(err as Error);
    for (const sink of Object.values(sinks)) sink.destroy(err as Error);
    input.destroy(err as Error);
  };
  const discarded = [false, false];
  /** Cancels one upload on purpose: its body is destroyed, so lib-storage writes nothing (or aborts its multipart upload). */
  const discard = async (i: 0 | 1, why: string) => {
    discarded[i] = true;
    bodies[i].destroy(new Error(why));
    await uploads[i].catch(() => undefined);
  };
  const settled = Promise.allSettled(uploads);
  for (const [i, upload] of uploads.entries()) upload.catch((err) => discarded[i] || stopAll(err));
  try {
    const report = await run(sinks);
    if (uploadError) throw uploadError;
    input.destroy(); // the core may stop early (e.g. a binary file): release the connection
    if (report.outcome === 'quarantined') {
      const why = `outputs discarded: the file was quarantined (${report.fileError?.code})`;
      await Promise.all([discard(0, why), discard(1, why)]);
      return report;
    }
    // Rejects first: when the processed upload then fails, no processed object exists, and the retry
    // rewrites the (complete) rejects object with identical bytes. No rejected row: no rejects object.
    if (report.rowsRejected > 0) {
      bodies[1].end();
      await uploads[1];
    } else {
      await discard(1, 'no rejected rows: no rejects object');
    }
    bodies[0].end();
    await uploads[0];
    return report;
  } catch (err) {
    stopAll(err);
    await settled;
    throw uploadError ?? err;
  }
}

function ignoreStreamError(): void {
  // handled where the stream's consumer awaits it
}

/** A sink that forwards to `body` with backpressure but does not end it when the core ends the sink. */
function heldOpen(body: PassThrough): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      if (body.destroyed) return callback(body.errored ?? new Error('the upload body was closed'));
      if (body.write(chunk)) return callback();
      const done = () => {
        body.off('drain', done);
        body.off('close', done);
        callback(body.destroyed ? (body.errored ?? new Error('the upload body was closed')) : null);
      };
      body.on('drain', done);
      body.on('close', done);
    },
    final(callback) {
      callback();
    },
  });
}

/** Stores the raw file under the quarantine key with a .reason.json beside it; a data problem, so no retry. */
async function quarantineRawFile(
  ref: S3ObjectRef,
  pin: { VersionId?: string; IfMatch?: string },
  sizeBytes: number,
  keys: OutputKeys,
  report: PreprocessReport,
  deps: HandlerDeps,
): Promise<void> {
  const encodedKey = encodeURIComponent(ref.key).replace(/%2F/g, '/');
  const copy = {
    Bucket: deps.processedBucket,
    Key: keys.quarantinedFileKey,
    CopySource: `${ref.bucket}/${encodedKey}${pin.VersionId ? `?versionId=${encodeURIComponent(pin.VersionId)}` : ''}`,
    ...(pin.IfMatch ? { CopySourceIfMatch: pin.IfMatch } : {}),
  };
  const singleCopyLimit = deps.singleCopyLimitBytes ?? MAX_SINGLE_COPY_BYTES;
  if (sizeBytes <= singleCopyLimit) await deps.s3.send(new CopyObjectCommand(copy));
  else await multipartCopy(deps.s3, copy, sizeBytes, singleCopyLimit);
  await putJson(deps.s3, deps.processedBucket, keys.quarantineReasonKey, {
    code: report.fileError?.code ?? null,
    reason: report.fileError?.reason ?? null,
    dataset: keys.dataset,
    source: { bucket: ref.bucket, key: ref.key, versionId: ref.versionId ?? null, eTag: ref.eTag ?? (pin.IfMatch ? unquoted(pin.IfMatch) : null), sizeBytes },
    reportKey: keys.reportKey,
  });
}

/** CopyObject copies at most 5 GiB; larger quarantined files are copied part by part (UploadPartCopy), all or nothing. */
async function multipartCopy(
  s3: S3Client,
  copy: { Bucket: string; Key: string; CopySource: string; CopySourceIfMatch?: string },
  sizeBytes: number,
  partSize: number,
): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: copy.Bucket, Key: copy.Key }));
  try {
    const parts: { PartNumber: number; ETag?: string }[] = [];
    for (let start = 0, PartNumber = 1; start < sizeBytes; start += partSize, PartNumber++) {
      const range = `bytes=${start}-${Math.min(start + partSize, sizeBytes) - 1}`;
      const out = await s3.send(new UploadPartCopyCommand({ ...copy, UploadId, PartNumber, CopySourceRange: range }));
      parts.push({ PartNumber, ETag: out.CopyPartResult?.ETag });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: copy.Bucket, Key: copy.Key, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: copy.Bucket, Key: copy.Key, UploadId })).catch(() => undefined);
    throw err;
  }
}

function gone(ref: S3ObjectRef, deps: HandlerDeps): ObjectResult {
  deps.logger.warn('Raw object is gone or was overwritten since the event; nothing to do', logKeys(ref, deps.config));
  return { status: 'gone' };
}

/** One failed file, with no Dataset dimension: the alarm on it watches a single metric (FILES_FAILED_METRIC). */
function publishFailure(metrics: HandlerDeps['metrics']): void {
  metrics.addMetric(FILES_FAILED_METRIC, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

function publishMetrics(metrics: HandlerDeps['metrics'], report: PreprocessReport): void {
  metrics.addDimension('Dataset', report.dataset ?? INFERRED_FOLDER);
  metrics.addMetric(INGEST_METRICS.rowsIn, MetricUnit.Count, report.rowsIn);
  metrics.addMetric(INGEST_METRICS.rowsValid, MetricUnit.Count, report.rowsValid);
  metrics.addMetric(INGEST_METRICS.rowsRejected, MetricUnit.Count, report.rowsRejected);
  metrics.addMetric(INGEST_METRICS.bytesIn, MetricUnit.Bytes, report.bytesIn);
  metrics.addMetric(INGEST_METRICS.filesProcessed, MetricUnit.Count, report.outcome === 'processed' ? 1 : 0);
  metrics.addMetric(INGEST_METRICS.filesQuarantined, MetricUnit.Count, report.outcome === 'quarantined' ? 1 : 0);
  metrics.addMetric(INGEST_METRICS.durationMs, MetricUnit.Milliseconds, report.durationMs);
  metrics.publishStoredMetrics();
}

async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${JSON.stringify(value, null, 2)}\n`, ContentType: 'application/json' }));
}

/** Runs an S3 read; undefined when the object does not exist or no longer matches (404, 412), rethrows anything else. */
async function ifPresent<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
    if (status === 404 || status === 412) return undefined;
    if (status === 403 && err instanceof Error) {
      err.message +=
        ' (S3 answers 403 instead of 404 for a missing object when the caller lacks s3:ListBucket on the bucket: grant it, e.g. limited to the reports/ prefix)';
    }
    throw err;
  }
}

function logKeys(ref: S3ObjectRef, config: PipelineConfig): Record<string, unknown> {
  return { dataset: datasetForKey(config, ref.key)?.name ?? INFERRED_FOLDER, bucket: ref.bucket, key: ref.key, versionId: ref.versionId, eTag: ref.eTag };
}

function quoted(eTag: string): string {
  return eTag.startsWith('"') ? eTag : `"${eTag}"`;
}

function unquoted(eTag: string): string {
  return eTag.replace(/^"|"$/g, '');
}
