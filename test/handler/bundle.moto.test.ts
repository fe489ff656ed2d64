// The handler as deployed: bundled by esbuild with the config inlined, configured by environment only, against moto's S3 server.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { bundleHandler } from '../../bench/cold-start-bundle';
import { outputKeysFor } from '../../lambda/core/keys';
import { settingsFromEnv } from '../../lambda/s3-io';
import { startMoto, type MotoServer } from '../support/moto';
import { eventBridgeEventFor, sqsEventOf } from './event-fixtures';
import { config, createBuckets, listKeys, PROCESSED_BUCKET, putRaw, RAW_BUCKET, signupsCsv } from './harness';

let moto: MotoServer;
let s3: S3Client;
let outDir: string;
/** The function's environment: the CDK app's, pointed at moto, as the Lambda runtime completes it. */
let lambdaEnv: Record<string, string>;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  moto = await startMoto();
  s3 = moto.client();
  await createBuckets(s3);
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-bundle-'));
  lambdaEnv = { ...moto.lambdaEnvironment(PROCESSED_BUCKET), POWERTOOLS_METRICS_NAMESPACE: 'CsvPipeline', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' };
  for (const key of Object.keys(lambdaEnv)) savedEnv[key] = process.env[key];
});

afterAll(async () => {
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await moto?.stop();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

it('runs from the esbuild bundle with the config inlined, reaching S3 through AWS_ENDPOINT_URL_S3 alone', async () => {
  // Prepare: the environment the CDK app gives the function, plus the endpoint override the SDK reads natively
  const bundle = await bundleHandler(outDir, JSON.stringify(config));
  Object.assign(process.env, lambdaEnv);
  const key = 'raw/signups/Bundle test (1).csv';
  const put = await putRaw(s3, key, signupsCsv(5, 1));
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    lines.push(
      ...chunk
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('{')),
    );
    return true;
  }) as typeof process.stdout.write);
  // Act
  let response: unknown;
  try {
    const { handler } = require(bundle.file);
    response = await handler(sqsEventOf([eventBridgeEventFor(RAW_BUCKET, 'raw/signups/Bundle+test+%281%29.csv', { versionId: put.versionId })]), {
      functionName: 'csv-pipeline-ingest',
      awsRequestId: 'request-1',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:csv-pipeline-ingest',
      memoryLimitInMB: '1024',
      functionVersion: '$LATEST',
    });
  } finally {
    spy.mockRestore();
  }
  // Assess
  expect(response).toEqual({ batchItemFailures: [] });
  const keys = outputKeysFor(config, key, put.versionId!);
  expect(await listKeys(s3)).toEqual([keys.rejectsKey, keys.processedKey, keys.reportKey].sort());
  const records = lines.map((l) => JSON.parse(l));
  expect(records.find((r) => r.message === 'File processed')).toMatchObject({
    level: 'INFO',
    service: 'csv-pipeline',
    function_name: 'csv-pipeline-ingest',
    dataset: 'signups',
    key,
    versionId: put.versionId,
    rowsIn: 6,
    rowsValid: 5,
    rowsRejected: 1,
    reportKey: keys.reportKey,
  });
  const fileMetrics = records.find((r) => r._aws && r.Dataset === 'signups');
  expect(fileMetrics).toMatchObject({ RowsIn: 6, RowsValid: 5, RowsRejected: 1, FilesProcessed: 1, FilesQuarantined: 0 });
  expect(fileMetrics._aws.CloudWatchMetrics[0].Namespace).toBe('CsvPipeline');
  expect(records.find((r) => r._aws && r.ColdStart === 1)).toMatchObject({ function_name: 'csv-pipeline-ingest' });
});

describe('settingsFromEnv', () => {
  it('says what is missing and how to set it', () => {
    expect(() => settingsFromEnv(undefined, { PROCESSED_BUCKET: 'b' })).toThrow(/PIPELINE_CONFIG_JSON is not set/);
    expect(() => settingsFromEnv('{}', {})).toThrow(/PROCESSED_BUCKET is not set/);
    expect(() => settingsFromEnv('{oops', { PROCESSED_BUCKET: 'b' })).toThrow(/PIPELINE_CONFIG_JSON is not valid JSON .*"\{oops"/);
    expect(() => settingsFromEnv('{"datasets": []}', { PROCESSED_BUCKET: 'b' })).toThrow(/Invalid pipeline config PIPELINE_CONFIG_JSON/);
  });

  it('returns the validated config and the bucket', () => {
    const settings = settingsFromEnv(JSON.stringify(config), { PROCESSED_BUCKET: 'processed' });
    expect(settings.processedBucket).toBe('processed');
    expect(settings.config.datasets.map((d) => d.name)).toEqual(['signups', 'orders']);
  });
});
