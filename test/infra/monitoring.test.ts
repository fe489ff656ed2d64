// Monitoring: encrypted SSL-only alarm topic, alarms, Glue failure rules, and a dashboard over every stage.
import { Match } from 'aws-cdk-lib/assertions';
import { type BuiltPipeline, flat, logicalId, resourcesOfType, synthPipeline } from './pipeline-fixture';

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
      EventPattern: {
        source: ['aws.glue'],
        'detail-type': ['Glue Crawler State Change'],
        detail: { crawlerName: [{ Ref: logicalId(built, built.stack.catalog.crawler) }], state: ['Failed'] },
      },
      Targets: [Match.objectLike({ Arn: { Ref: topic } })],
    });
  });

  test('CloudWatch and EventBridge may use the key to publish to the encrypted topic, for sources of this account only', () => {
    const key = resourcesOfType(built.template, 'AWS::KMS::Key')[logicalId(built, built.stack.encryption.key)];
    const statements = key.Properties.KeyPolicy.Statement as Array<Record<string, any>>;
    for (const [service, sources] of [
      ['cloudwatch.amazonaws.com', 'arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:*'],
      ['events.amazonaws.com', 'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/*'],
    ]) {
      const statement = statements.find((st) => st.Principal?.Service === service)!;
      expect(statement.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(statement.Condition.StringEqualsIfExists).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(flat(statement.Condition.ArnLikeIfExists['aws:SourceArn'])).toBe(sources);
    }
  });

  test('every service principal of the key policy carries confused-deputy conditions (logs included)', () => {
    const key = resourcesOfType(built.template, 'AWS::KMS::Key')[logicalId(built, built.stack.encryption.key)];
    const services = (key.Properties.KeyPolicy.Statement as Array<Record<string, any>>).filter((st) => st.Principal?.Service);
    expect(services.length).toBe(3);
    for (const st of services) {
      expect(st.Condition.StringEqualsIfExists).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
      expect(st.Condition.ArnLikeIfExists['aws:SourceArn']).toBeDefined();
    }
    const logs = services.find((st) => flat(st.Principal.Service).startsWith('logs.'))!;
    expect(flat(logs.Condition.ArnLikeIfExists['aws:SourceArn'])).toBe('arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*');
    expect(flat(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toBe('arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*');
  });

  test("the topic policy lets EventBridge and CloudWatch publish only from this account and for the pipeline's own rules and alarms", () => {
    const policy = Object.values(resourcesOfType(built.template, 'AWS::SNS::TopicPolicy'))[0];
    const allows = (policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>).filter((st) => st.Effect === 'Allow');
    const m = built.stack.monitoring;
    const expected: Record<string, unknown[]> = {
      'events.amazonaws.com': [m.jobFailureRule, m.crawlerFailureRule].map((r) => ({ 'Fn::GetAtt': [logicalId(built, r), 'Arn'] })),
      'cloudwatch.amazonaws.com': [m.lambdaErrorsAlarm, m.failedFilesAlarm, m.queueAgeAlarm, m.deadLetterAlarm].map((a) => ({
        'Fn::GetAtt': [logicalId(built, a), 'Arn'],
      })),
    };
    expect(allows.map((st) => st.Principal.Service).sort()).toEqual(Object.keys(expected).sort());
    for (const st of allows) {
      expect(st.Action).toBe('sns:Publish');
      expect(st.Resource).toEqual({ Ref: topic });
      expect(st.Condition).toEqual({
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnEquals: { 'aws:SourceArn': expected[st.Principal.Service] },
      });
    }
  });

  test("a failed file alarms within a minute (the handler's FilesFailed metric), and so does an upload stuck in the queue", () => {
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CsvPipeline',
      MetricName: 'FilesFailed',
      Dimensions: [{ Name: 'service', Value: 'csv-preprocess' }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topic }],
    });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(built, built.stack.ingest.queue), 'QueueName'] } }],
      Period: 60,
      // Two Lambda timeouts (ingest.timeoutSeconds, 900 by default).
      Threshold: 1800,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: topic }],
    });
    const body = JSON.stringify(Object.values(resourcesOfType(built.template, 'AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body).toContain('FilesFailed');
    expect(body).toContain('ApproximateAgeOfOldestMessage');
    for (const alarm of [built.stack.monitoring.failedFilesAlarm, built.stack.monitoring.queueAgeAlarm]) expect(body).toContain(logicalId(built, alarm));
  });

  test('the dashboard shows the Lambda, the queues, the custom per-dataset metrics and the Glue jobs', () => {
    const body = JSON.stringify(Object.values(resourcesOfType(built.template, 'AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const metric of ['RowsIn', 'RowsValid', 'RowsRejected', 'FilesQuarantined', 'BytesIn']) expect(body).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    expect(body).toContain('Namespace=\\\\\\"CsvPipeline\\\\\\"');
    for (const fragment of [
      'AWS/Lambda',
      'Invocations',
      'Duration',
      'ApproximateNumberOfMessagesVisible',
      'glue.driver.aggregate.elapsedTime',
      'TriggeredRules',
    ])
      expect(body).toContain(fragment);
  });

  test('log groups keep logs for the configured days', () => {
    const groups = Object.values(resourcesOfType(built.template, 'AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(90);
  });
});
