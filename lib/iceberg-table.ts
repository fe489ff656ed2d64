// How a dataset's final table is declared to CloudFormation as an Iceberg v2 table: schema, partition spec and properties from the config.
import type * as glue from 'aws-cdk-lib/aws-glue';
import { decimalParts, type FinalColumn, type FinalSchema } from '../config/layout';

/** Iceberg format version of the final tables (v2: row-level deletes, needed by MERGE). */
export const ICEBERG_FORMAT_VERSION = '2';

/**
 * Table properties of every final table: copy-on-write for DELETE, UPDATE and MERGE (readers, Athena included, never
 * merge delete files), Parquet data files. The job's MERGE relies on these (the contract with glue-scripts/).
 */
export const ICEBERG_TABLE_PROPERTIES: Readonly<Record<string, string>> = {
  'write.delete.mode': 'copy-on-write',
  'write.update.mode': 'copy-on-write',
  'write.merge.mode': 'copy-on-write',
  'write.format.default': 'parquet',
};

/** Iceberg partition field ids start here (Iceberg's own convention: PARTITION_DATA_ID_START). */
const FIRST_PARTITION_FIELD_ID = 1000;

/**
 * The Iceberg type of a final column. `timestamp` is `timestamptz`: Spark's TimestampType, which the job writes, is an
 * Iceberg timestamp with zone, so a table created here accepts the job's rows as they are (Athena reads both).
 */
export function icebergType(sqlType: string): string {
  const simple: Record<string, string> = {
    string: 'string',
    int: 'int',
    bigint: 'long',
    double: 'double',
    boolean: 'boolean',
    date: 'date',
    timestamp: 'timestamptz',
  };
  if (simple[sqlType]) return simple[sqlType];
  const decimal = decimalParts(sqlType);
  if (decimal) return `decimal(${decimal.precision},${decimal.scale})`;
  throw new Error(`No Iceberg type for the SQL type ${JSON.stringify(sqlType)}; add it to icebergType (lib/iceberg-table.ts).`);
}

/** The final table's columns in table order: data columns, then identity partition columns (as every engine lists them). */
export function icebergColumns(schema: FinalSchema): readonly FinalColumn[] {
  return schema.columns.concat(schema.partitionColumns);
}

/**
 * The IcebergTableInput of a final table: schema (field ids 1..n in table order, all optional), the partition spec
 * of `partitionBy` (ids from 1000, each naming its source's field id) and ICEBERG_TABLE_PROPERTIES.
 */
export function icebergTableInput(schema: FinalSchema, location: string): glue.CfnTable.IcebergTableInputProperty {
  const columns = icebergColumns(schema);
  const fieldId = new Map(columns.map((c, i) => [c.name, i + 1]));
  const partitionFields = schema.partitionSpec.map((p, i) => {
    const sourceId = fieldId.get(p.source);
    if (sourceId === undefined) {
      throw new Error(
        `partitionBy "${p.sql}" names "${p.source}", which is not a final column (${columns.map((c) => c.name).join(', ')}); load the config with loadPipelineConfig, which reports it.`,
      );
    }
    return { fieldId: FIRST_PARTITION_FIELD_ID + i, name: p.name, sourceId, transform: p.icebergTransform };
  });
  return {
    location,
    schema: {
      type: 'struct',
      schemaId: 0,
      fields: columns.map((c) => ({ id: fieldId.get(c.name)!, name: c.name, type: icebergType(c.type), required: false })),
    },
    ...(partitionFields.length ? { partitionSpec: { specId: 0, fields: partitionFields } } : {}),
    properties: { ...ICEBERG_TABLE_PROPERTIES },
  };
}

/** The Spark catalog name the job's Iceberg tables are addressed under (`glue_catalog.<database>.<table>`; job argument --iceberg_catalog). */
export const ICEBERG_CATALOG = 'glue_catalog';

/**
 * The Spark settings of the Iceberg catalog on AWS: Iceberg's SQL extensions (MERGE INTO, ALTER TABLE ... ADD PARTITION
 * FIELD), and ICEBERG_CATALOG as Iceberg's GlueCatalog with S3FileIO, tables under `warehouse`.
 */
export function icebergSparkConf(warehouse: string): Record<string, string> {
  const catalog = `spark.sql.catalog.${ICEBERG_CATALOG}`;
  return {
    'spark.sql.extensions': 'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
    [catalog]: 'org.apache.iceberg.spark.SparkCatalog',
    [`${catalog}.catalog-impl`]: 'org.apache.iceberg.aws.glue.GlueCatalog',
    [`${catalog}.io-impl`]: 'org.apache.iceberg.aws.s3.S3FileIO',
    [`${catalog}.warehouse`]: warehouse,
  };
}

/** Several Spark settings as the one value of Glue's `--conf` job argument: `k1=v1 --conf k2=v2 ...`, as Glue documents. */
export function glueConfArgument(conf: Record<string, string>): string {
  return Object.entries(conf)
    .map(([key, value]) => `${key}=${value}`)
    .join(' --conf ');
}
