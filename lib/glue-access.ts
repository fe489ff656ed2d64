// ARNs, action lists and policy statements shared by the Glue roles (crawler, jobs): catalog resources and Glue's own log groups.
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { acknowledge, acknowledgeWildcardResources } from './nag';

// Catalog actions in groups by level (database, table, partition), so that every role's list is built from the same
// definitions. Each list keeps the order it has always had: without @aws-cdk/aws-iam:minimizePolicies (cdk.json sets
// it) a statement's actions are synthesized in the order given.
/** Reading a database's definition. */
export const DATABASE_READ_ACTIONS = ['glue:GetDatabase'];
/** Reading table definitions. */
export const TABLE_READ_ACTIONS = ['glue:GetTable', 'glue:GetTables'];
/** Reading partitions of a table. */
export const PARTITION_READ_ACTIONS = ['glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'];
/** Adding and updating partitions of an existing (Hive) table, which the crawler does. */
export const PARTITION_WRITE_ACTIONS = ['glue:CreatePartition', 'glue:BatchCreatePartition', 'glue:UpdatePartition'];

/** Catalog actions the crawler needs to create and update the processed tables and their partitions. */
export const CRAWLER_CATALOG_ACTIONS = [
  ...DATABASE_READ_ACTIONS,
  ...TABLE_READ_ACTIONS,
  'glue:CreateTable',
  'glue:UpdateTable',
  ...PARTITION_READ_ACTIONS,
  ...PARTITION_WRITE_ACTIONS,
  'glue:BatchUpdatePartition',
];

/**
 * Catalog actions a job needs for its Iceberg table through Iceberg's GlueCatalog: load it (GetTable), create it when
 * missing (CreateTable) and commit (UpdateTable swaps the metadata location, checked against the version it read).
 * No partition actions: an Iceberg table keeps its partitions in its own metadata, not in the catalog.
 */
export const JOB_CATALOG_ACTIONS = [...DATABASE_READ_ACTIONS, ...TABLE_READ_ACTIONS, 'glue:CreateTable', 'glue:UpdateTable'];

/** ARN of the account's Data Catalog in this region. */
export function catalogArn(): string {
  return `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:catalog`;
}

/** ARN of one database of the Data Catalog. */
export function databaseArn(database: string): string {
  return `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:database/${database}`;
}

/** ARN of one table of a database. */
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
  "Glue names the log groups of a run after the role and security configuration at run time (/aws-glue/crawlers-role/..., /aws-glue/jobs/...-role/...); the pattern is limited to Glue's own /aws-glue prefix of this account and region.";

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

/** Lets a Glue role write the log groups Glue creates for its crawler or job runs (cdk-nag finding acknowledged). */
export function allowGlueRunLogs(role: iam.IRole, kind: 'crawlers' | 'jobs'): void {
  role.addToPrincipalPolicy(glueLogsStatement(kind));
  acknowledgeWildcardResources(role, glueLogGroupArns(kind), GLUE_LOGS_REASON);
}

/** Lets a job role publish its run's metrics in Glue's namespace only (cdk-nag finding on Resource::* acknowledged). */
export function allowGlueJobMetrics(role: iam.IRole): void {
  role.addToPrincipalPolicy(glueMetricsStatement());
  acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', GLUE_METRICS_REASON);
}

/** Lets a Glue role use the pipeline key, which its security configuration encrypts its logs and job bookmarks with. */
export function allowGlueRoleToUseKey(role: iam.IRole, key: kms.IKey): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'GlueSecurityConfigurationKey',
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
    }),
  );
}
