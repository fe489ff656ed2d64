// Ingest: one EventBridge rule per dataset -> SQS (DLQ, SSE, SSL) -> arm64 Node Lambda with least-privilege S3 access.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { asArray, type BuiltPipeline, flat, logicalId, resourcesOfType, statementsOfRole, synthPipeline } from './pipeline-fixture';

describe('Ingest', () => {
  let built: BuiltPipeline;
  let rawBucket: string;
  let processedBucket: string;
  beforeAll(() => {
    built = synthPipeline({ 'cfg.ingest.timeoutSeconds': '300', 'cfg.ingest.memoryMb': '2048', 'cfg.ingest.retryAttempts': '2' });
    rawBucket = logicalId(built, built.stack.storage.rawBucket);
    processedBucket = logicalId(built, built.stack.storage.processedBucket);
  });

  test('one rule per dataset matches Object Created of <rawPrefix>*.csv in the raw bucket and targets the queue', () => {
    const rules = Object.values(resourcesOfType(built.template, 'AWS::Events::Rule')).filter(
      (r) => r.Properties.EventPattern?.source?.[0] === 'aws.s3' && r.Properties.EventPattern.detail.bucket.name[0].Ref === rawBucket,
    );
    expect(rules).toHaveLength(built.config.datasets.length);
    const queue = logicalId(built, built.stack.ingest.queue);
    const keys = rules.map((r) => r.Properties.EventPattern.detail.object.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        [{ wildcard: 'raw/signups/*.csv' }, { wildcard: 'raw/signups/*.CSV' }],
        [{ wildcard: 'raw/orders/*.csv' }, { wildcard: 'raw/orders/*.CSV' }],
      ]),
    );
    for (const r of rules) {
      expect(r.Properties.EventPattern['detail-type']).toEqual(['Object Created']);
      expect(r.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] } })]);
    }
  });

  test('the queue is encrypted, redrives to the DLQ after retryAttempts+1 receives, and hides messages 6x the Lambda timeout', () => {
    const queues = resourcesOfType(built.template, 'AWS::SQS::Queue');
    const queue = queues[logicalId(built, built.stack.ingest.queue)].Properties;
    const dlq = logicalId(built, built.stack.ingest.deadLetterQueue);
    expect(queue.VisibilityTimeout).toBe(6 * 300);
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 3 });
    for (const q of Object.values(queues)) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = Object.values(resourcesOfType(built.template, 'AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect(p.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
  });

  test('the Lambda: Node 24 on arm64, sized from config, config-independent env, log group with retention', () => {
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 2048,
      Timeout: 300,
      Handler: 'index.handler',
      Environment: {
        Variables: {
          PROCESSED_BUCKET: { Ref: processedBucket },
          POWERTOOLS_SERVICE_NAME: 'csv-preprocess',
          POWERTOOLS_METRICS_NAMESPACE: 'CsvPipeline',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
      LoggingConfig: { LogGroup: { Ref: logicalId(built, built.stack.ingest.logGroup) } },
    });
    built.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: built.config.monitoring.logRetentionDays });
  });

  test('the SQS event source reports partial batch failures with batch size 10 and a concurrency cap', () => {
    built.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(built, built.stack.ingest.queue), 'Arn'] },
    });
  });

  test('the Lambda role: exact S3 actions on exact prefixes, no wildcard action, no managed policy', () => {
    const roleId = logicalId(built, built.stack.ingest.function.role!);
    const role = resourcesOfType(built.template, 'AWS::IAM::Role')[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = statementsOfRole(built, roleId);
    for (const s of statements) for (const a of asArray(s.Action)) expect(a).not.toMatch(/\*/);
    const s3 = statements.filter((s) => asArray(s.Action).some((a: string) => a.startsWith('s3:')));
    const grants = s3.flatMap((s) => asArray(s.Action).flatMap((a: string) => asArray(s.Resource).map((r) => `${a} ${flat(r)}`))).sort();
    expect(grants).toEqual(
      [
        `s3:GetObject <${rawBucket}.Arn>/raw/signups/*`,
        `s3:GetObject <${rawBucket}.Arn>/raw/orders/*`,
        `s3:GetObjectVersion <${rawBucket}.Arn>/raw/signups/*`,
        `s3:GetObjectVersion <${rawBucket}.Arn>/raw/orders/*`,
        ...['processed/*', 'quarantine/*', 'reports/*', 'inferred/*'].flatMap((p) => [
          `s3:PutObject <${processedBucket}.Arn>/${p}`,
          `s3:AbortMultipartUpload <${processedBucket}.Arn>/${p}`,
        ]),
        `s3:GetObject <${processedBucket}.Arn>/reports/*`,
        `s3:ListBucket <${processedBucket}.Arn>`,
      ].sort(),
    );
    // Nothing on the final or scratch buckets.
    const text = JSON.stringify(statements);
    expect(text).not.toContain(logicalId(built, built.stack.storage.finalBucket));
    expect(text).not.toContain(logicalId(built, built.stack.storage.scratchBucket));
  });

  test('the validated config is inlined into the bundle, not read at run time', () => {
    const fn = resourcesOfType(built.template, 'AWS::Lambda::Function')[logicalId(built, built.stack.ingest.function)];
    const assetHash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    const bundle = fs.readFileSync(path.join(built.outdir, `asset.${assetHash}`, 'index.js'), 'utf8');
    // Dataset descriptions appear nowhere in the handler's code: only the inlined config carries them.
    for (const d of built.config.datasets) expect(bundle).toContain(d.description);
    expect(bundle).not.toContain('process.env.PIPELINE_CONFIG_JSON');
    expect(fs.existsSync(path.join(built.outdir, `asset.${assetHash}`, 'index.js.map'))).toBe(true);
  });
});
