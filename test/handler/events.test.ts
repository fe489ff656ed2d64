// Event normalisation: every shape the Lambda can receive, from the real S3 event files, decoded and skipped correctly.
import { decodeS3EventKey, normaliseEvent, s3ObjectsOf } from '../../lambda/events';
import { eventBridgeEventFor, readS3Event, sqsEventOf } from './event-fixtures';

describe('decodeS3EventKey', () => {
  it.each([
    ['raw/signups/Nov+export+%282%29.csv', 'raw/signups/Nov export (2).csv'],
    ['raw/signups/inscriptions-%C3%A9t%C3%A9.csv', 'raw/signups/inscriptions-été.csv'],
    ['raw/a%2Bb.csv', 'raw/a+b.csv'],
    ['raw/100%25.csv', 'raw/100%.csv'],
    ['raw/plain.csv', 'raw/plain.csv'],
  ])('decodes %s', (encoded, decoded) => {
    expect(decodeS3EventKey(encoded)).toBe(decoded);
  });

  it('returns undefined for a broken escape instead of throwing', () => {
    expect(decodeS3EventKey('raw/100%.csv')).toBeUndefined();
    expect(decodeS3EventKey('raw/%C3.csv')).toBeUndefined();
  });
});

describe('normaliseEvent on direct S3 notifications', () => {
  it('keeps the version, ETag, size and sequencer of a simple put', () => {
    const result = normaliseEvent(readS3Event('put-simple.json'));
    expect(result.source).toBe('direct');
    expect(result.skipped).toEqual([]);
    expect(result.items).toEqual([
      {
        objects: [
          {
            bucket: 'csv-raw-data-example',
            key: 'raw/signups/signups-2024-11-01.csv',
            versionId: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
            eTag: '0123456789abcdef0123456789abcdef',
            size: 172,
            sequencer: '0055AED6DCD90281E5',
          },
        ],
      },
    ]);
  });

  it('decodes spaces, parentheses and UTF-8 in keys', () => {
    expect(s3ObjectsOf(readS3Event('put-encoded-key.json')).map((o) => o.key)).toEqual(['raw/signups/Nov export (2).csv']);
    const multipart = s3ObjectsOf(readS3Event('multipart-unicode-key.json'));
    expect(multipart.map((o) => o.key)).toEqual(['raw/signups/inscriptions-été.csv']);
    expect(multipart[0].eTag).toBe('d41d8cd98f00b204e9800998ecf8427e-9');
    expect(multipart[0].versionId).toBeUndefined();
  });

  it('returns both records of a two-record event, Copy included', () => {
    expect(s3ObjectsOf(readS3Event('two-records.json')).map((o) => o.key)).toEqual(['raw/signups/a.csv', 'raw/orders/b.csv']);
  });

  it('ignores the s3:TestEvent', () => {
    const result = normaliseEvent(readS3Event('test-event.json'));
    expect(result.items).toEqual([]);
    expect(result.skipped).toEqual([expect.objectContaining({ code: 'TEST_EVENT' })]);
  });

  it('skips malformed and non-create records without throwing, keeping the good ones', () => {
    const event = readS3Event('two-records.json') as { Records: Array<Record<string, any>> };
    const noKey = structuredClone(event.Records[0]);
    delete noKey.s3.object.key;
    const removed = structuredClone(event.Records[0]);
    removed.eventName = 'ObjectRemoved:Delete';
    const badEscape = structuredClone(event.Records[0]);
    badEscape.s3.object.key = 'raw/signups/100%.csv';
    const folder = structuredClone(event.Records[0]);
    folder.s3.object.key = 'raw/signups/';
    const result = normaliseEvent({ Records: [noKey, removed, badEscape, folder, event.Records[1], 'junk'] });
    expect(result.items.flatMap((i) => i.objects).map((o) => o.key)).toEqual(['raw/orders/b.csv']);
    expect(result.skipped.map((s) => [s.where, s.code])).toEqual([
      ['(event).Records[0]', 'MALFORMED_RECORD'],
      ['(event).Records[1]', 'NOT_OBJECT_CREATED'],
      ['(event).Records[2]', 'MALFORMED_RECORD'],
      ['(event).Records[3]', 'FOLDER_MARKER'],
      ['(event).Records[5]', 'MALFORMED_RECORD'],
    ]);
    expect(result.skipped[2].reason).toContain('raw/signups/100%.csv');
  });

  it('reports an unknown shape', () => {
    expect(normaliseEvent({ hello: 'world' }).skipped).toEqual([expect.objectContaining({ code: 'UNKNOWN_SHAPE' })]);
    expect(normaliseEvent(null).skipped).toEqual([expect.objectContaining({ code: 'UNKNOWN_SHAPE' })]);
  });
});

describe('normaliseEvent on EventBridge events', () => {
  it('reads bucket, decoded key, version-id, etag, size and sequencer from detail', () => {
    const refs = s3ObjectsOf(eventBridgeEventFor('csv-raw-data-example', 'raw/signups/Nov+export+%282%29.csv', { versionId: 'v1', eTag: 'abc', size: 10 }));
    expect(refs).toEqual([
      { bucket: 'csv-raw-data-example', key: 'raw/signups/Nov export (2).csv', versionId: 'v1', eTag: 'abc', size: 10, sequencer: '0055AED6DCD90281E5' },
    ]);
  });

  it('skips other detail-types', () => {
    const event = { ...eventBridgeEventFor('b', 'raw/x.csv'), 'detail-type': 'Object Deleted' };
    expect(normaliseEvent(event).skipped).toEqual([expect.objectContaining({ code: 'NOT_OBJECT_CREATED' })]);
  });
});

describe('normaliseEvent on SQS events', () => {
  it('keeps one work item per message, whatever the body shape', () => {
    const event = sqsEventOf([
      readS3Event('put-encoded-key.json'),
      eventBridgeEventFor('csv-raw-data-example', 'raw/orders/b%C3%A9.csv', { eTag: 'e1' }),
      readS3Event('two-records.json'),
      readS3Event('test-event.json'),
    ]);
    const result = normaliseEvent(event);
    expect(result.source).toBe('sqs');
    expect(result.items.map((i) => [i.messageId, i.objects.map((o) => o.key)])).toEqual([
      ['message-0', ['raw/signups/Nov export (2).csv']],
      ['message-1', ['raw/orders/bé.csv']],
      ['message-2', ['raw/signups/a.csv', 'raw/orders/b.csv']],
    ]);
    expect(result.skipped.map((s) => [s.where, s.code])).toEqual([['Records[3].body', 'TEST_EVENT']]);
  });

  it('skips a message whose body is not JSON', () => {
    const event = sqsEventOf([readS3Event('put-simple.json')]);
    (event.Records[0] as { body: string }).body = '{not json';
    const result = normaliseEvent(event);
    expect(result.items).toEqual([]);
    expect(result.skipped).toEqual([expect.objectContaining({ where: 'Records[0].body', code: 'MALFORMED_RECORD' })]);
  });
});
