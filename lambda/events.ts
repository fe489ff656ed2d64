// Turns every event shape the Lambda can receive (SQS, S3 notification, EventBridge) into plain object references, with keys decoded.

/** One raw object to process, as named by the event. */
export interface S3ObjectRef {
  readonly bucket: string;
  /** The object key, decoded (`+` is a space, `%XX` escapes are UTF-8 bytes). */
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
  readonly size?: number;
  readonly sequencer?: string;
}

/** A record that was not turned into work, and why (logged by the handler, never thrown). */
export interface SkippedRecord {
  /** Where in the event: e.g. `Records[2]` or `Records[0].body.Records[1]`. */
  readonly where: string;
  /** Stable code: TEST_EVENT, NOT_OBJECT_CREATED, FOLDER_MARKER, MALFORMED_RECORD, UNKNOWN_SHAPE. */
  readonly code: string;
  readonly reason: string;
}

/**
 * A unit of work: the objects of one SQS message (reported back as a batch item failure when any of
 * them fails), or of a whole direct invocation (no messageId: the invocation fails instead).
 */
export interface WorkItem {
  readonly messageId?: string;
  readonly objects: readonly S3ObjectRef[];
}

export interface NormalisedEvent {
  /** "sqs": partial batch responses apply; "direct": an S3 notification or EventBridge event. */
  readonly source: 'sqs' | 'direct';
  readonly items: readonly WorkItem[];
  readonly skipped: readonly SkippedRecord[];
}

/**
 * Decodes a key as S3 writes it into events: form-style URL encoding (`+` for a space, `%XX` for
 * UTF-8 bytes, `/` not encoded). S3 notifications encode keys this way (S3 user guide, "Event message
 * structure"); EventBridge "Object Created" events carry the key encoded the same way: Powertools for
 * AWS Lambda (Python) decodes both with `unquote_plus` (`S3EventBridgeNotificationObject.key` returns
 * `unquote_plus(self["key"])` in aws_lambda_powertools/utilities/data_classes/s3_event.py).
 * Returns undefined when the text is not valid percent-encoding (e.g. a lone `%`).
 */
export function decodeS3EventKey(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Normalises any supported event; never throws: what cannot be used is listed in `skipped`. */
export function normaliseEvent(event: unknown): NormalisedEvent {
  const skipped: SkippedRecord[] = [];
  const records = recordsOf(event);
  if (records && records.length > 0 && records.every((r) => isObject(r) && r.eventSource === 'aws:sqs')) {
    const items: WorkItem[] = [];
    records.forEach((record, i) => {
      const where = `Records[${i}]`;
      const r = record as Record<string, unknown>;
      const messageId = typeof r.messageId === 'string' ? r.messageId : undefined;
      let body: unknown;
      try {
        body = JSON.parse(String(r.body));
      } catch (err) {
        skipped.push({
          where: `${where}.body`,
          code: 'MALFORMED_RECORD',
          reason: `SQS message body is not JSON (${(err as Error).message}): ${preview(r.body)}`,
        });
        return;
      }
      const objects = objectsOf(body, `${where}.body`, skipped);
      if (objects.length > 0) items.push({ messageId, objects });
    });
    return { source: 'sqs', items, skipped };
  }
  const objects = objectsOf(event, '(event)', skipped);
  return { source: 'direct', items: objects.length > 0 ? [{ objects }] : [], skipped };
}

/** The objects of any event shape, flattened (SQS bodies included); skipped records are dropped. */
export function s3ObjectsOf(event: unknown): S3ObjectRef[] {
  return normaliseEvent(event).items.flatMap((item) => item.objects);
}

/** Objects named by an S3 notification, an EventBridge S3 event, or an S3 test event (none). */
function objectsOf(event: unknown, where: string, skipped: SkippedRecord[]): S3ObjectRef[] {
  if (!isObject(event)) {
    skipped.push({ where, code: 'UNKNOWN_SHAPE', reason: `expected an S3 notification or an EventBridge event, got ${preview(event)}` });
    return [];
  }
  if (event.Event === 's3:TestEvent') {
    skipped.push({ where, code: 'TEST_EVENT', reason: `s3:TestEvent for bucket ${String(event.Bucket)} (sent when notifications are configured)` });
    return [];
  }
  if (event.source === 'aws.s3' && 'detail-type' in event) return eventBridgeObjects(event, where, skipped);
  const records = recordsOf(event);
  if (records) {
    return records.flatMap((record, i) => {
      const ref = notificationObject(record, `${where}.Records[${i}]`, skipped);
      return ref ? [ref] : [];
    });
  }
  skipped.push({
    where,
    code: 'UNKNOWN_SHAPE',
    reason: `expected an S3 notification (Records[]) or an EventBridge event (source "aws.s3"), got ${preview(event)}`,
  });
  return [];
}

function notificationObject(record: unknown, where: string, skipped: SkippedRecord[]): S3ObjectRef | undefined {
  if (!isObject(record) || record.eventSource !== 'aws:s3') {
    skipped.push({ where, code: 'MALFORMED_RECORD', reason: `expected eventSource "aws:s3", got ${preview(isObject(record) ? record.eventSource : record)}` });
    return undefined;
  }
  if (typeof record.eventName !== 'string' || !record.eventName.startsWith('ObjectCreated:')) {
    skipped.push({ where, code: 'NOT_OBJECT_CREATED', reason: `event ${preview(record.eventName)} is not an ObjectCreated event` });
    return undefined;
  }
  const s3 = isObject(record.s3) ? record.s3 : {};
  const bucket = isObject(s3.bucket) ? s3.bucket.name : undefined;
  const object = isObject(s3.object) ? s3.object : {};
  return objectRef({ bucket, key: object.key, versionId: object.versionId, eTag: object.eTag, size: object.size, sequencer: object.sequencer }, where, skipped);
}

function eventBridgeObjects(event: Record<string, unknown>, where: string, skipped: SkippedRecord[]): S3ObjectRef[] {
  if (event['detail-type'] !== 'Object Created') {
    skipped.push({ where, code: 'NOT_OBJECT_CREATED', reason: `EventBridge detail-type ${preview(event['detail-type'])} is not "Object Created"` });
    return [];
  }
  const detail = isObject(event.detail) ? event.detail : {};
  const bucket = isObject(detail.bucket) ? detail.bucket.name : undefined;
  const object = isObject(detail.object) ? detail.object : {};
  const ref = objectRef(
    { bucket, key: object.key, versionId: object['version-id'], eTag: object.etag, size: object.size, sequencer: object.sequencer },
    `${where}.detail`,
    skipped,
  );
  return ref ? [ref] : [];
}

interface RawFields {
  bucket: unknown;
  key: unknown;
  versionId: unknown;
  eTag: unknown;
  size: unknown;
  sequencer: unknown;
}

function objectRef(raw: RawFields, where: string, skipped: SkippedRecord[]): S3ObjectRef | undefined {
  if (typeof raw.bucket !== 'string' || raw.bucket === '') {
    skipped.push({ where, code: 'MALFORMED_RECORD', reason: `bucket name missing or not a string: ${preview(raw.bucket)}` });
    return undefined;
  }
  if (typeof raw.key !== 'string' || raw.key === '') {
    skipped.push({ where, code: 'MALFORMED_RECORD', reason: `object key missing or not a string: ${preview(raw.key)}` });
    return undefined;
  }
  const key = decodeS3EventKey(raw.key);
  if (key === undefined) {
    skipped.push({ where, code: 'MALFORMED_RECORD', reason: `object key ${preview(raw.key)} is not valid URL encoding` });
    return undefined;
  }
  if (key.endsWith('/')) {
    skipped.push({ where, code: 'FOLDER_MARKER', reason: `key "${key}" ends with "/": a folder marker, not a file` });
    return undefined;
  }
  return {
    bucket: raw.bucket,
    key,
    // Unversioned buckets may report the version as the literal "null"; it names no version to pin.
    ...(typeof raw.versionId === 'string' && raw.versionId !== '' && raw.versionId !== 'null' ? { versionId: raw.versionId } : {}),
    ...(typeof raw.eTag === 'string' && raw.eTag !== '' ? { eTag: raw.eTag.replace(/^"|"$/g, '') } : {}),
    ...(typeof raw.size === 'number' && Number.isFinite(raw.size) && raw.size >= 0 ? { size: raw.size } : {}),
    ...(typeof raw.sequencer === 'string' && raw.sequencer !== '' ? { sequencer: raw.sequencer } : {}),
  };
}

function recordsOf(event: unknown): unknown[] | undefined {
  return isObject(event) && Array.isArray(event.Records) ? event.Records : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
