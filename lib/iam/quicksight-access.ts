// What QuickSight's Athena role may do: query through the pipeline workgroup, read the queried tables and their data, write results.
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { DATABASE_READ_ACTIONS, PARTITION_READ_ACTIONS, TABLE_READ_ACTIONS } from '../glue-access';
import { acknowledge, wildcardResourceFinding } from '../nag';

/** Catalog and object-store actions Athena performs on behalf of QuickSight to plan and run a query. */
const ATHENA_QUERY_ACTIONS = [
  'athena:StartQueryExecution',
  'athena:StopQueryExecution',
  'athena:GetQueryExecution',
  'athena:BatchGetQueryExecution',
  'athena:ListQueryExecutions',
  'athena:GetQueryResults',
  'athena:GetQueryResultsStream',
  'athena:GetWorkGroup',
];
const ATHENA_CATALOG_ACTIONS = ['athena:GetDataCatalog', 'athena:ListDatabases', 'athena:GetDatabase', 'athena:ListTableMetadata', 'athena:GetTableMetadata'];
/** Catalog reads (and glue:GetDatabases, which Athena's ListDatabases calls) on the queried tables. */
const GLUE_READ_ACTIONS = [...DATABASE_READ_ACTIONS, 'glue:GetDatabases', ...TABLE_READ_ACTIONS, ...PARTITION_READ_ACTIONS];

/** Lets the role run, follow and read Athena queries in the pipeline workgroup only, over the account's Glue Data Catalog. */
export function allowAthenaQueriesInWorkgroup(role: iam.IRole, workGroupName: string): void {
  const stack = Stack.of(role);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'AthenaQueriesInPipelineWorkgroup',
      actions: ATHENA_QUERY_ACTIONS,
      resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workGroupName })],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'AthenaGlueDataCatalog',
      actions: ATHENA_CATALOG_ACTIONS,
      resources: [stack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: 'AwsDataCatalog' })],
    }),
  );
}

/** Lets the role read the definitions (and partitions) of the named tables of one database, which Athena plans queries with. */
export function allowReadingTableDefinitions(role: iam.IRole, databaseName: string, tables: readonly string[]): void {
  const stack = Stack.of(role);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'GlueReadPipelineTables',
      actions: GLUE_READ_ACTIONS,
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: databaseName }),
        ...tables.map((t) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databaseName}/${t}` })),
      ],
    }),
  );
}

/** Lets the role read and list the objects under `prefixes` of one bucket (a table's data), statements `<sid>Objects` and `<sid>Listing`. */
export function allowReadingTableData(role: iam.IRole, sid: string, bucket: s3.IBucket, prefixes: readonly string[]): void {
  const objectArns = prefixes.map((p) => bucket.arnForObjects(`${p}*`));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: `${sid}Objects`, actions: ['s3:GetObject'], resources: objectArns }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: `${sid}Listing`,
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
    }),
  );
  prefixes.forEach((prefix, i) => {
    acknowledge(
      role,
      wildcardResourceFinding(role, objectArns[i]),
      `Athena reads every object QuickSight queries under ${prefix}; the Glue job and the Lambda choose the object names, so the dataset's prefix is the narrowest scope`,
    );
  });
}

/** Lets the role write and read Athena's query results under `resultsPrefix` of the results bucket, and list that prefix only. */
export function allowAthenaQueryResults(role: iam.IRole, resultsBucket: s3.IBucket, resultsPrefix: string): void {
  const resultObjects = resultsBucket.arnForObjects(`${resultsPrefix}*`);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'AthenaQueryResults',
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [resultObjects],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'AthenaQueryResultsListing',
      actions: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [resultsBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${resultsPrefix}*`] } },
    }),
  );
  acknowledge(
    role,
    wildcardResourceFinding(role, resultObjects),
    `Athena names each result object after its query id under ${resultsPrefix}; the workgroup's result prefix is the narrowest scope`,
  );
}

/** Lets the role look up the region of each bucket it reads or writes, which Athena needs to reach them. */
export function allowBucketRegions(role: iam.IRole, buckets: readonly s3.IBucket[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'BucketRegions', actions: ['s3:GetBucketLocation'], resources: [...new Set(buckets)].map((b) => b.bucketArn) }),
  );
}
