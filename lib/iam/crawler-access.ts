// What the Glue crawler's role may do: read processed/<dataset>/ and inferred/, and maintain the processed_* tables of the database.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { datasetLayout, PREFIXES, PROCESSED_TABLE_PREFIX } from '../../config/layout';
import type { DatasetConfig } from '../../config/schema';
import { catalogArn, CRAWLER_CATALOG_ACTIONS, databaseArn, tableArn } from '../glue-access';
import { acknowledgeWildcardResources } from '../nag';

/** Lets the crawler read and list each dataset's processed/<dataset>/ prefix and inferred/ (files of no dataset), the data it catalogs, and nothing else of the bucket. */
export function allowCrawlerToReadProcessed(role: iam.IRole, processedBucket: s3.IBucket, datasets: readonly DatasetConfig[]): void {
  const prefixes = [...datasets.map((d) => datasetLayout(d).processedPrefix), PREFIXES.inferred];
  const processedObjects = prefixes.map((prefix) => processedBucket.arnForObjects(`${prefix}*`));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadProcessedData', actions: ['s3:GetObject'], resources: processedObjects }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'ListProcessedData',
      actions: ['s3:ListBucket'],
      resources: [processedBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.flatMap((prefix) => [prefix, `${prefix}*`]) } },
    }),
  );
  acknowledgeWildcardResources(
    role,
    processedObjects,
    "The crawler reads the objects under each dataset's processed/<dataset>/ prefix and inferred/ only; their keys are not known in advance.",
  );
}

/**
 * Lets the crawler update the processed_<dataset> tables and create and update the processed_* tables of inferred/
 * (named by the crawler after the files, so not known in advance), in the pipeline database only.
 */
export function allowCrawlerToMaintainProcessedTables(role: iam.IRole, databaseName: string): void {
  const processedTables = tableArn(databaseName, `${PROCESSED_TABLE_PREFIX}*`);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'MaintainProcessedTables',
      actions: CRAWLER_CATALOG_ACTIONS,
      resources: [catalogArn(), databaseArn(databaseName), processedTables],
    }),
  );
  acknowledgeWildcardResources(
    role,
    [processedTables],
    'The crawler names the tables of inferred/ (files of no dataset) after the files at run time; the pattern is limited to the processed_ tables of the pipeline database.',
  );
}
