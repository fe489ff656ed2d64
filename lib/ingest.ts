// Routes each dataset's new raw .csv objects (EventBridge rule per dataset) through an SQS queue to the preprocessing Lambda.
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { datasetLayout } from '../config/layout';
import type { DatasetConfig, PipelineConfig } from '../config/schema';
import { allowIngestToReadRawUploads, allowIngestToWriteOutputs } from './iam/ingest-access';
import { METRICS_NAMESPACE } from './ingest-metrics';

/** The handler module the function is bundled from. */
export const HANDLER_ENTRY = path.join(__dirname, '..', 'lambda', 'handler.ts');
/** SQS messages (S3 events) per Lambda invocation. */
export const INGEST_BATCH_SIZE = 10;
/** Most concurrent Lambda invocations the queue drives, so a burst of uploads cannot starve the account. */
export const INGEST_MAX_CONCURRENCY = 10;
/** Visibility timeout of the ingest queue as a multiple of the Lambda timeout (AWS's advice for SQS event sources). */
const VISIBILITY_TIMEOUT_FACTOR = 6;
export const POWERTOOLS_SERVICE_NAME = 'csv-preprocess';

export interface IngestProps {
  /** The validated config: datasets (routing), ingest (memory, timeout, retries) and log retention. It is also inlined into the bundle. */
  readonly config: PipelineConfig;
  /** Bucket whose `Object Created` events (EventBridge enabled) carry uploads. */
  readonly rawBucket: s3.IBucket;
  /** Bucket the Lambda writes processed/, quarantine/, reports/ and inferred/ objects to. */
  readonly processedBucket: s3.IBucket;
  /**
   * The handler module (exporting `handler`).
   * @default HANDLER_ENTRY - lambda/handler.ts of this repository
   */
  readonly entry?: string;
}

export class Ingest extends Construct {
  /** The preprocessing Lambda (bundled from `entry`, config inlined). */
  readonly function: nodejs.NodejsFunction;
  /** Raw-object events wait here for the Lambda. */
  readonly queue: sqs.Queue;
  /** Events whose processing failed every retry. */
  readonly deadLetterQueue: sqs.Queue;
  /** The Lambda's log group (retention from config). */
  readonly logGroup: logs.LogGroup;
  /** One rule per dataset, keyed by dataset name. */
  readonly rules: Record<string, events.Rule> = {};

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const { config, rawBucket, processedBucket } = props;
    const ingest = config.ingest;
    const timeout = Duration.seconds(ingest.timeoutSeconds);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(ingest.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      retentionPeriod: Duration.days(4),
      // A message is received once plus `retryAttempts` times before it moves to the dead-letter queue.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: ingest.retryAttempts + 1 },
    });

    this.routeUploadsToQueue(config.datasets, rawBucket);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      // One of LOG_RETENTION_DAYS: the config schema accepts no other value.
      retention: config.monitoring.logRetentionDays as logs.RetentionDays,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Preprocessing Lambda: reads raw uploads, writes processed/quarantine/reports/inferred objects',
    });
    this.logGroup.grantWrite(role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry ?? HANDLER_ENTRY,
      handler: 'handler',
      description: 'Cleans and validates uploaded CSV files against the pipeline config',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: ingest.memoryMb,
      timeout,
      role,
      logGroup: this.logGroup,
      environment: {
        PROCESSED_BUCKET: processedBucket.bucketName,
        POWERTOOLS_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // Stack traces point at lambda/*.ts lines through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        minify: true,
        sourceMap: true,
        forceDockerBundling: false,
        // Bundle the AWS SDK too: @aws-sdk/lib-storage is not promised by the runtime, and the tested versions ship.
        externalModules: [],
        // The validated config is compiled into the bundle: the function cannot run with a config that did not pass synth.
        define: { 'process.env.PIPELINE_CONFIG_JSON': JSON.stringify(JSON.stringify(config)) },
      },
    });
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: INGEST_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: INGEST_MAX_CONCURRENCY,
      }),
    );

    // Least privilege on the data: read the datasets' raw prefixes, write the processed bucket's output prefixes.
    allowIngestToReadRawUploads(role, rawBucket, config.datasets);
    allowIngestToWriteOutputs(role, processedBucket);
  }

  /** One EventBridge rule per dataset: new .csv objects under its raw prefix go to the ingest queue. */
  private routeUploadsToQueue(datasets: readonly DatasetConfig[], rawBucket: s3.IBucket): void {
    for (const dataset of datasets) {
      const rawPrefix = datasetLayout(dataset).rawPrefix;
      this.rules[dataset.name] = new events.Rule(this, `Route-${dataset.name}`, {
        description: `New .csv objects under s3://<raw>/${rawPrefix} go to the ingest queue (dataset ${dataset.name})`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [rawBucket.bucketName] },
            object: { key: events.Match.anyOf(events.Match.wildcard(`${rawPrefix}*.csv`), events.Match.wildcard(`${rawPrefix}*.CSV`)) },
          },
        },
        targets: [new targets.SqsQueue(this.queue)],
      });
    }
  }
}
