// The Glue Data Catalog side: database, processed (CSV), final (Iceberg) and rejects tables from the config, and a scheduled crawler for schema drift.
import { Aws } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { datasetLayout, finalSchema, PREFIXES, PROCESSED_TABLE_PREFIX, REJECT_COLUMNS } from '../config/layout';
import type { CatalogConfig, DatasetConfig } from '../config/schema';
import type { PipelineEncryption } from './encryption';
import { allowGlueRunLogs } from './glue-access';
import { ICEBERG_FORMAT_VERSION, icebergColumns, icebergTableInput } from './iceberg-table';
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

/** A Hive external table the stack defines (the processed and rejects tables). */
interface ExternalTableSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, string>;
  readonly columns: readonly TableColumn[];
  /** s3:// URL of the folder holding the table's files. */
  readonly location: string;
  readonly format: TableFormat;
  /** SerDe parameters besides serialization.format. */
  readonly serdeParameters?: Record<string, string>;
}

/**
 * The processed files: RFC 4180 CSV with a header row, as the crawler catalogs them with the CSV classifier below
 * (OpenCSVSerde, every column a string; the header line skipped).
 */
const CSV_WITH_HEADER: TableFormat = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serde: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
};
/** SerDe parameters of CSV_WITH_HEADER: the classifier's delimiter and quote. */
const CSV_SERDE_PARAMETERS = { separatorChar: ',', quoteChar: '"' };
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

/** What the crawler skips under inferred/: the rejected rows of inferred files (JSON Lines under inferred/rejects/). */
export const INFERRED_REJECTS_EXCLUSION = 'rejects/**';

export interface CatalogProps {
  /** Datasets from the validated config: one processed, final and rejects table and one crawler target each. */
  readonly datasets: readonly DatasetConfig[];
  /** The crawler's schedule (`config.catalog`). */
  readonly catalog: CatalogConfig;
  /** Name of the Glue database to create (lower case, unique per account and region). */
  readonly databaseName: string;
  /** Holds processed/<dataset>/ (processed tables) and quarantine/<dataset>/rows/ (rejects tables). */
  readonly processedBucket: s3.IBucket;
  /** Holds final_output/<dataset>/ (final Iceberg tables: data/ and metadata/). */
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
  /** Processed CSV tables (processed_<dataset>), keyed by dataset name. */
  readonly processedTables: Record<string, glue.CfnTable> = {};
  /** Final Iceberg tables, keyed by dataset name. */
  readonly finalTables: Record<string, glue.CfnTable> = {};
  /** Rejected-rows tables, keyed by dataset name. */
  readonly rejectsTables: Record<string, glue.CfnTable> = {};

  constructor(scope: Construct, id: string, props: CatalogProps) {
    super(scope, id);
    const { datasets, catalog, databaseName, processedBucket, finalBucket, encryption } = props;
    this.databaseName = databaseName;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: databaseName, description: 'CSV pipeline: processed (CSV), final (Iceberg) and rejected rows' },
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
      description: 'Glue crawler over processed/<dataset>/ of the processed bucket (scheduled: schema drift)',
    });
    allowCrawlerToReadProcessed(this.crawlerRole, processedBucket, datasets);
    allowCrawlerToMaintainProcessedTables(this.crawlerRole, databaseName);
    allowGlueRunLogs(this.crawlerRole, 'crawlers');
    encryption.grantGlueRole(this.crawlerRole);

    this.crawler = new glue.CfnCrawler(this, 'Crawler', {
      role: this.crawlerRole.roleArn,
      description:
        'Records schema drift of processed/<dataset>/ in processed_<dataset> and catalogs inferred/ (files of no dataset) as processed_* tables (all-string columns, header from the custom classifier); not in the batch path',
      databaseName,
      tablePrefix: PROCESSED_TABLE_PREFIX,
      classifiers: [this.classifier.ref],
      targets: {
        s3Targets: [
          ...datasets.map((d) => ({ path: processedBucket.s3UrlForObject(datasetLayout(d).processedPrefix) })),
          // Files of no dataset, normalised by the Lambda with inferred columns (their rejected rows are JSON, not CSV).
          { path: processedBucket.s3UrlForObject(PREFIXES.inferred), exclusions: [INFERRED_REJECTS_EXCLUSION] },
        ],
      },
      configuration: JSON.stringify(CRAWLER_CONFIGURATION),
      schemaChangePolicy: { updateBehavior: 'UPDATE_IN_DATABASE', deleteBehavior: 'LOG' },
      // UPDATE_IN_DATABASE needs CRAWL_EVERYTHING (CRAWL_NEW_FOLDERS_ONLY requires LOG/LOG), and new columns must reach the table.
      recrawlPolicy: { recrawlBehavior: 'CRAWL_EVERYTHING' },
      crawlerSecurityConfiguration: encryption.glueSecurityConfiguration.securityConfigurationName,
      // Out of the per-batch path: the stack defines the tables and the jobs read processed files by path.
      schedule: { scheduleExpression: catalog.crawlerSchedule },
    });
    this.crawler.addResourceDependency(this.database);
    this.crawlerName = this.crawler.ref;

    for (const dataset of datasets) {
      const layout = datasetLayout(dataset);
      this.processedTables[dataset.name] = this.externalTable(`ProcessedTable-${dataset.name}`, {
        name: layout.processedTable,
        description: `${dataset.name}: valid rows the preprocessing Lambda wrote (CSV, every column text); the crawler adds drifted columns`,
        parameters: { classification: 'csv', EXTERNAL: 'TRUE', 'skip.header.line.count': '1', delimiter: ',' },
        columns: dataset.columns.map((c) => ({ name: c.name, type: 'string' })),
        location: processedBucket.s3UrlForObject(layout.processedPrefix),
        format: CSV_WITH_HEADER,
        serdeParameters: CSV_SERDE_PARAMETERS,
      });
      this.finalTables[dataset.name] = this.icebergTable(dataset, finalBucket.s3UrlForObject(layout.finalPrefix));
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

  /**
   * The dataset's final table as an Iceberg v2 table that CloudFormation creates (Glue writes its first metadata file
   * under `location`), so Athena, the named queries and QuickSight work before the first batch. CloudFormation takes
   * the Iceberg schema and partition spec (IcebergTableInput: Schema, PartitionSpec), so the table is partitioned as
   * `partitionBy` says from the start; the job still adds a partition field the table lacks (a table made before a
   * partitionBy change), and new columns, before its commit. The Hive StorageDescriptor repeats the columns for
   * tools that read only it.
   */
  private icebergTable(dataset: DatasetConfig, location: string): glue.CfnTable {
    const layout = datasetLayout(dataset);
    const schema = finalSchema(dataset);
    const table = new glue.CfnTable(this, `FinalTable-${dataset.name}`, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: layout.finalTable,
        description: `${dataset.name}: final data (Iceberg v2) merged by the Glue job`,
        tableType: 'EXTERNAL_TABLE',
        storageDescriptor: { columns: icebergColumns(schema).map((c) => ({ name: c.name, type: c.type })), location },
      },
      openTableFormatInput: {
        icebergInput: { metadataOperation: 'CREATE', version: ICEBERG_FORMAT_VERSION, icebergTableInput: icebergTableInput(schema, location) },
      },
    });
    table.addResourceDependency(this.database);
    return table;
  }

  /** A Hive EXTERNAL_TABLE of the pipeline database over the files at `spec.location`, created after the database. */
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
        storageDescriptor: {
          columns: spec.columns.map(nameAndType),
          location: spec.location,
          inputFormat: spec.format.inputFormat,
          outputFormat: spec.format.outputFormat,
          serdeInfo: { serializationLibrary: spec.format.serde, parameters: { 'serialization.format': '1', ...spec.serdeParameters } },
        },
      },
    });
    table.addResourceDependency(this.database);
    return table;
  }
}
