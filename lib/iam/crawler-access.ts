// What the Glue crawler's role may do: read processed/<dataset>/ and maintain the processed_<dataset> tables.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { datasetLayout } from '../../config/layout';
import type { DatasetConfig } from '../../config/schema';
import { catalogArn, CRAWLER_CATALOG_ACTIONS, databaseArn, tableArn } from '../glue-access';
import { acknowledgeWildcardResources } from '../nag';

/** Lets the crawler read and list each dataset's processed/<dataset>/ prefix, the data it catalogs, and nothing else of the bucket. */
export function allowCrawlerToReadProcessed(role: iam.IRole, processedBucket: s3.IBucket, datasets: readonly DatasetConfig[]): void {
  const prefixes = datasets.map((d) => datasetLayout(d).processedPrefix);
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
    "The crawler reads the objects under each dataset's processed/<dataset>/ prefix only; their keys are not known in advance.",
  );
}

/** Lets the crawler create and update the processed_<dataset> tables and their partitions, in the pipeline database only. */
export function allowCrawlerToMaintainProcessedTables(role: iam.IRole, databaseName: string, datasets: readonly DatasetConfig[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'MaintainProcessedTables',
      actions: CRAWLER_CATALOG_ACTIONS,
      resources: [catalogArn(), databaseArn(databaseName), ...datasets.map((d) => tableArn(databaseName, datasetLayout(d).processedTable))],
    }),
  );
}
