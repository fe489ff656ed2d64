// The query side of the pipeline: an Athena workgroup, the config's named queries and, when enabled, QuickSight dashboards.
import { Names, Stack } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../config/schema';
import { datasetLayout, renderQuery } from '../config/layout';
import { QuickSightDashboards } from './quicksight/quicksight-dashboards';

export interface AnalyticsProps {
  /** The validated pipeline config (config/schema.ts): named queries; with QuickSight on, data sets and dashboards. */
  readonly config: PipelineConfig;
  /** The Glue database that holds the <dataset> (final) and <dataset>_rejects tables. */
  readonly databaseName: string;
  /** Where Athena writes query results (QuickSight's role reads and writes `resultsPrefix` there). */
  readonly resultsBucket: s3.IBucket;
  /** Key prefix of query results in `resultsBucket`, ending in "/" (e.g. "athena-results/"). */
  readonly resultsPrefix: string;
  /** Holds final_output/<dataset>/, the final Iceberg tables' data and metadata files (read by QuickSight's role). */
  readonly finalBucket: s3.IBucket;
  /** Holds quarantine/<dataset>/rows/, the rejects tables' data (read by QuickSight's role). */
  readonly processedBucket: s3.IBucket;
  /** @default - the buckets use S3-managed encryption: query results are SSE_S3 and QuickSight's role gets no KMS permissions */
  readonly encryptionKey?: kms.IKey;
}

const BYTES_PER_MB = 1024 * 1024;

export class Analytics extends Construct {
  readonly workGroupName: string;
  /** Ids of the QuickSight dashboards; empty when QuickSight is off. */
  readonly quickSightDashboardIds: string[];
  readonly workGroup: CfnWorkGroup;
  /** Named queries by `<dataset>.<query name>`. */
  readonly namedQueries: Readonly<Record<string, CfnNamedQuery>>;
  /** Present when `config.quicksight.enabled`. */
  readonly quickSight?: QuickSightDashboards;

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    if (!/^([^/]+\/)+$/.test(props.resultsPrefix)) {
      throw new Error(`Analytics resultsPrefix must be a folder path ending in "/", e.g. "athena-results/"; got "${props.resultsPrefix}"`);
    }
    const { config } = props;

    this.workGroupName = Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: `Queries over the ${props.databaseName} tables of the CSV pipeline (results encrypted, settings enforced)`,
      state: 'ENABLED',
      // Without it, deleting the stack fails while the workgroup still holds named queries or query history.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: config.athena.bytesScannedCutoffMb * BYTES_PER_MB,
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: props.resultsBucket.s3UrlForObject(props.resultsPrefix),
          expectedBucketOwner: Stack.of(this).account,
          encryptionConfiguration: props.encryptionKey ? { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn } : { encryptionOption: 'SSE_S3' },
        },
      },
    });

    const namedQueries: Record<string, CfnNamedQuery> = {};
    for (const dataset of config.datasets) {
      const layout = datasetLayout(dataset);
      for (const query of dataset.queries) {
        const namedQuery = new CfnNamedQuery(this, `Query-${dataset.name}-${query.name}`, {
          name: `${dataset.name}.${query.name}`,
          description: query.description || `${query.name} over the ${dataset.name} tables`,
          database: props.databaseName,
          workGroup: this.workGroup.ref,
          queryString: renderQuery(query.sql, { database: props.databaseName, table: layout.finalTable, rejectsTable: layout.rejectsTable }),
        });
        namedQueries[`${dataset.name}.${query.name}`] = namedQuery;
      }
    }
    this.namedQueries = namedQueries;

    if (config.quicksight.enabled) {
      const principalArn = config.quicksight.principalArn;
      if (!principalArn) {
        throw new Error(
          'quicksight.enabled is true but quicksight.principalArn is missing; pass -c quicksight.principalArn=arn:aws:quicksight:IDENTITY_REGION:ACCOUNT:user/default/NAME (IDENTITY_REGION: the QuickSight identity region, which may differ from the deploy region)',
        );
      }
      this.quickSight = new QuickSightDashboards(this, 'QuickSight', { ...props, principalArn, workGroupName: this.workGroupName });
      this.quickSight.node.addDependency(this.workGroup);
    }
    this.quickSightDashboardIds = this.quickSight ? [...this.quickSight.dashboardIds] : [];
  }
}
