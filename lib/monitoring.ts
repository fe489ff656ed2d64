// Alarms (Lambda errors, dead letters, Glue job and crawler failures) to one SNS topic, and a CloudWatch dashboard of every stage.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { MonitoringConfig } from '../config/schema';
import { GLUE_METRICS_NAMESPACE } from './glue-access';
import { allowAlarmsAndRulesToUseKey } from './iam/key-policy';
import { allowAlarmsToPublish, allowRulesToPublish } from './iam/topic-policy';
import { FILES_FAILED_METRIC, INGEST_METRICS, METRICS_NAMESPACE } from './ingest-metrics';

/** Glue job states that alarm. */
export const FAILED_JOB_STATES = ['FAILED', 'TIMEOUT', 'ERROR'];

const PERIOD = Duration.minutes(5);

export interface MonitoringProps {
  /** Alarm e-mail from the validated config (`config.monitoring.alarmEmail`); no subscription when absent. */
  readonly monitoring: MonitoringConfig;
  /** Encrypts the alarm topic; CloudWatch and EventBridge are allowed to use it. */
  readonly key: kms.IKey;
  /** The preprocessing Lambda: its errors alarm, its invocations, errors and duration are graphed. */
  readonly ingestFunction: lambda.IFunction;
  /** The queue in front of the Lambda: depth and age of the oldest message are graphed; an old message alarms. */
  readonly ingestQueue: sqs.IQueue;
  /** The Lambda's `service` metric dimension (POWERTOOLS_SERVICE_NAME), which its FilesFailed metric carries. */
  readonly ingestServiceName: string;
  /** The Lambda's timeout: an upload older than twice this in the queue has failed at least once. */
  readonly ingestTimeout: Duration;
  /** Where uploads go after every retry failed: any message alarms. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The crawler over processed data: a Failed state alarms. */
  readonly crawlerName: string;
  /** Glue job names keyed by dataset name (the keys also title the dashboard). */
  readonly jobNames: Record<string, string>;
  /**
   * CloudWatch dashboard name.
   * @default `<stack name>-csv-pipeline`
   */
  readonly dashboardName?: string;
}

export class Monitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly lambdaErrorsAlarm: cloudwatch.Alarm;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** Any file the Lambda failed to process (a batch item failure) in the last minute. */
  readonly failedFilesAlarm: cloudwatch.Alarm;
  /** An upload has waited in the ingest queue for longer than two Lambda timeouts (it failed, or the queue is stuck). */
  readonly queueAgeAlarm: cloudwatch.Alarm;
  readonly jobFailureRule: events.Rule;
  readonly crawlerFailureRule: events.Rule;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { key, ingestFunction, ingestQueue, deadLetterQueue, crawlerName, jobNames } = props;

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'CSV pipeline alarms', masterKey: key, enforceSSL: true });
    allowAlarmsAndRulesToUseKey(key);
    if (props.monitoring.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.monitoring.alarmEmail));
    const notify = new cwActions.SnsAction(this.alarmTopic);

    this.lambdaErrorsAlarm = this.alarm('IngestErrors', 'The preprocessing Lambda failed (a batch item will be retried, then dead-lettered)', {
      metric: ingestFunction.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.deadLetterAlarm = this.alarm('DeadLetters', 'Uploads whose processing failed every retry wait in the dead-letter queue', {
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.failedFilesAlarm = this.alarm('FailedFiles', 'The preprocessing Lambda failed on a file (S3 or network error); SQS retries it, then dead-letters it', {
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: FILES_FAILED_METRIC,
        dimensionsMap: { service: props.ingestServiceName },
        statistic: 'Sum',
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const queueAgeThreshold = props.ingestTimeout.toSeconds() * 2;
    this.queueAgeAlarm = this.alarm(
      'OldestUpload',
      'An upload has waited in the ingest queue longer than two Lambda timeouts: it failed at least once, or the Lambda is not draining the queue',
      {
        metric: ingestQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: queueAgeThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    const alarms = [this.lambdaErrorsAlarm, this.failedFilesAlarm, this.queueAgeAlarm, this.deadLetterAlarm];
    for (const alarm of alarms) alarm.addAlarmAction(notify);

    // The rules target the topic directly, not through events-targets, so that its policy (allowRulesToPublish) carries confused-deputy conditions.
    const topicTarget: events.IRuleTarget = { bind: () => ({ arn: this.alarmTopic.topicArn }) };
    this.jobFailureRule = new events.Rule(this, 'GlueJobFailed', {
      description: 'A pipeline Glue job failed, timed out or errored',
      eventPattern: { source: ['aws.glue'], detailType: ['Glue Job State Change'], detail: { jobName: Object.values(jobNames), state: FAILED_JOB_STATES } },
      targets: [topicTarget],
    });
    this.crawlerFailureRule = new events.Rule(this, 'GlueCrawlerFailed', {
      description: 'The pipeline crawler failed',
      eventPattern: { source: ['aws.glue'], detailType: ['Glue Crawler State Change'], detail: { crawlerName: [crawlerName], state: ['Failed'] } },
      targets: [topicTarget],
    });
    allowRulesToPublish(this.alarmTopic, [this.jobFailureRule, this.crawlerFailureRule]);
    allowAlarmsToPublish(this.alarmTopic, alarms);

    this.dashboard = this.buildDashboard(props, alarms, queueAgeThreshold);
  }

  /** An alarm that fires on the first breaching period; no data (nothing ran) is not a breach. */
  private alarm(id: string, alarmDescription: string, when: Pick<cloudwatch.AlarmProps, 'metric' | 'threshold' | 'comparisonOperator'>): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription,
      ...when,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** One dashboard over every stage: the Lambda, the queues, the ingest metrics, the Glue jobs and the alarms. */
  private buildDashboard(props: MonitoringProps, alarms: cloudwatch.IAlarm[], queueAgeThreshold: number): cloudwatch.Dashboard {
    const { ingestFunction, ingestQueue, deadLetterQueue, jobNames } = props;
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? `${Stack.of(this).stackName}-csv-pipeline`,
      defaultInterval: Duration.days(1),
    });
    const custom = (metric: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metric}"', 'Sum', 300)`,
        label: metric,
        period: PERIOD,
      });
    const jobMetric = (jobName: string, metricName: string, type: 'count' | 'gauge', statistic: string) =>
      new cloudwatch.Metric({
        namespace: GLUE_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { JobName: jobName, JobRunId: 'ALL', Type: type },
        statistic,
        period: PERIOD,
      });

    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# CSV pipeline\nUploads -> Lambda (datasets: ${Object.keys(jobNames).join(', ')}) -> processed -> Glue jobs (one batch of files each run) -> final Iceberg tables; the crawler runs on its own schedule. Alarms go to the SNS topic.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Preprocessing Lambda',
        left: [ingestFunction.metricInvocations({ period: PERIOD }), ingestFunction.metricErrors({ period: PERIOD })],
        right: [ingestFunction.metricDuration({ period: PERIOD, statistic: 'p95' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Ingest queue and dead letters',
        left: [
          ingestQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, label: 'Queued uploads' }),
          deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, label: 'Dead letters' }),
        ],
        right: [ingestQueue.metricApproximateAgeOfOldestMessage({ period: PERIOD })],
        width: 8,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 8 }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Failed files (alarm within a minute)',
        left: [this.failedFilesAlarm.metric],
        leftAnnotations: [{ value: 1, label: 'alarm' }],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Age of the oldest queued upload (s)',
        left: [this.queueAgeAlarm.metric],
        leftAnnotations: [{ value: queueAgeThreshold, label: 'alarm' }],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Rows per dataset (in / valid / rejected)',
        left: [INGEST_METRICS.rowsIn, INGEST_METRICS.rowsValid, INGEST_METRICS.rowsRejected].map(custom),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Files quarantined and bytes in',
        left: [custom(INGEST_METRICS.filesQuarantined)],
        right: [custom(INGEST_METRICS.bytesIn)],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Glue jobs: elapsed time (ms)',
        left: Object.values(jobNames).map((j) => jobMetric(j, 'glue.driver.aggregate.elapsedTime', 'count', 'Maximum')),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Glue jobs: failed tasks',
        left: Object.values(jobNames).map((j) => jobMetric(j, 'glue.driver.aggregate.numFailedTasks', 'count', 'Sum')),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Glue failures (events)',
        left: [this.jobFailureRule, this.crawlerFailureRule].map(
          (rule) =>
            new cloudwatch.Metric({
              namespace: 'AWS/Events',
              metricName: 'TriggeredRules',
              dimensionsMap: { RuleName: rule.ruleName },
              statistic: 'Sum',
              period: PERIOD,
            }),
        ),
        width: 8,
      }),
    );
    return dashboard;
  }
}
