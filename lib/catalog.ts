// The Glue Data Catalog side: database, header-aware CSV classifier, one crawler over processed data, final and rejects tables.
import { Aws } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { datasetLayout, finalSchema, PROCESSED_TABLE_PREFIX, REJECT_COLUMNS } from '../config/layout';
import type { DatasetConfig } from '../config/schema';
import type { PipelineEncryption } from './encryption';
import { allowGlueRunLogs } from './glue-access';
import { allowCrawlerToMaintainProcessedTables, allowCrawlerToReadProcessed } from './iam/crawler-access';

/**
 * Crawler settings against the known pitfalls: files of one dataset with compatible schemas make ONE table,
 * and partitions inherit the table's schema (no HIVE_PARTITION_SCHEMA_MISMATCH).
 */
export const CRAWLER_CONFIGURATION = {
  Version: 1.0,
  Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
  CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
} as const;

/** A catalog column: its name and Hive type. */
interface TableColumn {
  readonly name: string;
  readonly type: string;
}

/** How a table's files are stored: the Hadoop input and output formats and the SerDe that reads a row. */
interface TableFormat {
  readonly inputFormat: string;
  readonly outputFormat: string;
  readonly serde: string;
}

/** An external table the stack defines (the final and rejects tables; the crawler makes the processed ones). */
interface ExternalTableSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, string>;
  readonly columns: readonly TableColumn[];
  readonly partitionColumns?: readonly TableColumn[];
  /** s3:// URL of the folder holding the table's files. */
  readonly location: string;
  readonly format: TableFormat;
}

const PARQUET: TableFormat = {
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
const JSON_LINES: TableFormat = {
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
    allowCrawlerToReadProcessed(this.crawlerRole, processedBucket, datasets);
    allowCrawlerToMaintainProcessedTables(this.crawlerRole, databaseName, datasets);
    allowGlueRunLogs(this.crawlerRole, 'crawlers');
    encryption.grantGlueRole(this.crawlerRole);

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
      this.finalTables[dataset.name] = this.externalTable(`FinalTable-${dataset.name}`, {
        name: layout.finalTable,
        description: `${dataset.name}: final Parquet data written by the Glue job`,
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE', 'parquet.compression': 'SNAPPY' },
        partitionColumns: schema.partitionColumns,
        columns: schema.columns,
        location: finalBucket.s3UrlForObject(layout.finalPrefix),
        format: PARQUET,
      });
      this.rejectsTables[dataset.name] = this.externalTable(`RejectsTable-${dataset.name}`, {
        name: layout.rejectsTable,
        description: `${dataset.name}: rows the preprocessing Lambda rejected, with the reason`,
        parameters: { classification: 'json', EXTERNAL: 'TRUE' },
        columns: REJECT_COLUMNS,
        location: processedBucket.s3UrlForObject(layout.rejectedRowsPrefix),
        format: JSON_LINES,
      });
    }
  }

  /** An EXTERNAL_TABLE of the pipeline database over the files at `spec.location`, created after the database. */
  private externalTable(id: string, spec: ExternalTableSpec): glue.CfnTable {
    const nameAndType = (c: TableColumn) => ({ name: c.name, type: c.type });
    const table = new glue.CfnTable(this, id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: spec.name,
        description: spec.description,
        tableType: 'EXTERNAL_TABLE',
        parameters: spec.parameters,
        partitionKeys: spec.partitionColumns?.map(nameAndType),
        storageDescriptor: {
          columns: spec.columns.map(nameAndType),
          location: spec.location,
          inputFormat: spec.format.inputFormat,
          outputFormat: spec.format.outputFormat,
          serdeInfo: { serializationLibrary: spec.format.serde, parameters: { 'serialization.format': '1' } },
        },
      },
    });
    table.addResourceDependency(this.database);
    return table;
  }
}
