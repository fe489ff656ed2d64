// Statements of the alarm topic's resource policy: who may publish, on behalf of which of this account's sources.
import { Aws } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';

/** Lets `service` publish to the topic only on behalf of the given sources of this account (no confused deputy). */
function allowServiceToPublish(topic: sns.ITopic, sid: string, service: string, sourceArns: string[]): void {
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      principals: [new iam.ServicePrincipal(service)],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID }, ArnEquals: { 'aws:SourceArn': sourceArns } },
    }),
  );
}

/** Lets EventBridge publish to the topic for these rules only (they target it directly, without events-targets' unconditioned policy). */
export function allowRulesToPublish(topic: sns.ITopic, rules: readonly events.IRule[]): void {
  allowServiceToPublish(
    topic,
    'EventsPublish',
    'events.amazonaws.com',
    rules.map((r) => r.ruleArn),
  );
}

/** Lets CloudWatch publish to the topic for these alarms only. */
export function allowAlarmsToPublish(topic: sns.ITopic, alarms: readonly cloudwatch.IAlarm[]): void {
  allowServiceToPublish(
    topic,
    'AlarmsPublish',
    'cloudwatch.amazonaws.com',
    alarms.map((a) => a.alarmArn),
  );
}
