// Lake Formation grants on the pipeline's database and tables, for accounts where Lake Formation governs the Data Catalog.
import { Aws, type CfnResource, DefaultStackSynthesizer, Fn, Stack } from 'aws-cdk-lib';
import type * as glue from 'aws-cdk-lib/aws-glue';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { CfnPrincipalPermissions } from 'aws-cdk-lib/aws-lakeformation';
import { Construct } from 'constructs';
import { datasetLayout } from '../config/layout';
import type { DatasetConfig } from '../config/schema';

/** Context key of a custom bootstrap qualifier (cdk bootstrap --qualifier). */
const BOOTSTRAP_QUALIFIER_CONTEXT = '@aws-cdk/core:bootstrapQualifier';

/** What a job does to its final Iceberg table: read it for the MERGE, write and delete data files, alter it (commit, schema and partition evolution). */
export const JOB_FINAL_TABLE_PERMISSIONS = ['SELECT', 'INSERT', 'ALTER', 'DELETE', 'DESCRIBE'];
/** What a reader (QuickSight, an Athena user) needs on a table. */
export const READER_TABLE_PERMISSIONS = ['SELECT', 'DESCRIBE'];
/** What the table optimizers do to a final table (Glue's table optimization prerequisites for Lake Formation tables). */
export const OPTIMIZER_TABLE_PERMISSIONS = ['ALTER', 'DESCRIBE', 'INSERT', 'DELETE'];

export interface LakeFormationGrantsProps {
  /** Datasets from the validated config: their final and rejects tables are granted by name. */
  readonly datasets: readonly DatasetConfig[];
  /** The pipeline's Glue database (grants depend on it). */
  readonly database: glue.CfnDatabase;
  /** Its name. */
  readonly databaseName: string;
  /** The stack-defined processed tables, keyed by dataset name (the crawler's grants depend on them). */
  readonly processedTables: Readonly<Record<string, glue.CfnTable>>;
  /** The stack-defined final tables, keyed by dataset name (grants on them depend on them). */
  readonly finalTables: Readonly<Record<string, glue.CfnTable>>;
  /** The stack-defined rejects tables, keyed by dataset name. */
  readonly rejectsTables: Readonly<Record<string, glue.CfnTable>>;
  /** Updates processed_<dataset> tables (schema drift), may create tables for files that do not fit them. */
  readonly crawlerRole: iam.IRole;
  /** Runs the final tables' optimizers. */
  readonly optimizerRole: iam.IRole;
  /** Each dataset job's role, keyed by dataset name. */
  readonly jobRoles: Readonly<Record<string, iam.IRole>>;
  /**
   * QuickSight's Athena role.
   * @default - no QuickSight grants (QuickSight off)
   */
  readonly quickSightRole?: iam.IRole;
  /**
   * IAM users or roles that query the final and rejects tables in Athena.
   * @default [] - none
   */
  readonly athenaPrincipalArns?: readonly string[];
  /**
   * The role CloudFormation deploys the stack with. It must be a Lake Formation data lake administrator before the
   * first deploy (it creates the database and makes these grants); the stack also grants it ALL on the database and its tables.
   * @default - the CDK bootstrap cfn-exec role of the stack's account, region and bootstrap qualifier
   */
  readonly deployRoleArn?: string;
}

/**
 * One AWS::LakeFormation::PrincipalPermissions per principal and resource. No S3 location is registered with Lake
 * Formation, so data access stays with the IAM policies; these grants cover the catalog side, which Lake Formation
 * checks in addition to IAM. Every table is defined by the stack, so grants name their tables; the jobs read processed
 * files by path (no grant on processed_<dataset>) and may create their final table if it was dropped (CREATE_TABLE).
 */
export class LakeFormationGrants extends Construct {
  /** Every grant, keyed by construct id. */
  readonly grants: Record<string, CfnPrincipalPermissions> = {};
  /** The principal granted as the deploying role. */
  readonly deployRoleArn: string;

  constructor(scope: Construct, id: string, props: LakeFormationGrantsProps) {
    super(scope, id);
    this.deployRoleArn = props.deployRoleArn ?? bootstrapExecutionRoleArn(this);
    const db: CfnPrincipalPermissions.ResourceProperty = { database: { catalogId: Aws.ACCOUNT_ID, name: props.databaseName } };
    const allTables: CfnPrincipalPermissions.ResourceProperty = { table: { catalogId: Aws.ACCOUNT_ID, databaseName: props.databaseName, tableWildcard: {} } };
    const table = (name: string): CfnPrincipalPermissions.ResourceProperty => ({
      table: { catalogId: Aws.ACCOUNT_ID, databaseName: props.databaseName, name },
    });

    this.grant('DeployRole-Database', this.deployRoleArn, db, ['ALL'], [props.database]);
    this.grant('DeployRole-Tables', this.deployRoleArn, allTables, ['ALL'], [props.database]);
    this.grant('Crawler-Database', props.crawlerRole.roleArn, db, ['CREATE_TABLE', 'DESCRIBE'], [props.database]);
    this.grant('Optimizers-Database', props.optimizerRole.roleArn, db, ['DESCRIBE'], [props.database]);

    for (const dataset of props.datasets) {
      const layout = datasetLayout(dataset);
      const role = props.jobRoles[dataset.name];
      if (!role)
        throw new Error(
          `LakeFormationGrants: no job role for dataset "${dataset.name}"; pass jobRoles with one role per configured dataset (got ${Object.keys(props.jobRoles).join(', ') || 'none'})`,
        );
      const finalTable = props.finalTables[dataset.name];
      this.grant(
        `Crawler-${dataset.name}-Processed`,
        props.crawlerRole.roleArn,
        table(layout.processedTable),
        ['ALTER', 'DESCRIBE'],
        [props.processedTables[dataset.name]],
      );
      this.grant(`Job-${dataset.name}-Database`, role.roleArn, db, ['CREATE_TABLE', 'DESCRIBE'], [props.database]);
      this.grant(`Job-${dataset.name}-FinalTable`, role.roleArn, table(layout.finalTable), JOB_FINAL_TABLE_PERMISSIONS, [finalTable]);
      this.grant(`Optimizers-${dataset.name}-Final`, props.optimizerRole.roleArn, table(layout.finalTable), OPTIMIZER_TABLE_PERMISSIONS, [finalTable]);
    }

    const readers: [string, string][] = (props.athenaPrincipalArns ?? []).map((arn, i) => [`Athena${i}`, arn]);
    if (props.quickSightRole) readers.unshift(['QuickSight', props.quickSightRole.roleArn]);
    for (const [name, arn] of readers) {
      this.grant(`${name}-Database`, arn, db, ['DESCRIBE'], [props.database]);
      for (const dataset of props.datasets) {
        const layout = datasetLayout(dataset);
        this.grant(`${name}-${dataset.name}-Final`, arn, table(layout.finalTable), READER_TABLE_PERMISSIONS, [props.finalTables[dataset.name]]);
        this.grant(`${name}-${dataset.name}-Rejects`, arn, table(layout.rejectsTable), READER_TABLE_PERMISSIONS, [props.rejectsTables[dataset.name]]);
      }
    }
  }

  private grant(id: string, principalArn: string, resource: CfnPrincipalPermissions.ResourceProperty, permissions: string[], after: CfnResource[]): void {
    const grant = new CfnPrincipalPermissions(this, id, {
      principal: { dataLakePrincipalIdentifier: principalArn },
      resource,
      permissions,
      permissionsWithGrantOption: [],
    });
    // Resources are named, not referenced: the database or table must exist before the grant (and outlive it on delete).
    for (const target of after) grant.addResourceDependency(target);
    this.grants[id] = grant;
  }
}

/** The CDK bootstrap cfn-exec role (`cdk-<qualifier>-cfn-exec-role-<account>-<region>`), the role `cdk deploy` deploys with. */
function bootstrapExecutionRoleArn(scope: Construct): string {
  const qualifier = String(scope.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER);
  const stack = Stack.of(scope);
  if (!(stack.synthesizer instanceof DefaultStackSynthesizer)) {
    throw new Error(
      'LakeFormationGrants: the stack does not use the default CDK synthesizer, so the deploying role is unknown; pass deployRoleArn (the role CloudFormation deploys with)',
    );
  }
  return Fn.sub(DefaultStackSynthesizer.DEFAULT_CLOUDFORMATION_ROLE_ARN.replace('${Qualifier}', qualifier));
}
