// Reads the S3 event fixtures and wraps them the way the CDK app delivers them (EventBridge, SQS), for handler tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SQSEvent } from 'aws-lambda';

/** The S3 event files copied from ../shared/data/s3-events (see the README beside them). */
export const S3_EVENTS_DIR = path.join(__dirname, '..', 'fixtures', 's3-events');

export function readS3Event(file: string): unknown {
  const full = path.join(S3_EVENTS_DIR, file);
  if (!fs.existsSync(full)) {
    throw new Error(`S3 event fixture ${full} is missing; copy it from ../shared/data/s3-events/ into test/fixtures/s3-events/`);
  }
  return JSON.parse(fs.readFileSync(full, 'utf8'));
}

/** An EventBridge "Object Created" event as S3 sends it (S3 user guide, "EventBridge event message structure"). */
export function eventBridgeEventFor(
  bucket: string,
  encodedKey: string,
  object: { versionId?: string; eTag?: string; size?: number } = {},
): Record<string, unknown> {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2024-11-02T10:15:30Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: {
        key: encodedKey,
        ...(object.size === undefined ? {} : { size: object.size }),
        ...(object.eTag === undefined ? {} : { etag: object.eTag }),
        ...(object.versionId === undefined ? {} : { 'version-id': object.versionId }),
        sequencer: '0055AED6DCD90281E5',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '203.0.113.10',
      reason: 'PutObject',
    },
  };
}

/** An SQS event whose message bodies are the given events (message ids message-0, message-1, ...). */
export function sqsEventOf(bodies: readonly unknown[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `message-${i}`,
      receiptHandle: `receipt-${i}`,
      body: JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '1730542530123',
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: '1730542530124',
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:csv-pipeline-ingest',
      awsRegion: 'us-east-1',
    })),
  };
}
