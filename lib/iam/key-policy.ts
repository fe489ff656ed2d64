// Statements of the pipeline key's resource policy: which AWS services may use the key, on behalf of which sources.
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Confused-deputy conditions for a service principal in the key policy: the request must come from this account,
 * from a source whose ARN matches `sourceArnPattern`. They use ...IfExists: whether a service forwards
 * aws:SourceAccount / aws:SourceArn when it calls KMS for us is not documented for every service, and a missing key
 * must not silently break log or alarm encryption; when a service does send them, they must match.
 */
export function keyPolicyConfusedDeputyConditions(sourceArnPattern: string): Record<string, Record<string, string>> {
  return {
    StringEqualsIfExists: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    ArnLikeIfExists: { 'aws:SourceArn': sourceArnPattern },
  };
}

/** Actions a service needs to write and read data under the key (no wildcards). */
export const KEY_USE_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:DescribeKey'];

/** Lets CloudWatch Logs encrypt this account's log groups with the key (the Glue log groups, the jobs' log groups), and no one else's. */
export function allowCloudWatchLogsToUseKey(key: kms.IKey): void {
  const logGroupsOfThisAccount = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`;
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: KEY_USE_ACTIONS,
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': logGroupsOfThisAccount },
        ...keyPolicyConfusedDeputyConditions(logGroupsOfThisAccount),
      },
    }),
  );
}

/**
 * Lets CloudWatch alarms and EventBridge rules of this account use the key to publish to the encrypted alarm topic.
 * Their own ARNs cannot be named (the key would depend on them through the topic: a cycle), so the sources are this
 * account's alarms and rules.
 */
export function allowAlarmsAndRulesToUseKey(key: kms.IKey): void {
  const publishers: [string, string, string][] = [
    ['AlarmsPublishToTopic', 'cloudwatch.amazonaws.com', `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`],
    ['EventsPublishToTopic', 'events.amazonaws.com', `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/*`],
  ];
  for (const [sid, service, sources] of publishers) {
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid,
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: keyPolicyConfusedDeputyConditions(sources),
      }),
    );
  }
}
