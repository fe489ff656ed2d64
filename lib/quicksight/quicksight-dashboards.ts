// QuickSight over the pipeline's tables: an Athena data source with its own least-privilege role, data sets, dashboards.
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { CfnDashboard, CfnDataSet, CfnDataSource } from 'aws-cdk-lib/aws-quicksight';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { DatasetConfig, PipelineConfig } from '../../config/schema';
import { datasetLayout } from '../../config/layout';
import { tableOf, type TableSource } from './columns';
import { dashboardDefinition } from './dashboard-definition';
import { DASHBOARD_OWNER_ACTIONS, DATA_SET_OWNER_ACTIONS, DATA_SOURCE_OWNER_ACTIONS, ownerPermissions } from './permissions';
import { acknowledge, wildcardResourceFinding } from '../nag';

export interface QuickSightDashboardsProps {
  /** The validated config: one final and one rejects data set per dataset, a dashboard per `dashboard` section. */
  readonly config: PipelineConfig;
  /** The QuickSight user or group that owns the data source, data sets and dashboards. */
  readonly principalArn: string;
  /** The Glue database holding the <dataset> and <dataset>_rejects tables. */
  readonly databaseName: string;
  /** The Athena workgroup the data source queries through. */
  readonly workGroupName: string;
  /** Where the workgroup writes query results (the role reads and writes `resultsPrefix` there). */
  readonly resultsBucket: s3.IBucket;
  /** Key prefix of query results in `resultsBucket`, ending in "/". */
  readonly resultsPrefix: string;
  /** Holds final_output/<dataset>/ (read by the role). */
  readonly finalBucket: s3.IBucket;
  /** Holds quarantine/<dataset>/rows/ (read by the role). */
  readonly processedBucket: s3.IBucket;
  /** @default - the buckets use S3-managed keys; no KMS permissions */
  readonly encryptionKey?: kms.IKey;
}

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
const GLUE_READ_ACTIONS = ['glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'];

/**
 * Data sets use DIRECT_QUERY: every visual runs an Athena query over the Parquet data, so dashboards are fresh
 * after each Glue run with no SPICE capacity to buy and no refresh schedule to keep in step with the pipeline.
 */
export const IMPORT_MODE = 'DIRECT_QUERY';

/** QuickSight ids (data source, data sets, dashboards) are unique per account and region: prefix them with the stack. */
function idPrefix(scope: Construct): string {
  return Stack.of(scope).stackName.replace(/[^\w-]/g, '-');
}

export class QuickSightDashboards extends Construct {
  /** The role QuickSight assumes to query Athena for this data source. */
  readonly role: iam.Role;
  readonly dataSource: CfnDataSource;
  /** Data sets per dataset name: its final table and its rejected rows. */
  readonly dataSets: Readonly<Record<string, Readonly<Record<TableSource, CfnDataSet>>>>;
  readonly dashboards: readonly CfnDashboard[];
  readonly dashboardIds: readonly string[];

  constructor(scope: Construct, id: string, props: QuickSightDashboardsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = idPrefix(this);
    const datasets = props.config.datasets;

    this.role = new iam.Role(this, 'AthenaAccessRole', {
      assumedBy: new iam.ServicePrincipal('quicksight.amazonaws.com'),
      description: `QuickSight queries the ${props.databaseName} tables through Athena workgroup ${props.workGroupName}`,
    });
    this.grantQueryAccess(props);

    this.dataSource = new CfnDataSource(this, 'AthenaDataSource', {
      awsAccountId: stack.account,
      dataSourceId: `${prefix}-athena`,
      name: `${prefix} Athena (${props.databaseName})`,
      type: 'ATHENA',
      dataSourceParameters: { athenaParameters: { workGroup: props.workGroupName, roleArn: this.role.roleArn } },
      sslProperties: { disableSsl: false },
      permissions: ownerPermissions(props.principalArn, DATA_SOURCE_OWNER_ACTIONS),
    });
    // QuickSight tests the connection on create: the role's policy must exist first (the role itself is a GetAtt).
    this.dataSource.node.addDependency(this.role.node.findChild('DefaultPolicy'));

    const dataSets: Record<string, Record<TableSource, CfnDataSet>> = {};
    for (const dataset of datasets) {
      dataSets[dataset.name] = {
        final: this.dataSet(dataset, 'final', prefix, props),
        rejects: this.dataSet(dataset, 'rejects', prefix, props),
      };
    }
    this.dataSets = dataSets;

    this.dashboards = datasets
      .filter((d) => d.dashboard)
      .map(
        (dataset) =>
          new CfnDashboard(this, `Dashboard-${dataset.name}`, {
            awsAccountId: stack.account,
            dashboardId: `${prefix}-${dataset.name}-dashboard`,
            name: dataset.dashboard!.title,
            definition: dashboardDefinition(dataset, {
              final: dataSets[dataset.name].final.attrArn,
              rejects: dataSets[dataset.name].rejects.attrArn,
            }),
            permissions: ownerPermissions(props.principalArn, DASHBOARD_OWNER_ACTIONS),
            dashboardPublishOptions: {
              adHocFilteringOption: { availabilityStatus: 'ENABLED' },
              exportToCsvOption: { availabilityStatus: 'ENABLED' },
              sheetControlsOption: { visibilityState: 'COLLAPSED' },
            },
            versionDescription: 'Generated from the dashboard section of the pipeline config',
          }),
      );
    this.dashboardIds = this.dashboards.map((d) => d.dashboardId);
  }

  private dataSet(dataset: DatasetConfig, source: TableSource, prefix: string, props: QuickSightDashboardsProps): CfnDataSet {
    const table = tableOf(dataset, source);
    return new CfnDataSet(this, `DataSet-${dataset.name}-${source}`, {
      awsAccountId: Stack.of(this).account,
      dataSetId: `${prefix}-${table.tableName}`,
      name: source === 'final' ? dataset.name : `${dataset.name} rejected rows`,
      importMode: IMPORT_MODE,
      // Keys may hold only letters, digits and "-" (CloudFormation schema), so not the table name.
      physicalTableMap: {
        [source]: {
          relationalTable: {
            dataSourceArn: this.dataSource.attrArn,
            catalog: 'AwsDataCatalog',
            schema: props.databaseName,
            name: table.tableName,
            inputColumns: table.columns.map((c) => ({ name: c.name, type: c.type })),
          },
        },
      },
      permissions: ownerPermissions(props.principalArn, DATA_SET_OWNER_ACTIONS),
    });
  }

  /** Athena on the workgroup, Glue read on the queried tables, S3 read on their data, S3 write on the results prefix. */
  private grantQueryAccess(props: QuickSightDashboardsProps): void {
    const stack = Stack.of(this);
    const tables = props.config.datasets.flatMap((d) => {
      const layout = datasetLayout(d);
      return [layout.finalTable, layout.rejectsTable];
    });
    const statements: iam.PolicyStatement[] = [
      new iam.PolicyStatement({
        sid: 'AthenaQueriesInPipelineWorkgroup',
        actions: ATHENA_QUERY_ACTIONS,
        resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName })],
      }),
      new iam.PolicyStatement({
        sid: 'AthenaGlueDataCatalog',
        actions: ATHENA_CATALOG_ACTIONS,
        resources: [stack.formatArn({ service: 'athena', resource: 'datacatalog', resourceName: 'AwsDataCatalog' })],
      }),
      new iam.PolicyStatement({
        sid: 'GlueReadPipelineTables',
        actions: GLUE_READ_ACTIONS,
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
          ...tables.map((t) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/${t}` })),
        ],
      }),
    ];

    const finalPrefixes = props.config.datasets.map((d) => datasetLayout(d).finalPrefix);
    const rejectPrefixes = props.config.datasets.map((d) => datasetLayout(d).rejectedRowsPrefix);
    const readPrefixes: [string, s3.IBucket, string[]][] = [
      ['ReadFinalParquet', props.finalBucket, finalPrefixes],
      ['ReadRejectedRows', props.processedBucket, rejectPrefixes],
    ];
    /** Object ARNs that end in a wildcard, each with the reason it cannot be narrower. */
    const wildcardArns: { arn: string; reason: string }[] = [];
    for (const [sid, bucket, prefixes] of readPrefixes) {
      const objectArns = prefixes.map((p) => bucket.arnForObjects(`${p}*`));
      statements.push(
        new iam.PolicyStatement({ sid: `${sid}Objects`, actions: ['s3:GetObject'], resources: objectArns }),
        new iam.PolicyStatement({
          sid: `${sid}Listing`,
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
        }),
      );
      prefixes.forEach((p, i) =>
        wildcardArns.push({
          arn: objectArns[i],
          reason: `Athena reads every object QuickSight queries under ${p}; the Glue job and the Lambda choose the object names, so the dataset's prefix is the narrowest scope`,
        }),
      );
    }

    const resultObjects = props.resultsBucket.arnForObjects(`${props.resultsPrefix}*`);
    statements.push(
      new iam.PolicyStatement({
        sid: 'AthenaQueryResults',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [resultObjects],
      }),
      new iam.PolicyStatement({
        sid: 'AthenaQueryResultsListing',
        actions: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.resultsBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${props.resultsPrefix}*`] } },
      }),
      new iam.PolicyStatement({
        sid: 'BucketRegions',
        actions: ['s3:GetBucketLocation'],
        resources: [...new Set([props.finalBucket, props.processedBucket, props.resultsBucket])].map((b) => b.bucketArn),
      }),
    );
    wildcardArns.push({
      arn: resultObjects,
      reason: `Athena names each result object after its query id under ${props.resultsPrefix}; the workgroup's result prefix is the narrowest scope`,
    });

    statements.forEach((s) => this.role.addToPolicy(s));
    // Reads Parquet and rejected rows encrypted with the pipeline key, and writes encrypted query results.
    props.encryptionKey?.grant(this.role, 'kms:Decrypt', 'kms:GenerateDataKey');

    for (const { arn, reason } of wildcardArns) {
      acknowledge(this.role, wildcardResourceFinding(this, arn), reason);
    }
  }
}
