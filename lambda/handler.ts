// The Lambda entry point: builds its dependencies once per cold start and hands each event to the I/O helpers.
import { S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { preprocess } from './core/preprocess';
import { METRICS_NAMESPACE } from '../lib/ingest-metrics';
import { handleEvent, type HandlerDeps, s3ClientConfigFromEnv, settingsFromEnv } from './s3-io';

const logger = new Logger();
// POWERTOOLS_METRICS_NAMESPACE (set by the stack) wins; the shared default otherwise.
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE });

const deps: HandlerDeps = {
  // The literal `process.env.PIPELINE_CONFIG_JSON`: esbuild's `define` replaces this expression at bundle time.
  ...settingsFromEnv(process.env.PIPELINE_CONFIG_JSON, process.env),
  s3: new S3Client(s3ClientConfigFromEnv(process.env)),
  logger,
  metrics,
  preprocess,
};

/** SQS (batch size 10, reportBatchItemFailures), S3 notification or EventBridge event in; failed SQS messages out. */
export async function handler(event: unknown, context?: Context): Promise<SQSBatchResponse | undefined> {
  if (context) logger.addContext(context);
  metrics.captureColdStartMetric(context?.functionName);
  return handleEvent(event, deps);
}
