// The Glue Data Catalog side: database, header-aware CSV classifier, one crawler over processed data, final and rejects tables.
import { Aws } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { datasetLayout, finalSchema, PROCESSED_TABLE_PREFIX, REJECT_COLUMNS } from '../config/layout';
import type { DatasetConfig } from '../config/schema';
import type { PipelineEncryption } from './encryption';
import { catalogArn, databaseArn, glueLogsStatement, glueLogGroupArns, GLUE_LOGS_REASON, tableArn } from './glue-access';
import { acknowledgeWildcardResources } from './nag';

/**
 * Crawler settings against the known pitfalls: files of one dataset with compatible schemas make ONE table,
 * and partitions inherit the table's schema (no HIVE_PARTITION_SCHEMA_MISMATCH).
 */
export const CRAWLER_CONFIGURATION = {
  Version: 1.0,
  Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
  CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
} as const;

const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serde: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
};
/**
 * The rejected-rows files: JSON Lines (one object per line, lambda/core/rejects-jsonl.ts), stored as text.
 * The Hive JSON SerDe, not OpenCSVSerde (which supports no line break inside a field and whose escape
 * character mangles backslashes) and not the OpenX JSON SerDe (whose results Athena documents as possibly
 * non-deterministic, recommending the Hive JSON SerDe instead).
 */
const JSON_LINES = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serde: 'org.apache.hive.hcatalog.data.JsonSerDe',
};

export interface CatalogProps {
  /** Datasets from the validated config: one crawler target, one final table and one rejects table each. */
  readonly datasets: readonly DatasetConfig[];
  /** Name of the Glue database to create (lower case, unique per account and region). */
  readonly databaseName: string;
  /** Holds processed/<dataset>/ (crawled) and quarantine/<dataset>/rows/ (rejects tables). */
  readonly processedBucket: s3.IBucket;
  /** Holds final_output/<dataset>/ (final tables). */
  readonly finalBucket: s3.IBucket;
  /** Security configuration and key for the crawler's encrypted logs. */
  readonly encryption: PipelineEncryption;
}

export class Catalog extends Construct {
  readonly databaseName: string;
  readonly database: glue.CfnDatabase;
  readonly classifier: glue.CfnClassifier;
  readonly crawler: glue.CfnCrawler;
  readonly crawlerName: string;
  readonly crawlerRole: iam.Role;
  /** Final Parquet tables, keyed by dataset name. */
  readonly finalTables: Record<string, glue.CfnTable> = {};
  /** Rejected-rows tables, keyed by dataset name. */
  readonly rejectsTables: Record<string, glue.CfnTable> = {};

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    const { datasets, databaseName, processedBucket, finalBucket, encryption } = props;
    this.databaseName = databaseName;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: databaseName, description: 'CSV pipeline: processed (crawled), final (Parquet) and rejected rows' },
    });

    // Every processed column is text, so Glue's built-in classifier would not see the header: declare it.
    this.classifier = new glue.CfnClassifier(this, 'CsvClassifier', {
      csvClassifier: {
        name: `${databaseName}_csv_with_header`,
        containsHeader: 'PRESENT',
        delimiter: ',',
        quoteSymbol: '"',
        // A dataset may have one column: without this, its files classify as UNKNOWN and get no processed table.
        allowSingleColumn: true,
      },
    });

    this.crawlerRole = new iam.Role(this, 'CrawlerRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: 'Glue crawler over processed/<dataset>/ of the processed bucket',
    });
    const processedObjects = datasets.map((d) => processedBucket.arnForObjects(`${datasetLayout(d).processedPrefix}*`));
    this.crawlerRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadProcessedData', actions: ['s3:GetObject'], resources: processedObjects }));
    this.crawlerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListProcessedData',
        actions: ['s3:ListBucket'],
        resources: [processedBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': datasets.flatMap((d) => [datasetLayout(d).processedPrefix, `${datasetLayout(d).processedPrefix}*`]) } },
      }),
    );
    this.crawlerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MaintainProcessedTables',
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:CreateTable',
          'glue:UpdateTable',
          'glue:GetPartition',
          'glue:GetPartitions',
          'glue:BatchGetPartition',
          'glue:CreatePartition',
          'glue:BatchCreatePartition',
          'glue:UpdatePartition',
          'glue:BatchUpdatePartition',
        ],
        resources: [catalogArn(), databaseArn(databaseName), ...datasets.map((d) => tableArn(databaseName, datasetLayout(d).processedTable))],
      }),
    );
    this.crawlerRole.addToPrincipalPolicy(glueLogsStatement('crawlers'));
    encryption.grantGlueRole(this.crawlerRole);
    acknowledgeWildcardResources(
      this.crawlerRole,
      processedObjects,
      'The crawler reads the objects under each dataset\'s processed/<dataset>/ prefix only; their keys are not known in advance.',
    );
    acknowledgeWildcardResources(this.crawlerRole, glueLogGroupArns('crawlers'), GLUE_LOGS_REASON);

    this.crawler = new glue.CfnCrawler(this, 'Crawler', {
      role: this.crawlerRole.roleArn,
      description: 'Catalogs processed/<dataset>/ as processed_<dataset> (all-string columns, header from the custom classifier)',
      databaseName,
      tablePrefix: PROCESSED_TABLE_PREFIX,
      classifiers: [this.classifier.ref],
      targets: { s3Targets: datasets.map((d) => ({ path: processedBucket.s3UrlForObject(datasetLayout(d).processedPrefix) })) },
      configuration: JSON.stringify(CRAWLER_CONFIGURATION),
      schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
      // UPDATE_IN_DATABASE needs CRAWL_EVERYTHING (CRAWL_NEW_FOLDERS_ONLY requires LOG/LOG), and new columns must reach the table.
      recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
      crawlerSecurityConfiguration: encryption.glueSecurityConfiguration.securityConfigurationName,
    });
    this.crawler.addResourceDependency(this.database);
    this.crawlerName = this.crawler.ref;

    for (const dataset of datasets) {
      const layout = datasetLayout(dataset);
      const schema = finalSchema(dataset);
      const finalTable = new glue.CfnTable(this, `FinalTable-${dataset.name}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName,
        tableInput: {
          name: layout.finalTable,
          description: `${dataset.name}: final Parquet data written by the Glue job`,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'parquet', EXTERNAL: 'TRUE', 'parquet.compression': 'SNAPPY' },
          partitionKeys: schema.partitionColumns.map((c) => ({ name: c.name, type: c.type })),
          storageDescriptor: {
            columns: schema.columns.map((c) => ({ name: c.name, type: c.type })),
            location: finalBucket.s3UrlForObject(layout.finalPrefix),
            inputFormat: PARQUET.inputFormat,
            outputFormat: PARQUET.outputFormat,
            serdeInfo: { serializationLibrary: PARQUET.serde, parameters: { 'serialization.format': '1' } },
          },
        },
      });
      finalTable.addResourceDependency(this.database);
      this.finalTables[dataset.name] = finalTable;

      const rejectsTable = new glue.CfnTable(this, `RejectsTable-${dataset.name}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName,
        tableInput: {
          name: layout.rejectsTable,
          description: `${dataset.name}: rows the preprocessing Lambda rejected, with the reason`,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'json', EXTERNAL: 'TRUE' },
          storageDescriptor: {
            columns: REJECT_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
            location: processedBucket.s3UrlForObject(layout.rejectedRowsPrefix),
            inputFormat: JSON_LINES.inputFormat,
            outputFormat: JSON_LINES.outputFormat,
            serdeInfo: { serializationLibrary: JSON_LINES.serde, parameters: { 'serialization.format': '1' } },
          },
        },
      });
      rejectsTable.addResourceDependency(this.database);
      this.rejectsTables[dataset.name] = rejectsTable;
    }
  }
}
