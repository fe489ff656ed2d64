// The preprocessing Lambda's custom metrics: one list shared by the handler that emits them and the dashboard that graphs them.

/** Namespace of the Lambda's custom metrics (Powertools EMF). */
export const METRICS_NAMESPACE = 'CsvPipeline';

/** Metric names the handler emits once per raw file, with a `Dataset` dimension. */
export const INGEST_METRICS = {
  rowsIn: 'RowsIn',
  rowsValid: 'RowsValid',
  rowsRejected: 'RowsRejected',
  bytesIn: 'BytesIn',
  filesProcessed: 'FilesProcessed',
  filesQuarantined: 'FilesQuarantined',
  durationMs: 'DurationMs',
} as const;

/**
 * Emitted (value 1, no Dataset dimension: only the Lambda's `service` one) for each file the handler failed to process
 * and handed back to SQS as a batch item failure. The Lambda's Errors metric does not count these; an alarm does.
 */
export const FILES_FAILED_METRIC = 'FilesFailed';
