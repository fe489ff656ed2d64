// What a dataset's Glue job role may do: read its processed files, write its final Iceberg table's files and catalog entry, use its TempDir.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { DatasetLayout } from '../../config/layout';
import { catalogArn, databaseArn, JOB_CATALOG_ACTIONS, tableArn } from '../glue-access';
import { acknowledgeWildcardResources } from '../nag';

/** Object actions a job performs on the prefixes it writes (Spark writes, overwrites and abandons multipart uploads). */
const OBJECT_WRITE_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'];

/** Why a job's object-prefix wildcards are as narrow as they can be. */
function prefixWildcardReason(prefix: string): string {
  return `Object-level actions on this dataset's own prefix ${prefix} only; object keys are not known in advance.`;
}

/** A folder prefix ("final_output/orders/") as Hadoop file systems also name it: without the trailing "/". */
function folderName(prefix: string): string {
  return prefix.replace(/\/$/, '');
}

/** ListBucket on folders of a bucket: each folder's own name (Hadoop file systems list it without the "/"), the folder, and everything under it. */
function listFoldersStatement(sid: string, bucket: s3.IBucket, prefixes: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': prefixes.flatMap((prefix) => [folderName(prefix), prefix, `${prefix}*`]) } },
  });
}

/**
 * Lets a job read and list its dataset's processed/<dataset>/ and reports/<dataset>/ (the raw key of each processed
 * file) only. File systems (Spark's S3A, EMRFS) probe a folder with a HEAD on its bare key, which needs s3:GetObject on
 * that key: without it the probe is a 403, not a 404.
 */
export function allowJobToReadProcessed(role: iam.IRole, processedBucket: s3.IBucket, layout: DatasetLayout): void {
  const processedObjects = processedBucket.arnForObjects(`${layout.processedPrefix}*`);
  const reports = processedBucket.arnForObjects(`${layout.reportsPrefix}*`);
  const processedFolderKey = processedBucket.arnForObjects(folderName(layout.processedPrefix));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'ReadProcessed', actions: ['s3:GetObject'], resources: [processedObjects, processedFolderKey, reports] }),
  );
  role.addToPrincipalPolicy(listFoldersStatement('ListProcessed', processedBucket, [layout.processedPrefix, layout.reportsPrefix]));
  acknowledgeWildcardResources(role, [processedObjects], prefixWildcardReason(layout.processedPrefix));
  acknowledgeWildcardResources(role, [reports], prefixWildcardReason(layout.reportsPrefix));
}

/**
 * Lets a job write, overwrite and list its dataset's final_output/<dataset>/ (its Iceberg table's files) and
 * job_state/<dataset>/ (its ledger) only, with the folder's bare key (the file systems' HEAD probe) and the
 * "<folder>_$folder$" marker Hadoop-style writers may leave beside it.
 */
export function allowJobToWriteFinal(role: iam.IRole, finalBucket: s3.IBucket, layout: DatasetLayout): void {
  const finalObjects = finalBucket.arnForObjects(`${layout.finalPrefix}*`);
  const finalFolderKey = finalBucket.arnForObjects(folderName(layout.finalPrefix));
  const finalFolderMarker = finalBucket.arnForObjects(`${folderName(layout.finalPrefix)}_$folder$`);
  const jobState = finalBucket.arnForObjects(`${layout.jobStatePrefix}*`);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'WriteFinal', actions: OBJECT_WRITE_ACTIONS, resources: [finalObjects, finalFolderKey, finalFolderMarker] }),
  );
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'JobState', actions: ['s3:GetObject', 's3:PutObject'], resources: [jobState] }));
  role.addToPrincipalPolicy(listFoldersStatement('ListFinal', finalBucket, [layout.finalPrefix, layout.jobStatePrefix]));
  acknowledgeWildcardResources(role, [finalObjects], prefixWildcardReason(layout.finalPrefix));
  acknowledgeWildcardResources(role, [jobState], prefixWildcardReason(layout.jobStatePrefix));
}

/** Lets a job use its own --TempDir (`tempDir`, a folder of `tempBucket`) for Spark's temporary files, and list it. */
export function allowJobToUseTempDir(role: iam.IRole, tempBucket: s3.IBucket, tempDir: string): void {
  const tempObjects = tempBucket.arnForObjects(`${tempDir}*`);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'UseTempDir', actions: OBJECT_WRITE_ACTIONS, resources: [tempObjects] }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListTempDir',
      actions: ['s3:ListBucket'],
      resources: [tempBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [tempDir, `${tempDir}*`] } },
    }),
  );
  acknowledgeWildcardResources(role, [tempObjects], prefixWildcardReason(tempDir));
}

/**
 * Lets a job load, create and commit its own final Iceberg table, and no other table of the catalog (it reads the
 * processed files by path, not through processed_<dataset>).
 */
export function allowJobCatalogOfDataset(role: iam.IRole, databaseName: string, layout: DatasetLayout): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'CatalogOfThisDataset',
      actions: JOB_CATALOG_ACTIONS,
      resources: [
        catalogArn(),
        databaseArn(databaseName),
        // Spark's Glue catalog client looks up the "default" database when a session starts.
        databaseArn('default'),
        tableArn(databaseName, layout.finalTable),
      ],
    }),
  );
}
