// QuickSight over the pipeline's tables: an Athena data source with its own least-privilege role, data sets, dashboards.
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnDashboard, CfnDataSet, CfnDataSource } from 'aws-cdk-lib/aws-quicksight';
import { Construct } from 'constructs';
import type { DatasetConfig } from '../../config/schema';
import type { AnalyticsProps } from '../analytics';
import { datasetLayout } from '../../config/layout';
import { tableOf, type TableSource } from './columns';
import { dashboardDefinition } from './dashboard-definition';
import { DASHBOARD_OWNER_ACTIONS, DATA_SET_OWNER_ACTIONS, DATA_SOURCE_OWNER_ACTIONS, ownerPermissions } from './permissions';
import {
  allowAthenaQueriesInWorkgroup,
  allowAthenaQueryResults,
  allowBucketRegions,
  allowReadingTableData,
  allowReadingTableDefinitions,
} from '../iam/quicksight-access';

/** What the Analytics construct is given (config, database, buckets, key), plus the owner and the workgroup. */
export interface QuickSightDashboardsProps extends AnalyticsProps {
  /** The QuickSight user or group that owns the data source, data sets and dashboards. */
  readonly principalArn: string;
  /** The Athena workgroup the data source queries through. */
  readonly workGroupName: string;
}

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
    const layouts = props.config.datasets.map(datasetLayout);
    allowAthenaQueriesInWorkgroup(this.role, props.workGroupName);
    allowReadingTableDefinitions(
      this.role,
      props.databaseName,
      layouts.flatMap((l) => [l.finalTable, l.rejectsTable]),
    );
    allowReadingTableData(
      this.role,
      'ReadFinalParquet',
      props.finalBucket,
      layouts.map((l) => l.finalPrefix),
    );
    allowReadingTableData(
      this.role,
      'ReadRejectedRows',
      props.processedBucket,
      layouts.map((l) => l.rejectedRowsPrefix),
    );
    allowAthenaQueryResults(this.role, props.resultsBucket, props.resultsPrefix);
    allowBucketRegions(this.role, [props.finalBucket, props.processedBucket, props.resultsBucket]);
    // Reads Parquet and rejected rows encrypted with the pipeline key, and writes encrypted query results.
    props.encryptionKey?.grant(this.role, 'kms:Decrypt', 'kms:GenerateDataKey');
  }
}
