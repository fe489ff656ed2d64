// ARNs and policy statements shared by the Glue roles (crawler, jobs): catalog resources and Glue's own log groups.
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** ARN of the account's Data Catalog in this region. */
export function catalogArn(): string {
  return `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:catalog`;
}

export function databaseArn(database: string): string {
  return `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:database/${database}`;
}

export function tableArn(database: string, table: string): string {
  return `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:table/${database}/${table}`;
}

/**
 * Log groups Glue itself writes for a crawler or job run under a security configuration
 * (e.g. `/aws-glue/crawlers-role/<role>-<config>`, `/aws-glue/jobs/<config>-role/<role>/output`), and their streams.
 */
export function glueLogGroupArns(kind: 'crawlers' | 'jobs'): string[] {
  const base = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws-glue/${kind}*`;
  return [base, `${base}:log-stream:*`];
}

/** Lets a Glue role write (and KMS-associate) the log groups Glue creates for its runs. */
export function glueLogsStatement(kind: 'crawlers' | 'jobs'): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'GlueRunLogs',
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
    resources: glueLogGroupArns(kind),
  });
}

export const GLUE_LOGS_REASON =
  'Glue names the log groups of a run after the role and security configuration at run time (/aws-glue/crawlers-role/..., /aws-glue/jobs/...-role/...); the pattern is limited to Glue\'s own /aws-glue prefix of this account and region.';

/** CloudWatch namespace of Glue's job metrics (--enable-metrics) and observability metrics (--enable-observability-metrics). */
export const GLUE_METRICS_NAMESPACE = 'Glue';

/** Lets a job role publish its run's metrics, in Glue's namespace only (PutMetricData has no resource-level scope). */
export function glueMetricsStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'GlueJobMetrics',
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': GLUE_METRICS_NAMESPACE } },
  });
}

export const GLUE_METRICS_REASON =
  'cloudwatch:PutMetricData supports no resource-level permissions (its resource is always "*"); the statement is limited by the cloudwatch:namespace condition to Glue\'s own namespace.';
