// Catalog: database, header-PRESENT classifier, one scheduled crawler configured against the CSV pitfalls, processed, final (Iceberg) and rejects tables.
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

  test('one crawler, one S3 target per dataset and one on inferred/ (its rejects excluded), grouping and partition inheritance, encrypted logs', () => {
    const crawlers = Object.values(resourcesOfType(built.template, 'AWS::Glue::Crawler'));
    expect(crawlers).toHaveLength(1);
    const c = crawlers[0].Properties;
    expect(c.Targets.S3Targets.map((t: { Path: unknown }) => flat(t.Path))).toEqual([
      ...built.config.datasets.map((d) => `s3://<${processedBucket}>/processed/${d.name}/`),
      `s3://<${processedBucket}>/inferred/`,
    ]);
    // Files of no dataset: their rejected rows (JSON Lines) would make a non-CSV table.
    expect(c.Targets.S3Targets.at(-1).Exclusions).toEqual(['rejects/**']);
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

  test('final tables: Iceberg v2 created by CloudFormation, schema with field ids and Iceberg types, copy-on-write, at final_output/<ds>/', () => {
    const tables = Object.values(resourcesOfType(built.template, 'AWS::Glue::Table')).map((t) => t.Properties);
    for (const dataset of built.config.datasets) {
      const table = tables.find((t) => t.TableInput.Name === dataset.name)!;
      const schema = finalSchema(dataset);
      const columns = schema.columns.concat(schema.partitionColumns);
      const location = `s3://<${finalBucket}>/final_output/${dataset.name}/`;
      expect(table.TableInput.TableType).toBe('EXTERNAL_TABLE');
      expect(table.TableInput.PartitionKeys).toBeUndefined();
      expect(table.TableInput.StorageDescriptor.Columns).toEqual(columns.map((c) => ({ Name: c.name, Type: c.type })));
      expect(flat(table.TableInput.StorageDescriptor.Location)).toBe(location);
      const iceberg = table.OpenTableFormatInput.IcebergInput;
      expect(iceberg.MetadataOperation).toBe('CREATE');
      expect(iceberg.Version).toBe('2');
      expect(flat(iceberg.IcebergTableInput.Location)).toBe(location);
      expect(iceberg.IcebergTableInput.Schema.Fields.map((f: { Id: number; Name: string }) => [f.Id, f.Name])).toEqual(columns.map((c, i) => [i + 1, c.name]));
      expect(iceberg.IcebergTableInput.Properties).toEqual({
        'write.delete.mode': 'copy-on-write',
        'write.update.mode': 'copy-on-write',
        'write.merge.mode': 'copy-on-write',
        'write.format.default': 'parquet',
      });
    }
    const orders = tables.find((t) => t.TableInput.Name === 'orders')!.OpenTableFormatInput.IcebergInput.IcebergTableInput;
    const typeOf = (name: string) => orders.Schema.Fields.find((f: { Name: string }) => f.Name === name).Type;
    // Spark's TimestampType is an Iceberg timestamptz: the table takes the job's rows as they are.
    expect([typeOf('order_id'), typeOf('ordered_at'), typeOf('paid'), typeOf('order_date'), typeOf('currency')]).toEqual([
      'long',
      'timestamptz',
      'boolean',
      'date',
      'string',
    ]);
    expect(orders.Schema.Fields.every((f: { Required: boolean }) => f.Required === false)).toBe(true);
  });

  test('the partition spec comes from partitionBy: identity and transforms, ids from 1000, each on its source field id', () => {
    const signups = resourcesOfType(built.template, 'AWS::Glue::Table')[logicalId(built, built.stack.catalog.finalTables.signups)].Properties;
    const input = signups.OpenTableFormatInput.IcebergInput.IcebergTableInput;
    const idOf = (name: string) => input.Schema.Fields.find((f: { Name: string }) => f.Name === name).Id;
    expect(input.PartitionSpec).toEqual({
      SpecId: 0,
      Fields: [{ FieldId: 1000, Name: 'signup_month', SourceId: idOf('signup_month'), Transform: 'identity' }],
    });

    const custom = synthPipeline({
      'cfg.datasets.1.transforms.partitionBy': ['day(ordered_at)', 'bucket(8, order_id)', 'truncate(2, currency)', 'order_month'],
    });
    const orders = resourcesOfType(custom.template, 'AWS::Glue::Table')[logicalId(custom, custom.stack.catalog.finalTables.orders)].Properties;
    const spec = orders.OpenTableFormatInput.IcebergInput.IcebergTableInput;
    const sourceOf = (name: string) => spec.Schema.Fields.find((f: { Name: string }) => f.Name === name).Id;
    expect(spec.PartitionSpec.Fields).toEqual([
      { FieldId: 1000, Name: 'ordered_at_day', SourceId: sourceOf('ordered_at'), Transform: 'day' },
      { FieldId: 1001, Name: 'order_id_bucket', SourceId: sourceOf('order_id'), Transform: 'bucket[8]' },
      { FieldId: 1002, Name: 'currency_trunc', SourceId: sourceOf('currency'), Transform: 'truncate[2]' },
      { FieldId: 1003, Name: 'order_month', SourceId: sourceOf('order_month'), Transform: 'identity' },
    ]);
    // Transform sources stay data columns; an identity partition column comes last, as every engine lists it.
    expect(spec.Schema.Fields.map((f: { Name: string }) => f.Name).slice(-1)).toEqual(['order_month']);
    const unpartitioned = synthPipeline({ 'cfg.datasets.1.transforms.partitionBy': [] });
    const plain = resourcesOfType(unpartitioned.template, 'AWS::Glue::Table')[logicalId(unpartitioned, unpartitioned.stack.catalog.finalTables.orders)];
    expect(plain.Properties.OpenTableFormatInput.IcebergInput.IcebergTableInput.PartitionSpec).toBeUndefined();
  });

  test('processed tables: processed_<ds> over processed/<ds>/, CSV with header as the crawler makes it, one string column per config column', () => {
    const tables = Object.values(resourcesOfType(built.template, 'AWS::Glue::Table')).map((t) => t.Properties.TableInput);
    for (const dataset of built.config.datasets) {
      const table = tables.find((t) => t.Name === `processed_${dataset.name}`);
      expect(table.StorageDescriptor.Columns).toEqual(dataset.columns.map((c) => ({ Name: c.name, Type: 'string' })));
      expect(table.StorageDescriptor.SerdeInfo).toEqual({
        SerializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
        Parameters: { 'serialization.format': '1', separatorChar: ',', quoteChar: '"' },
      });
      expect(table.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
      expect(table.Parameters).toEqual({ classification: 'csv', EXTERNAL: 'TRUE', 'skip.header.line.count': '1', delimiter: ',' });
      expect(flat(table.StorageDescriptor.Location)).toBe(`s3://<${processedBucket}>/processed/${dataset.name}/`);
    }
  });

  test('the crawler runs on catalog.crawlerSchedule (default weekly), for schema drift only', () => {
    const crawler = Object.values(resourcesOfType(built.template, 'AWS::Glue::Crawler'))[0].Properties;
    expect(crawler.Schedule).toEqual({ ScheduleExpression: 'cron(0 4 ? * SUN *)' });
    const custom = synthPipeline({ 'cfg.catalog.crawlerSchedule': 'cron(0 2 * * ? *)' });
    expect(Object.values(resourcesOfType(custom.template, 'AWS::Glue::Crawler'))[0].Properties.Schedule).toEqual({ ScheduleExpression: 'cron(0 2 * * ? *)' });
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

  test('crawler role: reads processed/<ds>/ and inferred/ only, manages only processed_* tables of its database, no wildcard action', () => {
    const statements = statementsOfRole(built, logicalId(built, built.stack.catalog.crawlerRole));
    for (const s of statements) for (const a of asArray(s.Action)) expect(a).not.toMatch(/\*/);
    const read = statements.find((s) => s.Sid === 'ReadProcessedData')!;
    expect(asArray(read.Resource).map(flat).sort()).toEqual(
      [...built.config.datasets.map((d) => `<${processedBucket}.Arn>/processed/${d.name}/*`), `<${processedBucket}.Arn>/inferred/*`].sort(),
    );
    const catalog = statements.find((s) => s.Sid === 'MaintainProcessedTables')!;
    const tableArns = asArray(catalog.Resource)
      .map(flat)
      .filter((r) => r.includes(':table/'));
    // The crawler names inferred/ tables after the files: processed_* of this database, nothing else.
    expect(tableArns.map((r) => r.split(':table/')[1])).toEqual(['csvpipeline_db/processed_*']);
    expect(JSON.stringify(statements)).not.toContain(finalBucket);
  });
});
