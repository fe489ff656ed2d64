// The pipeline stack: wires storage, ingest, catalog, table maintenance, transform, orchestration, analytics and monitoring, and lists the outputs.
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { datasetLayout } from '../config/layout';
import type { PipelineConfig } from '../config/schema';
import { Analytics } from './analytics';
import { Catalog } from './catalog';
import { PipelineEncryption } from './encryption';
import { Ingest, POWERTOOLS_SERVICE_NAME } from './ingest';
import { LakeFormationGrants } from './lake-formation';
import { Monitoring } from './monitoring';
import { Orchestration } from './orchestration';
import { PipelineStorage, SCRATCH_PREFIXES } from './storage';
import { TableMaintenance } from './table-maintenance';
import { Transform } from './transform';

export interface PipelineStackProps extends StackProps {
  /** The validated pipeline config (`loadPipelineConfig`). */
  readonly config: PipelineConfig;
  /**
   * Whether the stack's data is deleted with it (buckets emptied and deleted, key and log groups removed).
   * @default false - buckets, the key and the Glue log group are retained
   */
  readonly disposable?: boolean;
  /**
   * The preprocessing handler module.
   * @default lambda/handler.ts of this repository
   */
  readonly handlerEntry?: string;
  /**
   * The Glue job's entry script and transforms module.
   * @default glue-scripts/glue_job.py and glue-scripts/pipeline_transforms.py of this repository
   */
  readonly glueScripts?: { readonly entry: string; readonly transformsModule: string };
}

/** A Glue database name derived from the stack name, so two stacks in one account do not share tables. */
export function databaseNameFor(stackName: string): string {
  return `${stackName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')}_db`;
}

export class PipelineStack extends Stack {
  readonly storage: PipelineStorage;
  readonly encryption: PipelineEncryption;
  readonly ingest: Ingest;
  readonly catalog: Catalog;
  readonly tableMaintenance: TableMaintenance;
  readonly transform: Transform;
  readonly orchestration: Orchestration;
  readonly analytics: Analytics;
  readonly monitoring: Monitoring;
  /** Present when `config.lakeFormation.enabled`. */
  readonly lakeFormation?: LakeFormationGrants;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = props.disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.storage = new PipelineStorage(this, 'Storage', { storage: config.storage, disposable: props.disposable });
    this.encryption = new PipelineEncryption(this, 'Encryption', { removalPolicy });
    const { rawBucket, processedBucket, finalBucket, scratchBucket } = this.storage;

    this.ingest = new Ingest(this, 'Ingest', { config, rawBucket, processedBucket, entry: props.handlerEntry });
    this.catalog = new Catalog(this, 'Catalog', {
      datasets: config.datasets,
      catalog: config.catalog,
      databaseName: databaseNameFor(this.stackName),
      processedBucket,
      finalBucket,
      encryption: this.encryption,
    });
    this.tableMaintenance = new TableMaintenance(this, 'TableMaintenance', {
      datasets: config.datasets,
      catalog: config.catalog,
      databaseName: this.catalog.databaseName,
      finalTables: this.catalog.finalTables,
      finalBucket,
    });
    this.transform = new Transform(this, 'Transform', {
      datasets: config.datasets,
      transform: config.transform,
      logRetentionDays: config.monitoring.logRetentionDays,
      databaseName: this.catalog.databaseName,
      processedBucket,
      finalBucket,
      tempBucket: scratchBucket,
      tempPrefix: SCRATCH_PREFIXES.glueTemp,
      encryption: this.encryption,
      removalPolicy,
      scripts: props.glueScripts,
    });
    const jobNames = Object.fromEntries(Object.entries(this.transform.jobs).map(([dataset, job]) => [dataset, job.jobName]));
    this.orchestration = new Orchestration(this, 'Orchestration', {
      transform: config.transform,
      processedBucket,
      jobNames: Object.values(jobNames),
    });
    this.analytics = new Analytics(this, 'Analytics', {
      config,
      databaseName: this.catalog.databaseName,
      resultsBucket: scratchBucket,
      resultsPrefix: SCRATCH_PREFIXES.athenaResults,
      finalBucket,
      processedBucket,
    });
    this.monitoring = new Monitoring(this, 'Monitoring', {
      monitoring: config.monitoring,
      key: this.encryption.key,
      ingestFunction: this.ingest.function,
      ingestQueue: this.ingest.queue,
      ingestServiceName: POWERTOOLS_SERVICE_NAME,
      ingestTimeout: Duration.seconds(config.ingest.timeoutSeconds),
      deadLetterQueue: this.ingest.deadLetterQueue,
      crawlerName: this.catalog.crawlerName,
      jobNames,
    });

    if (config.lakeFormation.enabled) this.lakeFormation = this.grantLakeFormation(config);

    this.addOutputs(config);
  }

  /** What a user needs after deploy: bucket names, upload prefixes, database, workgroup, workflow, topic, dashboards. */
  private addOutputs(config: PipelineConfig): void {
    const { rawBucket, processedBucket, finalBucket, scratchBucket } = this.storage;
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('RawBucketName', rawBucket.bucketName, 'Upload CSV files here, under a dataset upload prefix');
    output('ProcessedBucketName', processedBucket.bucketName, 'processed/, quarantine/, reports/ and inferred/ written by the preprocessing Lambda');
    output('FinalBucketName', finalBucket.bucketName, 'final_output/<dataset>/: the Iceberg tables the Glue jobs commit to');
    output('ScratchBucketName', scratchBucket.bucketName, 'Athena results and Glue temporary files');
    for (const dataset of config.datasets) {
      output(
        `UploadPrefix${pascal(dataset.name)}`,
        rawBucket.s3UrlForObject(datasetLayout(dataset).rawPrefix),
        `Upload ${dataset.name} CSV files under this S3 prefix`,
      );
    }
    output('GlueDatabaseName', this.catalog.databaseName, 'Glue database with processed_<dataset>, <dataset> and <dataset>_rejects tables');
    output('AthenaWorkGroupName', this.analytics.workGroupName, 'Athena workgroup with the named queries of every dataset');
    output('GlueWorkflowName', this.orchestration.workflowName, 'Glue workflow: the dataset jobs, on each batch of new processed files');
    output('AlarmTopicArn', this.monitoring.alarmTopic.topicArn, 'SNS topic of the pipeline alarms');
    output('CloudWatchDashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard of the pipeline');
    if (this.analytics.quickSightDashboardIds.length) {
      output(
        'QuickSightDashboardIds',
        this.analytics.quickSightDashboardIds.join(','),
        'QuickSight dashboard ids, one per dataset with a dashboard (shared with quicksight.principalArn)',
      );
    }
    output(
      'CloudWatchDashboardUrl',
      `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.monitoring.dashboard.dashboardName}`,
      'Link to the CloudWatch dashboard',
    );
  }

  /** Lake Formation grants for the deploying role, the crawler, the jobs, the table optimizers, QuickSight and the configured Athena users. */
  private grantLakeFormation(config: PipelineConfig): LakeFormationGrants {
    const lakeFormation = new LakeFormationGrants(this, 'LakeFormation', {
      datasets: config.datasets,
      database: this.catalog.database,
      databaseName: this.catalog.databaseName,
      processedTables: this.catalog.processedTables,
      finalTables: this.catalog.finalTables,
      rejectsTables: this.catalog.rejectsTables,
      optimizerRole: this.tableMaintenance.role,
      crawlerRole: this.catalog.crawlerRole,
      jobRoles: Object.fromEntries(Object.entries(this.transform.jobs).map(([dataset, job]) => [dataset, job.role])),
      quickSightRole: this.analytics.quickSight?.role,
      athenaPrincipalArns: config.lakeFormation.athenaPrincipalArns,
    });
    // Glue checks an optimizer's role when the optimizer is created, so its Lake Formation grants must exist first.
    for (const [dataset, optimizers] of Object.entries(this.tableMaintenance.optimizers)) {
      const grants = [lakeFormation.grants['Optimizers-Database'], lakeFormation.grants[`Optimizers-${dataset}-Final`]];
      for (const optimizer of Object.values(optimizers)) optimizer.node.addDependency(...grants);
    }
    return lakeFormation;
  }
}

function pascal(name: string): string {
  return name
    .split('_')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
