// The handler against a real S3 API (moto's server): event shapes, idempotency, all-or-nothing uploads, quarantine, partial batches.
import type { SQSBatchResponse } from 'aws-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { outputKeysFor } from '../../lambda/core/keys';
import { handleEvent, processObject } from '../../lambda/s3-io';
import { FILES_FAILED_METRIC } from '../../lib/ingest-metrics';
import { startMoto, type MotoServer } from '../support/moto';
import { eventBridgeEventFor, readS3Event, sqsEventOf } from './event-fixtures';
import {
  captureEmf,
  config,
  createBuckets,
  depsFor,
  dropDownloadsAfter,
  injectFailures,
  listKeys,
  openMultipartUploads,
  ORDERS_CSV,
  serverError,
  PROCESSED_BUCKET,
  putRaw,
  RAW_BUCKET,
  readBytes,
  readText,
  recordCommands,
  signupsCsv,
  withStoredVersions,
} from './harness';
import { preprocess } from '../../lambda/core/preprocess';
import { REJECTS_CONTENT_TYPE } from '../../lambda/core/rejects-jsonl';
import { readRejectsAsTable } from '../core/serde-read';

let moto: MotoServer;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  s3 = moto.client();
});

afterAll(async () => {
  await moto?.stop();
});

let emf: ReturnType<typeof captureEmf>;

beforeEach(async () => {
  emf = captureEmf();
  await moto.reset();
  await createBuckets(s3);
});

afterEach(() => emf.restore());

const SIGNUP_HEADER = config.datasets[0].columns.map((c) => c.name).join(',');

describe('event shapes from the S3 event files', () => {
  it('processes a simple put delivered through SQS, pinned to its version', async () => {
    // Prepare
    const key = 'raw/signups/signups-2024-11-01.csv';
    const stored = { [key]: await putRaw(s3, key, signupsCsv(3, 1)) };
    await putRaw(s3, key, signupsCsv(50)); // a newer version: the event names the first one
    const event = sqsEventOf([withStoredVersions(readS3Event('put-simple.json'), stored)]);
    // Act
    const response = await handleEvent(event, depsFor(s3, preprocess));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const keys = outputKeysFor(config, key, stored[key].versionId!);
    expect(await listKeys(s3)).toEqual([keys.rejectsKey, keys.processedKey, keys.reportKey].sort());
    const processed = (await readText(s3, keys.processedKey)).trim().split('\n');
    expect(processed[0]).toBe(SIGNUP_HEADER);
    expect(processed).toHaveLength(4);
    const report = JSON.parse(await readText(s3, keys.reportKey));
    expect(report).toMatchObject({ source: key, dataset: 'signups', outcome: 'processed', rowsIn: 4, rowsValid: 3, rowsRejected: 1 });
    // The rejects object: JSON Lines, one object per rejected row, typed as such.
    expect(readRejectsAsTable(await readText(s3, keys.rejectsKey))).toEqual([
      expect.objectContaining({ source_file: key, line: 2, reason_code: 'INVALID_EMAIL' }),
    ]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: PROCESSED_BUCKET, Key: keys.rejectsKey }))).ContentType).toBe(REJECTS_CONTENT_TYPE);
  });

  it('decodes a key with spaces and parentheses (direct S3 notification, as-is)', async () => {
    const key = 'raw/signups/Nov export (2).csv';
    const stored = { [key]: await putRaw(s3, key, signupsCsv(2)) };
    await handleEvent(withStoredVersions(readS3Event('put-encoded-key.json'), stored), depsFor(s3, preprocess));
    const keys = outputKeysFor(config, key, stored[key].eTag);
    expect(keys.processedKey).toMatch(/^processed\/signups\/Nov-export-2-[0-9a-f]{12}\.csv$/);
    expect(JSON.parse(await readText(s3, keys.reportKey))).toMatchObject({ source: key, rowsValid: 2 });
  });

  it('reads a multipart-uploaded object with a UTF-8 key and writes a multipart output', async () => {
    const key = 'raw/signups/inscriptions-été.csv';
    const body = signupsCsv(120_000); // ~7 MB: raw object and processed output both span two parts
    const stored = { [key]: await putRaw(s3, key, body) };
    expect(stored[key].eTag).toMatch(/-2$/);
    const response = await handleEvent(sqsEventOf([withStoredVersions(readS3Event('multipart-unicode-key.json'), stored)]), depsFor(s3, preprocess));
    expect(response).toEqual({ batchItemFailures: [] });
    const keys = outputKeysFor(config, key, stored[key].eTag);
    const processed = await readText(s3, keys.processedKey);
    expect(processed.split('\n')[0]).toBe(SIGNUP_HEADER);
    expect(processed.trim().split('\n')).toHaveLength(120_001);
    expect(JSON.parse(await readText(s3, keys.reportKey))).toMatchObject({ rowsIn: 120_000, rowsValid: 120_000, bytesIn: Buffer.byteLength(body) });
    expect(await listKeys(s3)).toEqual([keys.processedKey, keys.reportKey]); // no rejected row: no rejects object
    expect(await openMultipartUploads(s3)).toEqual([]);
  });

  it('processes both records of a two-record event into their two datasets', async () => {
    const stored = {
      'raw/signups/a.csv': await putRaw(s3, 'raw/signups/a.csv', signupsCsv(2)),
      'raw/orders/b.csv': await putRaw(s3, 'raw/orders/b.csv', ORDERS_CSV),
    };
    await handleEvent(withStoredVersions(readS3Event('two-records.json'), stored), depsFor(s3, preprocess));
    const keys = await listKeys(s3);
    expect(keys.filter((k) => k.startsWith('reports/'))).toEqual([
      outputKeysFor(config, 'raw/orders/b.csv', stored['raw/orders/b.csv'].eTag).reportKey,
      outputKeysFor(config, 'raw/signups/a.csv', stored['raw/signups/a.csv'].eTag).reportKey,
    ]);
    expect(keys.filter((k) => k.startsWith('processed/orders/'))).toHaveLength(1);
    expect(keys.filter((k) => k.startsWith('processed/signups/'))).toHaveLength(1);
  });

  it('ignores the s3:TestEvent, as-is and inside SQS', async () => {
    expect(await handleEvent(readS3Event('test-event.json'), depsFor(s3, preprocess))).toBeUndefined();
    expect(await handleEvent(sqsEventOf([readS3Event('test-event.json')]), depsFor(s3, preprocess))).toEqual({ batchItemFailures: [] });
    expect(await listKeys(s3)).toEqual([]);
  });

  it('processes an EventBridge Object Created event and sends a file under no dataset prefix to inferred/', async () => {
    const key = 'uploads/misc export.csv';
    const put = await putRaw(s3, key, 'a,b\n1,2\n');
    await handleEvent(
      sqsEventOf([eventBridgeEventFor(RAW_BUCKET, 'uploads/misc+export.csv', { versionId: put.versionId, eTag: put.eTag })]),
      depsFor(s3, preprocess),
    );
    const keys = outputKeysFor(config, key, put.versionId!);
    expect(keys.processedKey).toMatch(/^inferred\//);
    expect(await listKeys(s3)).toEqual([keys.processedKey, keys.reportKey].sort());
    expect(JSON.parse(await readText(s3, keys.reportKey)).dataset).toBeNull();
  });

  it('does nothing for an object that no longer exists, or was overwritten since an unversioned event', async () => {
    const put = await putRaw(s3, 'raw/signups/a.csv', signupsCsv(1));
    const gone = await processObject({ bucket: RAW_BUCKET, key: 'raw/signups/deleted.csv', eTag: 'abc' }, depsFor(s3, preprocess));
    const superseded = await processObject({ bucket: RAW_BUCKET, key: 'raw/signups/a.csv', eTag: `${put.eTag.slice(0, -4)}ffff` }, depsFor(s3, preprocess));
    expect([gone.status, superseded.status]).toEqual(['gone', 'gone']);
    expect(await listKeys(s3)).toEqual([]);
  });
});

describe('idempotency under at-least-once delivery', () => {
  it('gives one set of outputs for a duplicate delivery: same keys, same bytes, second run skipped', async () => {
    const key = 'raw/signups/dup.csv';
    const put = await putRaw(s3, key, signupsCsv(10, 2));
    const event = sqsEventOf([eventBridgeEventFor(RAW_BUCKET, 'raw/signups/dup.csv', { versionId: put.versionId, eTag: put.eTag })]);
    await handleEvent(event, depsFor(s3, preprocess));
    const keysAfterFirst = await listKeys(s3);
    const bytesAfterFirst = await Promise.all(keysAfterFirst.map((k) => readBytes(s3, k)));

    const second = await processObject({ bucket: RAW_BUCKET, key, versionId: put.versionId, eTag: put.eTag }, depsFor(s3, preprocess));

    expect(second.status).toBe('duplicate');
    expect(await listKeys(s3)).toEqual(keysAfterFirst);
    expect(await Promise.all(keysAfterFirst.map((k) => readBytes(s3, k)))).toEqual(bytesAfterFirst);
  });

  it('redoes a file whose run crashed before the report, rewriting identical outputs', async () => {
    const key = 'raw/signups/crash.csv';
    const put = await putRaw(s3, key, signupsCsv(10, 2));
    const ref = { bucket: RAW_BUCKET, key, versionId: put.versionId };
    const first = await processObject(ref, depsFor(s3, preprocess));
    const processedBefore = await readBytes(s3, first.keys!.processedKey);
    await s3.send(new DeleteObjectCommand({ Bucket: PROCESSED_BUCKET, Key: first.keys!.reportKey }));

    const again = await processObject(ref, depsFor(s3, preprocess));

    expect(again.status).toBe('processed');
    expect(again.keys).toEqual(first.keys);
    expect(await readBytes(s3, first.keys!.processedKey)).toEqual(processedBefore);
  });
});

describe('failures', () => {
  it('leaves no processed object when an upload fails mid-way, and reports the message as a batch item failure', async () => {
    // Prepare: an output of ~7 MB goes up in two 5 MiB parts; part 2 of the processed upload fails
    const key = 'raw/signups/big.csv';
    const put = await putRaw(s3, key, signupsCsv(120_000, 3));
    const faulty = moto.client();
    const injected = injectFailures(
      faulty,
      (command, input) => command === 'UploadPartCommand' && String(input.Key).startsWith('processed/') && input.PartNumber === 2,
    );
    const event = sqsEventOf([eventBridgeEventFor(RAW_BUCKET, key, { versionId: put.versionId })]);
    // Act
    const response = (await handleEvent(event, depsFor(faulty, preprocess))) as SQSBatchResponse;
    // Assess
    expect(injected.failed).toEqual([expect.stringMatching(/^UploadPartCommand processed\/signups\/big-[0-9a-f]{12}\.csv part 2$/)]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'message-0' }]);
    const keys = outputKeysFor(config, key, put.versionId!);
    // No processed object, no report, no multipart upload left open. The rejects object is completed
    // before the processed one, so it exists, complete, from the failed run.
    expect(await listKeys(s3)).toEqual([keys.rejectsKey]);
    expect(await openMultipartUploads(s3)).toEqual([]);
    const rejectsOfFailedRun = await readBytes(s3, keys.rejectsKey);
    expect(readRejectsAsTable(rejectsOfFailedRun.toString())).toHaveLength(3);
    // The SQS retry succeeds, writes the full output and rewrites the rejects with the same bytes.
    expect(await handleEvent(event, depsFor(s3, preprocess))).toEqual({ batchItemFailures: [] });
    expect((await readText(s3, keys.processedKey)).trim().split('\n')).toHaveLength(120_001);
    expect(await readBytes(s3, keys.rejectsKey)).toEqual(rejectsOfFailedRun);
  });

  it('leaves nothing behind when the download drops mid-file (after a first output part went up)', async () => {
    const key = 'raw/signups/dropped.csv';
    const put = await putRaw(s3, key, signupsCsv(120_000, 3));
    const faulty = moto.client();
    dropDownloadsAfter(faulty, 6 * 1024 * 1024);
    const sent = recordCommands(faulty);
    const response = await handleEvent(sqsEventOf([eventBridgeEventFor(RAW_BUCKET, key, { versionId: put.versionId })]), depsFor(faulty, preprocess));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-0' }] });
    const processedKey = outputKeysFor(config, key, put.versionId!).processedKey;
    expect(sent).toEqual(expect.arrayContaining([`UploadPartCommand ${processedKey}`, `AbortMultipartUploadCommand ${processedKey}`]));
    expect(await listKeys(s3)).toEqual([]);
    expect(await openMultipartUploads(s3)).toEqual([]);
  });

  it('leaves no report when the report cannot be written, so the retry redoes the file', async () => {
    const key = 'raw/signups/report-fails.csv';
    const put = await putRaw(s3, key, signupsCsv(5));
    const faulty = moto.client();
    injectFailures(faulty, (command, input) => command === 'PutObjectCommand' && String(input.Key).startsWith('reports/'));
    await expect(handleEvent(eventBridgeEventFor(RAW_BUCKET, key, { versionId: put.versionId }), depsFor(faulty, preprocess))).rejects.toThrow(
      /1 object\(s\) of the event failed/,
    );
    expect((await listKeys(s3)).filter((k) => k.startsWith('reports/'))).toEqual([]);
    await handleEvent(eventBridgeEventFor(RAW_BUCKET, key, { versionId: put.versionId }), depsFor(s3, preprocess));
    expect((await listKeys(s3)).filter((k) => k.startsWith('reports/'))).toHaveLength(1);
  });

  it('returns exactly one batch item failure for a batch with one transient failure and one success', async () => {
    const ok = await putRaw(s3, 'raw/signups/ok.csv', signupsCsv(3));
    const flaky = await putRaw(s3, 'raw/orders/flaky.csv', ORDERS_CSV);
    const faulty = moto.client();
    injectFailures(faulty, (command, input) => command === 'GetObjectCommand' && input.Key === 'raw/orders/flaky.csv');
    const event = sqsEventOf([
      eventBridgeEventFor(RAW_BUCKET, 'raw/signups/ok.csv', { versionId: ok.versionId }),
      eventBridgeEventFor(RAW_BUCKET, 'raw/orders/flaky.csv', { versionId: flaky.versionId }),
    ]);
    const response = await handleEvent(event, depsFor(faulty, preprocess));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect((await listKeys(s3)).filter((k) => k.startsWith('reports/'))).toEqual([outputKeysFor(config, 'raw/signups/ok.csv', ok.versionId!).reportKey]);
  });
});

describe('access errors', () => {
  it('throws with a hint about s3:ListBucket when the report lookup is denied', async () => {
    const put = await putRaw(s3, 'raw/signups/denied.csv', signupsCsv(1));
    const faulty = moto.client();
    injectFailures(
      faulty,
      (command, input) => command === 'HeadObjectCommand' && String(input.Key).startsWith('reports/'),
      () => serverError('Forbidden', 403),
    );
    await expect(processObject({ bucket: RAW_BUCKET, key: 'raw/signups/denied.csv', versionId: put.versionId }, depsFor(faulty, preprocess))).rejects.toThrow(
      /s3:ListBucket/,
    );
  });
});

describe('file-level quarantine', () => {
  it('stores the raw file and its reason under quarantine, writes no processed rows, and does not ask for a retry', async () => {
    const key = 'raw/signups/photo.csv';
    const raw = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const put = await putRaw(s3, key, raw);
    const response = await handleEvent(sqsEventOf([eventBridgeEventFor(RAW_BUCKET, key, { versionId: put.versionId })]), depsFor(s3, preprocess));
    expect(response).toEqual({ batchItemFailures: [] });
    const keys = outputKeysFor(config, key, put.versionId!);
    expect(await listKeys(s3)).toEqual([keys.quarantinedFileKey, keys.quarantineReasonKey, keys.reportKey].sort());
    expect(await readBytes(s3, keys.quarantinedFileKey)).toEqual(raw);
    const reason = JSON.parse(await readText(s3, keys.quarantineReasonKey));
    expect(reason).toMatchObject({ dataset: 'signups', source: { bucket: RAW_BUCKET, key, versionId: put.versionId }, reportKey: keys.reportKey });
    expect(reason.code).toMatch(/^[A-Z_]+$/);
    expect(JSON.parse(await readText(s3, keys.reportKey))).toMatchObject({ outcome: 'quarantined', fileError: { code: reason.code } });
    expect(emf.documents).toHaveLength(1);
    expect(emf.documents[0]).toMatchObject({ Dataset: 'signups', FilesQuarantined: 1, FilesProcessed: 0 });
    expect(emf.documents[0]._aws.CloudWatchMetrics[0].Namespace).toBe('CsvPipeline');
  });
  it.each([
    ['a header that does not match the dataset', 'raw/signups/wrong-header.csv', () => ORDERS_CSV, 'HEADER_MISMATCH'],
    ['an empty file', 'raw/orders/empty.csv', () => '', 'EMPTY_FILE'],
  ])('quarantines %s with its reason code', async (_what, key, body, code) => {
    const put = await putRaw(s3, key, body());
    const response = await handleEvent(eventBridgeEventFor(RAW_BUCKET, key, { versionId: put.versionId }), depsFor(s3, preprocess));
    expect(response).toBeUndefined();
    const keys = outputKeysFor(config, key, put.versionId!);
    expect(await listKeys(s3)).toEqual([keys.quarantinedFileKey, keys.quarantineReasonKey, keys.reportKey].sort());
    expect(await readText(s3, keys.quarantinedFileKey)).toBe(body());
    expect(JSON.parse(await readText(s3, keys.quarantineReasonKey)).code).toBe(code);
  });

  it('quarantines a file over ingest.maxFileSizeMb, copying it whole from the version named by the event', async () => {
    const key = 'raw/signups/too-big.csv';
    const body = signupsCsv(20_000); // ~1.2 MB
    const put = await putRaw(s3, key, body);
    await putRaw(s3, key, 'id\n1\n'); // a later version must not be the one copied
    const small = { ...config, ingest: { ...config.ingest, maxFileSizeMb: 1 } };
    await handleEvent(eventBridgeEventFor(RAW_BUCKET, key, { versionId: put.versionId }), depsFor(s3, preprocess, { config: small }));
    const keys = outputKeysFor(small, key, put.versionId!);
    expect(JSON.parse(await readText(s3, keys.quarantineReasonKey)).code).toBe('FILE_TOO_LARGE');
    expect(await readText(s3, keys.quarantinedFileKey)).toBe(body);
    expect((await listKeys(s3)).filter((k) => k.startsWith('processed/'))).toEqual([]);
  });

  it('copies a quarantined file larger than one CopyObject in parts, byte for byte', async () => {
    const key = 'raw/signups/huge.csv';
    const body = Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.alloc(11 * 1024 * 1024, 7)]); // binary, 11 MiB
    const put = await putRaw(s3, key, body);
    const result = await processObject(
      { bucket: RAW_BUCKET, key, versionId: put.versionId },
      depsFor(s3, preprocess, { singleCopyLimitBytes: 5 * 1024 * 1024 }),
    );
    expect(result.status).toBe('quarantined');
    expect((await readBytes(s3, result.keys!.quarantinedFileKey)).equals(body)).toBe(true);
    expect(await openMultipartUploads(s3)).toEqual([]);
  });
});

describe('metrics', () => {
  it('publishes one EMF document per file with the Dataset dimension and the row counts', async () => {
    const a = await putRaw(s3, 'raw/signups/m.csv', signupsCsv(4, 1));
    const b = await putRaw(s3, 'raw/orders/m.csv', ORDERS_CSV);
    await handleEvent(
      sqsEventOf([
        eventBridgeEventFor(RAW_BUCKET, 'raw/signups/m.csv', { versionId: a.versionId }),
        eventBridgeEventFor(RAW_BUCKET, 'raw/orders/m.csv', { versionId: b.versionId }),
      ]),
      depsFor(s3, preprocess),
    );
    const documents = emf.documents;
    expect(documents.map((d) => [d.Dataset, d.RowsIn, d.RowsValid, d.RowsRejected, d.FilesProcessed])).toEqual([
      ['signups', 5, 4, 1, 1],
      ['orders', 2, 2, 0, 1],
    ]);
    const definition = documents[0]._aws.CloudWatchMetrics[0];
    expect(definition.Dimensions[0]).toContain('Dataset');
    expect(definition.Metrics.map((m: { Name: string }) => m.Name).sort()).toEqual(
      ['BytesIn', 'DurationMs', 'FilesProcessed', 'FilesQuarantined', 'RowsIn', 'RowsRejected', 'RowsValid'].sort(),
    );
    expect(documents[0].BytesIn).toBe(Buffer.byteLength(signupsCsv(4, 1)));
  });

  it('publishes FilesFailed = 1, with only the service dimension, for a file handed back to SQS as a batch item failure', async () => {
    const ok = await putRaw(s3, 'raw/signups/fm-ok.csv', signupsCsv(3));
    const flaky = await putRaw(s3, 'raw/orders/fm-flaky.csv', ORDERS_CSV);
    const faulty = moto.client();
    injectFailures(faulty, (command, input) => command === 'GetObjectCommand' && input.Key === 'raw/orders/fm-flaky.csv');
    const response = await handleEvent(
      sqsEventOf([
        eventBridgeEventFor(RAW_BUCKET, 'raw/signups/fm-ok.csv', { versionId: ok.versionId }),
        eventBridgeEventFor(RAW_BUCKET, 'raw/orders/fm-flaky.csv', { versionId: flaky.versionId }),
      ]),
      depsFor(faulty, preprocess),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    const failures = emf.documents.filter((d) => FILES_FAILED_METRIC in d);
    expect(failures).toHaveLength(1);
    expect(failures[0][FILES_FAILED_METRIC]).toBe(1);
    // The alarm (lib/monitoring.ts) watches exactly this metric: namespace, name and the service dimension alone.
    expect(failures[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
    expect(failures[0].Dataset).toBeUndefined();
    expect(emf.documents.filter((d) => d.Dataset === 'signups')).toHaveLength(1);
  });
});
