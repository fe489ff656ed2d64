// One PySpark Glue job per dataset (same script, the dataset's spec as arguments), each with a role scoped to that dataset.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { datasetJobSpec } from '../config/job-spec';
import { datasetLayout, LEDGER_FILE, PREFIXES } from '../config/layout';
import type { DatasetConfig, TransformJobConfig } from '../config/schema';
import type { PipelineEncryption } from './encryption';
import { perDeploymentName } from './deployment-id';
import { allowGlueJobMetrics, allowGlueRunLogs } from './glue-access';
import { allowJobCatalogOfDataset, allowJobToReadProcessed, allowJobToUseTempDir, allowJobToWriteFinal } from './iam/job-access';
import { glueConfArgument, ICEBERG_CATALOG, icebergSparkConf } from './iceberg-table';
import { acknowledge } from './nag';

/** The job's entry point and the plain-PySpark transforms it imports (shipped as --extra-py-files). */
export const GLUE_SCRIPT = path.join(__dirname, '..', 'glue-scripts', 'glue_job.py');
export const GLUE_TRANSFORMS_MODULE = path.join(__dirname, '..', 'glue-scripts', 'pipeline_transforms.py');
/** The batch orchestration (run_batch) glue_job.py imports: shipped from the transforms module's folder, in the same zip. */
export const GLUE_BATCH_MODULE = 'pipeline_batch.py';

/** Context key of a custom bootstrap qualifier (cdk bootstrap --qualifier). */
const BOOTSTRAP_QUALIFIER_CONTEXT = '@aws-cdk/core:bootstrapQualifier';

export interface TransformProps {
  /** Datasets from the validated config: one job each. */
  readonly datasets: readonly DatasetConfig[];
  /** Job sizing from the validated config (`config.transform`). */
  readonly transform: TransformJobConfig;
  /** Retention of the jobs' log groups (`config.monitoring.logRetentionDays`, one of LOG_RETENTION_DAYS). */
  readonly logRetentionDays: number;
  /** The Glue database holding processed_<dataset>, <dataset> and <dataset>_rejects. */
  readonly databaseName: string;
  /** Read: processed/<dataset>/ and reports/<dataset>/. */
  readonly processedBucket: s3.IBucket;
  /** Read, write, delete: final_output/<dataset>/ (the job commits to the dataset's Iceberg table there); read, write: job_state/<dataset>/. */
  readonly finalBucket: s3.IBucket;
  /** Where the jobs' --TempDir lives. */
  readonly tempBucket: s3.IBucket;
  /** Key prefix of --TempDir in `tempBucket`; each job writes under `<prefix><dataset>/`. */
  readonly tempPrefix: string;
  /** Security configuration and key for encrypted logs and bookmarks. */
  readonly encryption: PipelineEncryption;
  /**
   * The job's entry script and the transforms module it imports (GLUE_BATCH_MODULE is taken from the same folder).
   * @default GLUE_SCRIPT and GLUE_TRANSFORMS_MODULE (glue-scripts/ of this repository)
   */
  readonly scripts?: { readonly entry: string; readonly transformsModule: string };
  /**
   * What happens to the jobs' log groups when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export class Transform extends Construct {
  /** Jobs keyed by dataset name. */
  readonly jobs: Record<string, glue.PySparkEtlJob> = {};
  /** Each job's Glue 5 log groups, keyed by dataset name (KMS-encrypted, retention from config). */
  readonly jobLogGroups: Record<string, JobLogGroups> = {};

  constructor(scope: Construct, id: string, props: TransformProps) {
    super(scope, id);
    const { datasets, transform, databaseName, processedBucket, finalBucket, tempBucket, tempPrefix, encryption } = props;

    // Under /aws-glue/jobs so the roles' Glue-logs statement covers them; unique per deployment because they are retained.
    const logGroupPrefix = `/aws-glue/jobs/${perDeploymentName(this)}`;
    const script = glue.Code.fromAsset(props.scripts?.entry ?? GLUE_SCRIPT);
    const transformsPath = props.scripts?.transformsModule ?? GLUE_TRANSFORMS_MODULE;
    const sparkConf = glueConfArgument(icebergSparkConf(finalBucket.s3UrlForObject(PREFIXES.final)));
    const transformsModule = pythonModuleArchive(this, 'TransformsModule', [transformsPath, path.join(path.dirname(transformsPath), GLUE_BATCH_MODULE)]);

    for (const dataset of datasets) {
      const layout = datasetLayout(dataset);
      const finalPath = finalBucket.s3UrlForObject(layout.finalPrefix);
      const tempDir = `${tempPrefix}${dataset.name}/`;
      const role = new iam.Role(this, `Role-${dataset.name}`, {
        assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
        description: `Glue job of dataset ${dataset.name}: processed/${dataset.name}/ to final_output/${dataset.name}/`,
      });

      allowJobToReadProcessed(role, processedBucket, layout);
      allowJobToWriteFinal(role, finalBucket, layout);
      allowJobToUseTempDir(role, tempBucket, tempDir);
      allowJobCatalogOfDataset(role, databaseName, layout);
      allowGlueRunLogs(role, 'jobs');
      allowGlueJobMetrics(role);
      encryption.grantGlueRole(role);
      acknowledgeAssetRead(role);
      const logGroups = jobLogGroups(this, dataset.name, `${logGroupPrefix}/${dataset.name}`, props);
      this.jobLogGroups[dataset.name] = logGroups;

      const job = new glue.PySparkEtlJob(this, `Job-${dataset.name}`, {
        description: `CSV pipeline: processed/${dataset.name}/ to ${layout.finalTable} (Iceberg, partitioned by ${schemaPartitions(dataset)})`,
        role,
        script,
        extraPythonFiles: [transformsModule],
        glueVersion: transform.glueVersion === '5.1' ? glue.GlueVersion.V5_1 : glue.GlueVersion.V5_0,
        workerConfiguration: {
          workerType: transform.workerType === 'G.2X' ? glue.WorkerType.G_2X : glue.WorkerType.G_1X,
          numberOfWorkers: transform.workers,
        },
        timeout: Duration.minutes(transform.timeoutMinutes),
        maxConcurrentRuns: 1,
        maxRetries: 0,
        securityConfiguration: encryption.glueSecurityConfiguration,
        // Glue 4.0's continuous-logging arguments do not apply to Glue 5: its real-time logs go to the groups of --custom-logGroup-prefix.
        continuousLogging: { enabled: false },
        enableMetrics: true,
        enableObservabilityMetrics: true,
        defaultArguments: {
          '--dataset_spec': JSON.stringify(datasetJobSpec(dataset)),
          '--database': databaseName,
          // The job lists the processed files by path (no crawler run before it), takes each file's raw key from its
          // report, and records the files it merged in its ledger (no job bookmarks).
          '--processed_path': processedBucket.s3UrlForObject(layout.processedPrefix),
          '--reports_path': processedBucket.s3UrlForObject(layout.reportsPrefix),
          '--ledger_path': finalBucket.s3UrlForObject(`${layout.jobStatePrefix}${LEDGER_FILE}`),
          '--final_table': layout.finalTable,
          '--final_path': finalPath,
          '--iceberg_catalog': ICEBERG_CATALOG,
          '--datalake-formats': 'iceberg',
          '--conf': sparkConf,
          '--job-bookmark-option': 'job-bookmark-disable',
          '--enable-glue-datacatalog': 'true',
          '--TempDir': tempBucket.s3UrlForObject(tempDir),
          '--custom-logGroup-prefix': logGroups.prefix,
        },
      });
      // PySparkEtlJob has no execution class property (PySparkFlexEtlJob is FLEX only): set it on the CfnJob.
      (job.node.defaultChild as glue.CfnJob).executionClass = transform.executionClass;
      this.jobs[dataset.name] = job;
    }
  }
}

/** The two log groups a Glue 5 job run writes to when given `--custom-logGroup-prefix <prefix>`. */
export interface JobLogGroups {
  /** The value of --custom-logGroup-prefix. */
  readonly prefix: string;
  /** `<prefix>/error`: system, Spark daemon and GlueLogger logs (Glue 5's default is /aws-glue/jobs/error). */
  readonly error: logs.LogGroup;
  /** `<prefix>/output`: the script's stdout and stderr (Glue 5's default is /aws-glue/jobs/output). */
  readonly output: logs.LogGroup;
}

/**
 * Creates the log groups Glue 5 writes a job's logs to, before any run, so they carry the configured retention and
 * the pipeline key (a group Glue creates itself never expires).
 */
function jobLogGroups(scope: Construct, dataset: string, prefix: string, props: TransformProps): JobLogGroups {
  const group = (suffix: 'error' | 'output') =>
    new logs.LogGroup(scope, `JobLogs-${dataset}-${suffix}`, {
      logGroupName: `${prefix}/${suffix}`,
      retention: props.logRetentionDays as logs.RetentionDays,
      encryptionKey: props.encryption.key,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  return { prefix, error: group('error'), output: group('output') };
}

/**
 * Python modules as Glue can import them: a zip asset holding only the `<module>.py` files (of one folder) at its
 * root. Glue puts each --extra-py-files object on the Python path as it is; a .py file asset is named by its hash,
 * so `import <module>` would fail, while a zip is imported from whatever its object is called.
 */
export function pythonModuleArchive(scope: Construct, id: string, modulePaths: readonly string[]): glue.Code {
  if (modulePaths.length === 0) throw new Error('pythonModuleArchive: no module given; pass the paths of the modules that glue_job.py imports.');
  const folder = path.dirname(modulePaths[0]);
  for (const modulePath of modulePaths) {
    if (!modulePath.endsWith('.py') || !fs.existsSync(modulePath)) {
      throw new Error(`Glue Python module ${JSON.stringify(modulePath)} is not an existing .py file; pass the paths of the modules that glue_job.py imports.`);
    }
    if (path.dirname(modulePath) !== folder) {
      throw new Error(
        `Glue Python module ${JSON.stringify(modulePath)} is not in ${JSON.stringify(folder)}; one archive holds modules of one folder: put the modules side by side.`,
      );
    }
  }
  // glue.Code.fromAsset takes files only; a directory asset (everything but the modules excluded) is zipped.
  const archive = new s3assets.Asset(scope, id, { path: folder, exclude: ['*', ...modulePaths.map((p) => `!${path.basename(p)}`)] });
  return glue.Code.fromBucket(archive.bucket, archive.s3ObjectKey);
}

function schemaPartitions(dataset: DatasetConfig): string {
  return dataset.transforms.partitionBy.length ? dataset.transforms.partitionBy.join(', ') : 'nothing';
}

/** The script assets' grantRead (by aws-cdk-lib) reads the CDK bootstrap asset bucket with s3:GetObject*, GetBucket*, List*. */
function acknowledgeAssetRead(role: iam.Role): void {
  const reason = 'Granted by aws-cdk-lib Code.fromAsset on the CDK bootstrap asset bucket (read-only: the job script and module); not a data bucket.';
  for (const id of ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*']) acknowledge(role, `AwsSolutions-IAM5[${id}]`, reason);
  // cdk-nag spells the bucket as it appears in the template: pseudo parameters when the stack is
  // environment-agnostic, literal account, region and partition when CDK_DEFAULT_ACCOUNT/REGION pin it.
  const stack = Stack.of(role);
  const spell = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  const qualifier = String(role.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER);
  const assetBucket = DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace('${Qualifier}', qualifier)
    .replace('${AWS::AccountId}', spell(stack.account, 'AWS::AccountId'))
    .replace('${AWS::Region}', spell(stack.region, 'AWS::Region'));
  acknowledge(role, `AwsSolutions-IAM5[Resource::arn:${spell(stack.partition, 'AWS::Partition')}:s3:::${assetBucket}/*]`, reason);
}
