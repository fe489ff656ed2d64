// The whole stack: the outputs a user needs after deploy, and a snapshot of the template with asset hashes masked.
import type { Template } from 'aws-cdk-lib/assertions';
import { type BuiltPipeline, QUICKSIGHT_ON, synthPipeline } from './pipeline-fixture';

/** Replaces asset hashes (64 hex digits) and S3 keys, which change with any edit to the bundled code, by a placeholder. */
function maskAssetHashes(template: Template): unknown {
  const text = JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}/g, '[ASSET HASH]');
  return JSON.parse(text, (key, value) => (key === 'S3Key' ? '[S3 KEY]' : value));
}

describe('PipelineStack', () => {
  let built: BuiltPipeline;
  beforeAll(() => {
    built = synthPipeline();
  });

  test('outputs: bucket names, one upload prefix per dataset, Athena workgroup, database, workflow, dashboard, topic', () => {
    const outputs = built.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'RawBucketName',
        'ProcessedBucketName',
        'FinalBucketName',
        'ScratchBucketName',
        'UploadPrefixSignups',
        'UploadPrefixOrders',
        'GlueDatabaseName',
        'AthenaWorkGroupName',
        'GlueWorkflowName',
        'AlarmTopicArn',
        'CloudWatchDashboardName',
        'CloudWatchDashboardUrl',
      ].sort(),
    );
    expect(JSON.stringify(outputs.UploadPrefixSignups.Value)).toContain('/raw/signups/');
    expect(outputs.GlueDatabaseName.Value).toBe('csvpipeline_db');
  });

  test('with QuickSight on, the dashboard ids are an output too', () => {
    const on = synthPipeline(QUICKSIGHT_ON);
    const outputs = on.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.QuickSightDashboardIds).toBeDefined();
    expect(on.stack.analytics.quickSightDashboardIds.length).toBeGreaterThan(0);
    on.template.resourceCountIs('AWS::QuickSight::Dashboard', on.stack.analytics.quickSightDashboardIds.length);
  });

  test('environment-agnostic without CDK_DEFAULT_ACCOUNT/REGION, pinned with them', () => {
    const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
    try {
      delete process.env.CDK_DEFAULT_ACCOUNT;
      delete process.env.CDK_DEFAULT_REGION;
      expect(built.stack.environment).toBe('aws://unknown-account/unknown-region');
      process.env.CDK_DEFAULT_ACCOUNT = '123456789012';
      process.env.CDK_DEFAULT_REGION = 'eu-west-1';
      expect(synthPipeline().stack.environment).toBe('aws://123456789012/eu-west-1');
    } finally {
      for (const [k, v] of Object.entries({ CDK_DEFAULT_ACCOUNT: saved.account, CDK_DEFAULT_REGION: saved.region })) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test('template snapshot (asset hashes masked)', () => {
    expect(maskAssetHashes(built.template)).toMatchSnapshot();
  });
});
