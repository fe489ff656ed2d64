// Storage: every bucket private, encrypted, SSL-only, logged; raw versioned; lifecycle from config; retained unless disposable.
import { Match } from 'aws-cdk-lib/assertions';
import { type BuiltPipeline, logicalId, resourcesOfType, synthPipeline } from './pipeline-fixture';

describe('PipelineStorage', () => {
  let built: BuiltPipeline;
  beforeAll(() => {
    built = synthPipeline({ 'cfg.storage.rawExpirationDays': '400', 'cfg.storage.quarantineExpirationDays': '45' });
  });

  const bucket = (name: 'rawBucket' | 'processedBucket' | 'finalBucket' | 'scratchBucket' | 'accessLogsBucket') =>
    resourcesOfType(built.template, 'AWS::S3::Bucket')[logicalId(built, built.stack.storage[name])];

  test('five buckets, each blocking public access with SSE-S3 and retained by default', () => {
    const buckets = resourcesOfType(built.template, 'AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(5);
    for (const b of Object.values(buckets)) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
      expect(b.DeletionPolicy).toBe('Retain');
      expect(b.UpdateReplacePolicy).toBe('Retain');
      expect(b.Properties.LifecycleConfiguration.Rules).toEqual(
        expect.arrayContaining([expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' })]),
      );
    }
  });

  test('every bucket policy denies requests without TLS', () => {
    const policies = Object.values(resourcesOfType(built.template, 'AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(5);
    for (const p of policies) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
  });

  test('data buckets log to the access-log bucket; raw is versioned', () => {
    const logs = logicalId(built, built.stack.storage.accessLogsBucket);
    for (const name of ['rawBucket', 'processedBucket', 'finalBucket', 'scratchBucket'] as const) {
      expect(bucket(name).Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logs });
    }
    expect(bucket('rawBucket').Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket('processedBucket').Properties.VersioningConfiguration).toBeUndefined();
  });

  test('lifecycle comes from config.storage (overrides applied through context)', () => {
    const raw = bucket('rawBucket').Properties.LifecycleConfiguration.Rules;
    expect(raw).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ExpirationInDays: 400 }),
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
      ]),
    );
    const processed = bucket('processedBucket').Properties.LifecycleConfiguration.Rules;
    expect(processed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'quarantine/', ExpirationInDays: 45 }),
        expect.objectContaining({ Prefix: 'processed/', Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }] }),
      ]),
    );
    expect(bucket('accessLogsBucket').Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 365 })]),
    );
  });

  test('raw and processed buckets send events to EventBridge natively: no BucketNotifications custom resource', () => {
    expect(bucket('rawBucket').Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    expect(bucket('processedBucket').Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    expect(bucket('finalBucket').Properties.NotificationConfiguration).toBeUndefined();
    built.template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  test('disposable=true deletes buckets with their objects', () => {
    const disposable = synthPipeline({ disposable: 'true' });
    for (const b of Object.values(resourcesOfType(disposable.template, 'AWS::S3::Bucket'))) expect(b.DeletionPolicy).toBe('Delete');
    disposable.template.resourceCountIs('Custom::S3AutoDeleteObjects', 5);
    disposable.template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    built.template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ EnableKeyRotation: true }) });
  });

  test('disposable=true empties the access-log bucket only after every logged bucket is deleted', () => {
    const disposable = synthPipeline({ disposable: 'true' });
    const storage = disposable.stack.storage;
    const logsBucket = logicalId(disposable, storage.accessLogsBucket);
    const autoDeletes = resourcesOfType(disposable.template, 'Custom::S3AutoDeleteObjects');
    const logsAutoDelete = Object.keys(autoDeletes).find(
      (id) => JSON.stringify(autoDeletes[id].Properties.BucketName) === JSON.stringify({ Ref: logsBucket }),
    )!;
    expect(logsAutoDelete).toBeDefined();
    const resources = disposable.template.toJSON().Resources as Record<string, { DependsOn?: string[]; Properties?: any }>;
    for (const name of ['rawBucket', 'processedBucket', 'finalBucket', 'scratchBucket'] as const) {
      const bucket = logicalId(disposable, storage[name]);
      // Deleted before the log bucket is emptied: the bucket, its policy and its own auto-delete resource.
      const ownResources = Object.keys(resources).filter(
        (id) => id === bucket || JSON.stringify(resources[id].Properties?.Bucket ?? resources[id].Properties?.BucketName) === JSON.stringify({ Ref: bucket }),
      );
      expect(ownResources.length).toBe(3);
      for (const id of ownResources) expect(resources[id].DependsOn ?? []).toContain(logsAutoDelete);
    }
    // The log bucket's own policy names the logged buckets, so it may not be a prerequisite of the log bucket's emptying.
    expect(resources[logsAutoDelete].DependsOn).toBeUndefined();
    // Retained buckets have no auto-delete resource to order.
    expect(resourcesOfType(built.template, 'Custom::S3AutoDeleteObjects')).toEqual({});
  });
});
