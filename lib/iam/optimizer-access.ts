// What the final tables' optimizer role may do: the table files under final_output/<dataset>/, those tables' catalog entries, and the optimizers' own logs.
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { datasetLayout } from '../../config/layout';
import type { DatasetConfig } from '../../config/schema';
import { catalogArn, databaseArn, tableArn } from '../glue-access';
import { acknowledgeWildcardResources } from '../nag';

/** Log groups Glue writes the table optimizers' runs to (one per optimizer type), and their streams. */
export function optimizerLogGroupArns(): string[] {
  return ['iceberg-compaction', 'iceberg-retention', 'iceberg-orphan-file-deletion'].map(
    (kind) => `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws-glue/${kind}/logs:*`,
  );
}

/**
 * The trust policy of the optimizer role: the Glue service, and only on behalf of this account in this region
 * (aws:SourceAccount and aws:SourceArn, the confused-deputy guard), so another account's optimizer cannot use the role.
 */
export function optimizerPrincipal(): iam.IPrincipal {
  return new iam.ServicePrincipal('glue.amazonaws.com').withConditions({
    StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
  });
}

/**
 * Lets the optimizers (compaction, snapshot retention, orphan file deletion) rewrite, expire and delete the files of
 * the final tables, list their folders, read and update those tables' catalog entries and write their run logs; nothing
 * of the other prefixes, tables or buckets. The final bucket is SSE-S3 (lib/storage.ts), so no KMS key is involved.
 */
export function allowOptimizersOnFinalTables(role: iam.IRole, finalBucket: s3.IBucket, databaseName: string, datasets: readonly DatasetConfig[]): void {
  const prefixes = datasets.map((d) => datasetLayout(d).finalPrefix);
  const objects = prefixes.map((prefix) => finalBucket.arnForObjects(`${prefix}*`));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'FinalTableFiles', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: objects }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListFinalTableFolders',
      actions: ['s3:ListBucket'],
      resources: [finalBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.flatMap((prefix) => [prefix, `${prefix}*`]) } },
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'FinalTableCatalog',
      actions: ['glue:GetTable', 'glue:UpdateTable'],
      resources: [catalogArn(), databaseArn(databaseName), ...datasets.map((d) => tableArn(databaseName, datasetLayout(d).finalTable))],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'OptimizerLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: optimizerLogGroupArns(),
    }),
  );
  acknowledgeWildcardResources(
    role,
    objects,
    "Object-level actions on the final tables' own prefixes final_output/<dataset>/ only; Iceberg data and metadata file names are not known in advance.",
  );
  acknowledgeWildcardResources(
    role,
    optimizerLogGroupArns(),
    "Glue names the optimizers' log streams at run time; the groups are Glue's own /aws-glue/iceberg-{compaction,retention,orphan-file-deletion}/logs of this account and region.",
  );
}
