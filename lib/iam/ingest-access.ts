// What the preprocessing Lambda's role may do with the data: read raw uploads, write the processed bucket's outputs.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { datasetLayout, PREFIXES } from '../../config/layout';
import type { DatasetConfig } from '../../config/schema';
import { acknowledgeWildcardResources } from '../nag';

const PREFIX_WILDCARD_REASON =
  'Object-level actions scoped to one key prefix each (a dataset raw prefix, or one of processed/ quarantine/ reports/ inferred/); object keys under a prefix cannot be listed in advance.';

/** Lets the Lambda read uploads (any version) under each dataset's raw prefix, and nothing else of the raw bucket. */
export function allowIngestToReadRawUploads(role: iam.IRole, rawBucket: s3.IBucket, datasets: readonly DatasetConfig[]): void {
  const rawObjects = datasets.map((d) => rawBucket.arnForObjects(`${datasetLayout(d).rawPrefix}*`));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadRawUploads', actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: rawObjects }));
  acknowledgeWildcardResources(role, rawObjects, PREFIX_WILDCARD_REASON);
}

/**
 * Lets the Lambda write its outputs (processed/, quarantine/, reports/, inferred/), read reports/ to skip files it
 * already did, and list the bucket so a missing key reads as "not found" rather than "access denied".
 */
export function allowIngestToWriteOutputs(role: iam.IRole, processedBucket: s3.IBucket): void {
  const outputObjects = [PREFIXES.processed, PREFIXES.quarantine, PREFIXES.reports, PREFIXES.inferred].map((p) => processedBucket.arnForObjects(`${p}*`));
  const reportObjects = processedBucket.arnForObjects(`${PREFIXES.reports}*`);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteOutputs', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: outputObjects }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadReportsToSkipDoneFiles', actions: ['s3:GetObject'], resources: [reportObjects] }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'ListProcessedForMissingKeys', actions: ['s3:ListBucket'], resources: [processedBucket.bucketArn] }),
  );
  acknowledgeWildcardResources(role, [...outputObjects, reportObjects], PREFIX_WILDCARD_REASON);
}
