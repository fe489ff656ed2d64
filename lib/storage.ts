// The pipeline's buckets (raw, processed, final, scratch, access logs) with secure defaults and config-driven lifecycle.
import { CfnResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PREFIXES } from '../config/layout';
import type { StorageConfig } from '../config/schema';
import { acknowledge } from './nag';

/** Prefixes of the scratch bucket: Athena query results and the Glue jobs' temporary files. */
export const SCRATCH_PREFIXES = { athenaResults: 'athena-results/', glueTemp: 'glue-temp/' } as const;

/** Days after which incomplete multipart uploads are aborted in every bucket. */
const ABORT_INCOMPLETE_UPLOADS_DAYS = 7;
/** Days after which Athena results and Glue temporary files expire: both can be recomputed. */
const SCRATCH_EXPIRATION_DAYS = 30;
/** Construct id aws-cdk-lib gives a bucket's auto-delete custom resource (autoDeleteObjects: true). */
const AUTO_DELETE_OBJECTS_ID = 'AutoDeleteObjectsCustomResource';

export interface PipelineStorageProps {
  /** Lifecycle settings from the validated config (`config.storage`). */
  readonly storage: StorageConfig;
  /**
   * Whether the buckets and their objects are deleted with the stack.
   * @default false - buckets are retained (RemovalPolicy.RETAIN) and must be emptied and deleted by hand
   */
  readonly disposable?: boolean;
}

export class PipelineStorage extends Construct {
  /** Uploads land here under each dataset's raw prefix (versioned). */
  readonly rawBucket: s3.Bucket;
  /** processed/, quarantine/, reports/ and inferred/ written by the preprocessing Lambda. */
  readonly processedBucket: s3.Bucket;
  /** final_output/<dataset>/ Parquet written by the Glue jobs. */
  readonly finalBucket: s3.Bucket;
  /** Athena results (athena-results/) and Glue temporary files (glue-temp/). */
  readonly scratchBucket: s3.Bucket;
  /** Server access logs of the other buckets. */
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: PipelineStorageProps) {
    super(scope, id);
    const storage = props.storage;
    const disposal: Partial<s3.BucketProps> = props.disposable
      ? { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true }
      : { removalPolicy: RemovalPolicy.RETAIN };
    const secure: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...disposal,
    };
    const abortUploads: s3.LifecycleRule = {
      id: 'abort-incomplete-multipart-uploads',
      abortIncompleteMultipartUploadAfter: Duration.days(ABORT_INCOMPLETE_UPLOADS_DAYS),
    };

    // Object ownership is left to aws-cdk-lib here: it picks what log delivery needs (bucket policy, or ACL without the feature flag).
    const { objectOwnership: _ownership, ...secureWithoutOwnership } = secure;
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...secureWithoutOwnership,
      lifecycleRules: [abortUploads, { id: 'expire-access-logs', expiration: Duration.days(storage.accessLogExpirationDays) }],
    });
    acknowledge(this.accessLogsBucket, 'AwsSolutions-S1', 'This is the server access log bucket; logging it into itself would log every log delivery.');
    const logged = (prefix: string): s3.BucketProps => ({ ...secure, serverAccessLogsBucket: this.accessLogsBucket, serverAccessLogsPrefix: prefix });

    this.rawBucket = new s3.Bucket(this, 'Raw', {
      ...logged('raw/'),
      versioned: true,
      lifecycleRules: [
        abortUploads,
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(storage.noncurrentVersionExpirationDays) },
        ...(storage.rawExpirationDays ? [{ id: 'expire-raw-objects', expiration: Duration.days(storage.rawExpirationDays) }] : []),
      ],
    });
    this.processedBucket = new s3.Bucket(this, 'Processed', {
      ...logged('processed/'),
      lifecycleRules: [
        abortUploads,
        {
          id: 'processed-to-infrequent-access',
          prefix: PREFIXES.processed,
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(storage.processedInfrequentAccessDays) }],
        },
        { id: 'expire-quarantine', prefix: PREFIXES.quarantine, expiration: Duration.days(storage.quarantineExpirationDays) },
      ],
    });
    this.finalBucket = new s3.Bucket(this, 'Final', { ...logged('final/'), lifecycleRules: [abortUploads] });
    this.scratchBucket = new s3.Bucket(this, 'Scratch', {
      ...logged('scratch/'),
      lifecycleRules: [abortUploads, { id: 'expire-scratch', expiration: Duration.days(SCRATCH_EXPIRATION_DAYS) }],
    });

    // Native EventBridge delivery: no BucketNotifications custom resource (which users report blocking stack deletion).
    for (const bucket of [this.rawBucket, this.processedBucket]) {
      (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    }
    if (props.disposable) emptyAccessLogsLast(this.accessLogsBucket, [this.rawBucket, this.processedBucket, this.finalBucket, this.scratchBucket]);
  }
}

/**
 * CloudFormation deletes in reverse dependency order. The logged buckets already depend on the access-log bucket
 * (their LoggingConfiguration names it), but not on its auto-delete custom resource, so that resource could empty
 * the log bucket while the others were still being emptied and logged. Making every logged bucket (its policy and
 * its own auto-delete resource included) depend on it empties the access-log bucket only after they are all gone.
 *
 * aws-cdk-lib makes the auto-delete resource depend on the log bucket's policy, and that policy names every logged
 * bucket (aws:SourceArn of log delivery), which would close a cycle; that one DependsOn is dropped. On deletion the
 * log bucket's policy then goes first (no log delivery is allowed from then on), and the auto-delete handler still
 * puts its own deny-PutObject policy on the bucket before emptying it.
 */
function emptyAccessLogsLast(accessLogsBucket: s3.Bucket, loggedBuckets: readonly s3.Bucket[]): void {
  const autoDelete = accessLogsBucket.node.tryFindChild(AUTO_DELETE_OBJECTS_ID);
  const autoDeleteResource = autoDelete?.node.defaultChild;
  if (!autoDelete || !(autoDeleteResource instanceof CfnResource)) {
    throw new Error(
      `The access-log bucket has no "${AUTO_DELETE_OBJECTS_ID}" custom resource although autoDeleteObjects is on; aws-cdk-lib renamed it: update AUTO_DELETE_OBJECTS_ID in lib/storage.ts`,
    );
  }
  autoDeleteResource.addDeletionOverride('DependsOn');
  for (const bucket of loggedBuckets) bucket.node.addDependency(autoDelete);
}
