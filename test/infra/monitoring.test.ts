// Monitoring: encrypted SSL-only alarm topic, alarms, Glue failure rules, and a dashboard over every stage.
import { Match } from 'aws-cdk-lib/assertions';
import { BuiltPipeline, logicalId, resourcesOfType, synthPipeline } from './pipeline-fixture';

describe('Monitoring', () => {
  let built: BuiltPipeline;
  let topic: string;
  beforeAll(() => {
    built = synthPipeline({ 'cfg.monitoring.alarmEmail': 'ops@example.com', 'cfg.monitoring.logRetentionDays': '90' });
    topic = logicalId(built, built.stack.monitoring.alarmTopic);
  });

  test('the alarm topic is KMS-encrypted, SSL-only, and e-mails the configured address', () => {
    built.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(built, built.stack.encryption.key), 'Arn'] } });
    built.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    built.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topic } });
  });

  test('no subscription without an alarm e-mail', () => {
    synthPipeline().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('alarms on Lambda errors and on any dead letter, both to the topic', () => {
    const fn = logicalId(built, built.stack.ingest.function);
    const dlq = logicalId(built, built.stack.ingest.deadLetterQueue);
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: topic }],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: topic }],
    });
  });

  test('Glue job FAILED/TIMEOUT/ERROR and crawler Failed events go to the topic', () => {
    const jobs = built.config.datasets.map((d) => ({ Ref: logicalId(built, built.stack.transform.jobs[d.name]) }));
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.glue'], 'detail-type': ['Glue Job State Change'], detail: { jobName: jobs, state: ['FAILED', 'TIMEOUT', 'ERROR'] } },
      Targets: [Match.objectLike({ Arn: { Ref: topic } })],
    });
    built.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.glue'], 'detail-type': ['Glue Crawler State Change'], detail: { crawlerName: [{ Ref: logicalId(built, built.stack.catalog.crawler) }], state: ['Failed'] } },
      Targets: [Match.objectLike({ Arn: { Ref: topic } })],
    });
  });

  test('CloudWatch and EventBridge may use the key to publish to the encrypted topic', () => {
    const key = resourcesOfType(built.template, 'AWS::KMS::Key')[logicalId(built, built.stack.encryption.key)];
    const statements = key.Properties.KeyPolicy.Statement as Array<Record<string, any>>;
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Principal: { Service: service }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] })]));
    }
  });

  test('the dashboard shows the Lambda, the queues, the custom per-dataset metrics and the Glue jobs', () => {
    const body = JSON.stringify(Object.values(resourcesOfType(built.template, 'AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const metric of ['RowsIn', 'RowsValid', 'RowsRejected', 'FilesQuarantined', 'BytesIn']) expect(body).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    expect(body).toContain('Namespace=\\\\\\"CsvPipeline\\\\\\"');
    for (const fragment of ['AWS/Lambda', 'Invocations', 'Duration', 'ApproximateNumberOfMessagesVisible', 'glue.driver.aggregate.elapsedTime', 'TriggeredRules']) expect(body).toContain(fragment);
  });

  test('log groups keep logs for the configured days', () => {
    const groups = Object.values(resourcesOfType(built.template, 'AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(90);
  });
});
