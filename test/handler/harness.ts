// Shared set-up of the handler tests: buckets on moto, raw objects, handler dependencies, S3 fault injection, EMF capture.
import * as path from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { loadPipelineConfig } from '../../config/load';
import type { HandlerDeps, PreprocessFn } from '../../lambda/s3-io';

export const RAW_BUCKET = 'csv-raw-data-example';
export const PROCESSED_BUCKET = 'csv-processed-data-example';
export const config = loadPipelineConfig(path.join(__dirname, '..', '..', 'pipeline.config.json'));

/** Creates the raw bucket (versioned, like the CDK app's) and the processed bucket. */
export async function createBuckets(s3: S3Client, versionedRaw = true): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: RAW_BUCKET }));
  if (versionedRaw) await s3.send(new PutBucketVersioningCommand({ Bucket: RAW_BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  await s3.send(new CreateBucketCommand({ Bucket: PROCESSED_BUCKET }));
}

export interface PutResult {
  readonly eTag: string;
  readonly versionId?: string;
}

/** Puts a raw object; bodies over 5 MiB go up as a real multipart upload (ETag "...-N"). */
export async function putRaw(s3: S3Client, key: string, body: string | Buffer): Promise<PutResult> {
  const result = await new Upload({ client: s3, params: { Bucket: RAW_BUCKET, Key: key, Body: body }, partSize: 5 * 1024 * 1024 }).done();
  return { eTag: String(result.ETag).replace(/"/g, ''), versionId: result.VersionId };
}

/** Sets the eTag/versionId of every record of an S3 notification whose decoded key was put, to what moto really stored. */
export function withStoredVersions(event: unknown, stored: Record<string, PutResult>): unknown {
  const copy = structuredClone(event) as { Records?: Array<{ s3: { object: Record<string, unknown> } }> };
  for (const record of copy.Records ?? []) {
    const object = record.s3.object;
    const put = stored[decodeURIComponent(String(object.key).replace(/\+/g, ' '))];
    if (!put) continue;
    object.eTag = put.eTag;
    if ('versionId' in object) object.versionId = put.versionId;
  }
  return copy;
}

/** Every key in a bucket, sorted. */
export async function listKeys(s3: S3Client, bucket = PROCESSED_BUCKET): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

export async function readText(s3: S3Client, key: string, bucket = PROCESSED_BUCKET): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToString();
}

export async function readBytes(s3: S3Client, key: string, bucket = PROCESSED_BUCKET): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

export async function openMultipartUploads(s3: S3Client, bucket = PROCESSED_BUCKET): Promise<string[]> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).map((u) => u.Key!);
}

/** Handler dependencies pointed at moto, with a silent logger and metrics written to stdout (EMF). */
export function depsFor(s3: S3Client, preprocess: PreprocessFn, extra: Partial<HandlerDeps> = {}): HandlerDeps {
  return {
    config,
    s3,
    processedBucket: PROCESSED_BUCKET,
    logger: new Logger({ serviceName: 'csv-pipeline-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'CsvPipeline', serviceName: 'csv-pipeline-test' }),
    preprocess,
    ...extra,
  };
}

/** An S3 error as the SDK raises it for a 5xx answer (e.g. SlowDown, InternalError). */
export function serverError(name = 'SlowDown', status = 503): Error {
  return Object.assign(new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } }), {
    message: `${name}: injected by the test`,
  });
}

/**
 * Makes `s3` fail the commands `shouldFail` picks, once each, before they are sent (outside the SDK's
 * retries): a stand-in for a network or S3 5xx failure in the middle of real traffic to moto.
 */
export function injectFailures(
  s3: S3Client,
  shouldFail: (command: string, input: Record<string, unknown>) => boolean,
  error: () => Error = () => serverError(),
): { failed: string[] } {
  const failed: string[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (shouldFail(String(context.commandName), input)) {
        failed.push(`${context.commandName} ${String(input.Key)}${input.PartNumber ? ` part ${input.PartNumber}` : ''}`);
        throw error();
      }
      return next(args);
    },
    { step: 'initialize', name: 'injectFailuresForTest' },
  );
  return { failed };
}

/** Records the name and key of every command `s3` sends. */
export function recordCommands(s3: S3Client): string[] {
  const sent: string[] = [];
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(`${context.commandName} ${String((args.input as Record<string, unknown>).Key)}`);
      return next(args);
    },
    { step: 'initialize', name: 'recordCommandsForTest' },
  );
  return sent;
}

/** Makes every GetObject body of `s3` fail with a connection reset after `bytes` bytes, as a dropped download does. */
export function dropDownloadsAfter(s3: S3Client, bytes: number): void {
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'GetObjectCommand') return result;
      const output = result.output as { Body?: AsyncIterable<Uint8Array> };
      const source = output.Body!;
      output.Body = Readable.from(
        (async function* () {
          let seen = 0;
          for await (const chunk of source) {
            const room = bytes - seen;
            if (chunk.length >= room) {
              if (room > 0) yield Buffer.from(chunk).subarray(0, room);
              throw Object.assign(new Error('read ECONNRESET (injected by the test)'), { code: 'ECONNRESET' });
            }
            seen += chunk.length;
            yield chunk;
          }
        })(),
      );
      return result;
    },
    { step: 'initialize', name: 'dropDownloadsForTest' },
  );
}

/**
 * Captures the EMF documents Powertools Metrics prints to stdout (call in beforeEach, restore in
 * afterEach); other output passes through.
 */
export function captureEmf(): { readonly documents: Array<Record<string, any>>; restore(): void } {
  const documents: Array<Record<string, any>> = [];
  const original = process.stdout.write.bind(process.stdout);
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = chunk.toString();
    if (!text.includes('"_aws"')) return original(chunk, ...(rest as []));
    for (const line of text.split('\n')) if (line.includes('"_aws"')) documents.push(JSON.parse(line));
    return true;
  }) as typeof process.stdout.write);
  return { documents, restore: () => spy.mockRestore() };
}

/** A deterministic sign-ups CSV: `bad` rows with an invalid e-mail (rejected by any validator) after the header, then `rows` valid rows. */
export function signupsCsv(rows: number, bad = 0): string {
  const lines = ['id,name,email,signup_date,status'];
  for (let j = 1; j <= bad; j++) lines.push(`${rows + j},Broken Row,not an e-mail,2024-11-01,active`);
  for (let i = 1; i <= rows; i++) lines.push(`${i},User Number ${i},user${i}@example.com,2024-11-${String((i % 28) + 1).padStart(2, '0')},active`);
  return `${lines.join('\n')}\n`;
}

export const ORDERS_CSV =
  'order_id,customer_email,ordered_at,amount,currency,paid\n1001,anna@example.com,2024-11-01 09:15:00,19.99,EUR,true\n1002,ben@example.com,2024-11-01 10:02:11,5.00,USD,false\n';
