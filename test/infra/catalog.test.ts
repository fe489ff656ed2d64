// Catalog: database, header-PRESENT classifier, one crawler configured against the CSV pitfalls, final and rejects tables.
import { finalSchema, REJECT_COLUMNS } from '../../config/layout';
import { asArray, type BuiltPipeline, flat, logicalId, resourcesOfType, statementsOfRole, synthPipeline } from './pipeline-fixture';

describe('Catalog', () => {
  let built: BuiltPipeline;
  let processedBucket: string;
  let finalBucket: string;
  beforeAll(() => {
    built = synthPipeline();
    processedBucket = logicalId(built, built.stack.storage.processedBucket);
    finalBucket = logicalId(built, built.stack.storage.finalBucket);
  });

  test('a database named after the stack', () => {
    built.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'csvpipeline_db' } });
  });

  test('a custom CSV classifier that declares the header and accepts single-column files', () => {
    // AllowSingleColumn: a dataset with one column would otherwise get no processed table.
    built.template.hasResourceProperties('AWS::Glue::Classifier', {
      CsvClassifier: { ContainsHeader: 'PRESENT', Delimiter: ',', QuoteSymbol: '"', AllowSingleColumn: true },
    });
  });

  test('one crawler, one S3 target per dataset, grouping and partition inheritance, encrypted logs', () => {
    const crawlers = Object.values(resourcesOfType(built.template, 'AWS::Glue::Crawler'));
    expect(crawlers).toHaveLength(1);
    const c = crawlers[0].Properties;
    expect(c.Targets.S3Targets.map((t: { Path: unknown }) => flat(t.Path))).toEqual(
      built.config.datasets.map((d) => `s3://<${processedBucket}>/processed/${d.name}/`),
    );
    expect(c.TablePrefix).toBe('processed_');
    expect(c.Classifiers).toEqual([{ Ref: logicalId(built, built.stack.catalog.classifier) }]);
    expect(JSON.parse(c.Configuration)).toEqual({
      Version: 1,
      Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
      CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
    });
    expect(c.SchemaChangePolicy).toEqual({ UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'LOG' });
    expect(c.RecrawlPolicy).toEqual({ RecrawlBehavior: 'CRAWL_EVERYTHING' });
    expect(c.CrawlerSecurityConfiguration).toEqual({ Ref: logicalId(built, built.stack.encryption.glueSecurityConfiguration) });
  });

  test('final tables: Parquet SerDe and formats, columns and partition keys from finalSchema, final_output location', () => {
    const tables = Object.values(resourcesOfType(built.template, 'AWS::Glue::Table')).map((t) => t.Properties.TableInput);
    for (const dataset of built.config.datasets) {
      const table = tables.find((t) => t.Name === dataset.name);
      const schema = finalSchema(dataset);
      expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
      expect(table.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
      expect(table.StorageDescriptor.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat');
      expect(table.StorageDescriptor.Columns).toEqual(schema.columns.map((c) => ({ Name: c.name, Type: c.type })));
      expect(table.PartitionKeys).toEqual(schema.partitionColumns.map((c) => ({ Name: c.name, Type: c.type })));
      expect(flat(table.StorageDescriptor.Location)).toBe(`s3://<${finalBucket}>/final_output/${dataset.name}/`);
    }
    const signups = tables.find((t) => t.Name === 'signups');
    expect(signups.PartitionKeys).toEqual([{ Name: 'signup_month', Type: 'string' }]);
    expect(signups.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual([
      'user_id',
      'full_name',
      'email',
      'signup_date',
      'status',
      'source_file',
      'ingested_at',
    ]);
  });

  test('rejects tables: the Hive JSON SerDe over the JSON Lines files of quarantine/<ds>/rows/, stored as text, no header to skip', () => {
    const tables = Object.values(resourcesOfType(built.template, 'AWS::Glue::Table')).map((t) => t.Properties.TableInput);
    for (const dataset of built.config.datasets) {
      const table = tables.find((t) => t.Name === `${dataset.name}_rejects`);
      expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hive.hcatalog.data.JsonSerDe');
      expect(table.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
      expect(table.StorageDescriptor.OutputFormat).toBe('org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat');
      expect(table.Parameters).toEqual({ classification: 'json', EXTERNAL: 'TRUE' });
      expect(table.TableType).toBe('EXTERNAL_TABLE');
      expect(table.StorageDescriptor.Columns).toEqual(REJECT_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })));
      expect(flat(table.StorageDescriptor.Location)).toBe(`s3://<${processedBucket}>/quarantine/${dataset.name}/rows/`);
    }
  });

  test('crawler role: reads processed/<ds>/ only, manages only processed_<ds> tables, no wildcard action', () => {
    const statements = statementsOfRole(built, logicalId(built, built.stack.catalog.crawlerRole));
    for (const s of statements) for (const a of asArray(s.Action)) expect(a).not.toMatch(/\*/);
    const read = statements.find((s) => s.Sid === 'ReadProcessedData')!;
    expect(asArray(read.Resource).map(flat).sort()).toEqual(built.config.datasets.map((d) => `<${processedBucket}.Arn>/processed/${d.name}/*`).sort());
    const catalog = statements.find((s) => s.Sid === 'MaintainProcessedTables')!;
    const tableArns = asArray(catalog.Resource)
      .map(flat)
      .filter((r) => r.includes(':table/'));
    expect(tableArns.map((r) => r.split(':table/')[1]).sort()).toEqual(built.config.datasets.map((d) => `csvpipeline_db/processed_${d.name}`).sort());
    expect(JSON.stringify(statements)).not.toContain(finalBucket);
  });
});
