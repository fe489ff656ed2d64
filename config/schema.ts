// The pipeline config's schema: the single place where every setting and every default is defined.
import { z } from 'zod';
import { PARTITION_FIELD_PATTERN, PARTITION_SYNTAX_MESSAGE, parsePartitionField } from './partition';
import { DECIMAL_DEFAULT, DECIMAL_MAX_PRECISION, type DecimalSqlType, readDecimalType } from './decimal';
import { patternProblem } from './pattern';

/** Column types a dataset can declare; the Lambda validates them and the Glue job casts to them. */
export const COLUMN_TYPES = ['string', 'integer', 'decimal', 'boolean', 'date', 'timestamp', 'email', 'enum'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** SQL types a transform may cast to (valid in Spark SQL, DuckDB and Athena alike); also `decimal(p,s)` (CastTypeSchema). */
export const CAST_TYPES = ['string', 'int', 'bigint', 'double', 'boolean', 'date', 'timestamp'] as const;

/** A type to cast to as the config writes it: a CAST_TYPES name or `decimal(p,s)`. */
export type CastType = (typeof CAST_TYPES)[number] | DecimalSqlType;

const CAST_TYPE_MESSAGE = `must be one of ${CAST_TYPES.map((t) => JSON.stringify(t)).join(', ')} or "decimal(precision,scale)" in lower case without spaces, e.g. "decimal(18,2)"`;

/**
 * A type to cast to: one of CAST_TYPES, or an exact decimal written `decimal(precision,scale)` in lower case without
 * spaces (the spelling Spark, Glue and Athena print), e.g. "decimal(18,2)". (A string schema typed as CastType, so
 * that the JSON Schema keeps its pattern and defaults.)
 */
const CastTypeSchema = z
  .string()
  .regex(new RegExp(`^(${CAST_TYPES.join('|')}|decimal\\(\\d{1,2},\\d{1,2}\\))$`), CAST_TYPE_MESSAGE)
  .superRefine((text, ctx) => {
    const read = readDecimalType(text);
    if (read && 'problem' in read) ctx.addIssue({ code: 'custom', message: read.problem, input: text });
  }) as unknown as z.ZodType<CastType, string>;

/** Lower-case names that are valid Glue, Athena, Spark and DuckDB identifiers without quoting. */
const IDENTIFIER = /^[a-z][a-z0-9_]{0,127}$/;
const identifier = z.string().regex(IDENTIFIER, 'must be lower case letters, digits and "_", starting with a letter (a Glue/Athena column name)');

/** Date tokens accepted in `formats`: YYYY, MM, DD, HH, mm, ss, SSS and literal separators. */
const DATE_FORMAT = /^(YYYY|MM|DD|HH|mm|ss|SSS|[-/.: T])+$/;

/** An EventBridge (and Glue) schedule: cron(Minutes Hours Day-of-month Month Day-of-week Year), exactly one day field "?". */
export function isAwsCron(expression: string): boolean {
  const match = /^cron\(([^()]+)\)$/.exec(expression.trim());
  if (!match) return false;
  const fields = match[1].trim().split(/\s+/);
  if (fields.length !== 6 || fields.some((f) => !/^[0-9A-Za-z*?,/#L W-]+$/.test(f))) return false;
  return (fields[2] === '?') !== (fields[4] === '?');
}

const DECIMAL_PRECISION_MESSAGE = `must be a whole number from 1 to ${DECIMAL_MAX_PRECISION} (the digits a DECIMAL holds in Spark, DuckDB, Parquet and Athena), e.g. 18`;
const DECIMAL_SCALE_MESSAGE = 'must be a whole number from 0 to the precision (the digits after the point), e.g. 2';

export const ColumnSchema = z
  .object({
    /** Name of the column in processed and final data. */
    name: identifier,
    type: z.enum(COLUMN_TYPES),
    /** An empty cell rejects the row. */
    required: z.boolean().default(false),
    /** Other header spellings accepted in raw files (compared case- and space-insensitively). */
    aliases: z.array(z.string().min(1)).default([]),
    /** A regular expression (RE2 syntax, matched in linear time) the cleaned value must match in full. */
    pattern: z
      .string()
      .superRefine((source, ctx) => {
        const problem = patternProblem(source);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: source });
      })
      .optional(),
    /** Allowed values; required for type "enum" (compared case-insensitively, written as listed). */
    values: z.array(z.string().min(1)).min(1).optional(),
    /** Accepted input formats for date and timestamp columns, tried in order. */
    formats: z.array(z.string().regex(DATE_FORMAT, 'must use the tokens YYYY MM DD HH mm ss SSS and the separators - / . : T or space')).min(1).optional(),
    /** Longest accepted value, in characters. */
    maxLength: z.number().int().positive().optional(),
    /**
     * Decimal columns only: the digits the exact DECIMAL(precision, scale) holds, 1-38 (Spark, DuckDB, Parquet and
     * Athena's limit). A value with more digits before the point than precision - scale is rejected by the Lambda.
     * @default 18 (with scale 2: see DECIMAL_DEFAULT in config/decimal.ts for why)
     */
    precision: z.number().int().min(1, DECIMAL_PRECISION_MESSAGE).max(DECIMAL_MAX_PRECISION, DECIMAL_PRECISION_MESSAGE).optional(),
    /**
     * Decimal columns only: the digits after the point, 0 to precision. A value with more is rejected (never
     * rounded): round it in the source, or raise the scale.
     * @default 2
     */
    scale: z.number().int().min(0, DECIMAL_SCALE_MESSAGE).max(DECIMAL_MAX_PRECISION, DECIMAL_SCALE_MESSAGE).optional(),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.type !== 'decimal') {
      for (const key of ['precision', 'scale'] as const) {
        if (c[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            input: c[key],
            message: `only applies to decimal columns; "${c.name}" is ${c.type}: remove it or make the column a decimal`,
          });
        }
      }
      return;
    }
    const precision = c.precision ?? DECIMAL_DEFAULT.precision;
    if (c.scale !== undefined && c.scale > precision) {
      ctx.addIssue({
        code: 'custom',
        path: ['scale'],
        input: c.scale,
        message: `is more than the precision (${precision}${c.precision === undefined ? ', the default' : ''}): the scale counts the digits after the point among the precision's; lower the scale or raise "precision"`,
      });
    }
    if (c.precision !== undefined && c.scale === undefined && DECIMAL_DEFAULT.scale > c.precision) {
      ctx.addIssue({
        code: 'custom',
        path: ['scale'],
        message: `is required when precision (${c.precision}) is under the default scale ${DECIMAL_DEFAULT.scale}: set "scale" from 0 to ${c.precision}`,
      });
    }
  })
  // A decimal column always carries its precision and scale once loaded: the Lambda, the plan and the catalog read them.
  .transform((c) => (c.type === 'decimal' ? { ...c, precision: c.precision ?? DECIMAL_DEFAULT.precision, scale: c.scale ?? DECIMAL_DEFAULT.scale } : c));

export const DerivedColumnSchema = z
  .object({
    name: identifier,
    /** An expression (glue-scripts/TRANSFORMS.md, "Expressions"; parsed and typed by config/expression) over the renamed and earlier derived columns. */
    expr: z.string().min(1),
    /** The type the expression's result is cast to: one of CAST_TYPES, or "decimal(precision,scale)". */
    type: CastTypeSchema.default('string'),
  })
  .strict();

export const TransformsSchema = z
  .object({
    /** Column renames, applied after the casts: { "old_name": "new_name" }. */
    rename: z.record(z.string(), identifier).default({}),
    /** Extra casts over the config's own types: { "column": "double" } or { "price": "decimal(12,4)" }. */
    cast: z.record(z.string(), CastTypeSchema).default({}),
    /** Derived columns, computed after the renames. */
    derive: z.array(DerivedColumnSchema).default([]),
    /** A boolean expression (glue-scripts/TRANSFORMS.md, "Expressions"); rows for which it is not true are dropped. */
    filter: z.string().min(1).optional(),
    /** Columns of the final table, in order; all columns when absent. */
    select: z.array(identifier).min(1).optional(),
    /**
     * Partition fields of the final Iceberg table, in order: a final column (identity partition) or an Iceberg
     * transform of one: year(col), month(col), day(col) (date or timestamp), hour(col) (timestamp), bucket(N, col),
     * truncate(N, col) (string, int, bigint, decimal). E.g. ["month(signup_date)", "country"]. Checked against the
     * final columns when the config is loaded (config/partition.ts).
     */
    partitionBy: z
      .array(
        z
          .string()
          .regex(PARTITION_FIELD_PATTERN, PARTITION_SYNTAX_MESSAGE)
          .refine((text) => !PARTITION_FIELD_PATTERN.test(text) || parsePartitionField(text) !== undefined, {
            message: 'has N out of range: bucket(N, col) and truncate(N, col) take N from 1 to 2147483647',
          }),
      )
      .default([]),
  })
  .strict();

export const NamedQuerySchema = z
  .object({
    name: identifier,
    description: z.string().default(''),
    /** SQL with placeholders {{database}}, {{table}} (final data) and {{rejects_table}} (rejected rows). */
    sql: z.string().min(1),
  })
  .strict();

export const AGGREGATES = ['count', 'count_distinct', 'sum', 'avg'] as const;
export const DATE_GRANULARITIES = ['DAY', 'WEEK', 'MONTH'] as const;

const measure = {
  /** How rows are aggregated. */
  aggregate: z.enum(AGGREGATES).default('count'),
  /** The aggregated column; required for all aggregates but count. */
  column: identifier.optional(),
};

export const KpiSchema = z
  .object({
    id: identifier,
    title: z.string().min(1),
    ...measure,
    /** Also show the change against the previous period of the dashboard's date column. */
    compareToPreviousPeriod: z.boolean().default(true),
    /** The period the KPI shows and compares with the one before it (when compareToPreviousPeriod). */
    period: z.enum(DATE_GRANULARITIES).default('MONTH'),
  })
  .strict();

export const ChartSchema = z
  .object({
    id: identifier,
    title: z.string().min(1),
    type: z.enum(['line', 'bar', 'pie']),
    /** "final": the dataset's final table; "rejects": its rejected rows. */
    source: z.enum(['final', 'rejects']).default('final'),
    /** A date column for time series (line charts), aggregated by `granularity`. */
    time: identifier.optional(),
    granularity: z.enum(DATE_GRANULARITIES).default('DAY'),
    /** A category column for breakdowns (bar and pie charts). */
    category: identifier.optional(),
    ...measure,
  })
  .strict();

export const DashboardSchema = z
  .object({
    title: z.string().min(1),
    /** The final table's date column that KPI periods and time charts use. */
    dateColumn: identifier.optional(),
    kpis: z.array(KpiSchema).default([]),
    charts: z.array(ChartSchema).default([]),
  })
  .strict();

export const DatasetSchema = z
  .object({
    /** Dataset name: the table name and the folder under processed/, quarantine/ and final_output/. */
    name: identifier,
    description: z.string().default(''),
    /** Prefix in the raw bucket whose .csv objects belong to this dataset; defaults to raw/<name>/. */
    rawPrefix: z
      .string()
      .regex(/^([A-Za-z0-9_.-]+\/)+$/, 'must be folder names separated and ended by "/", e.g. "raw/signups/"')
      .optional(),
    columns: z.array(ColumnSchema).min(1),
    /** Columns that identify a row: duplicates within a file are rejected, the Glue job keeps the latest. */
    key: z.array(identifier).default([]),
    /** Columns not in `columns` are rejected as a file ("reject") or dropped with a note in the report ("drop"). */
    extraColumns: z.enum(['reject', 'drop', 'keep']).default('reject'),
    /**
     * Whether the dataset's files have a header row. "auto": found by content (text where the rows are typed, or the
     * dataset's column names), past preamble lines; a file whose first row looks like data is quarantined
     * (HEADER_MISMATCH). "present": the first row after the preamble is the header. "absent": no header, the fields
     * are the dataset's columns in config order (mapped by position).
     * @default "auto"
     */
    header: z.enum(['auto', 'present', 'absent']).default('auto'),
    transforms: TransformsSchema.default(TransformsSchema.parse({})),
    queries: z.array(NamedQuerySchema).default([]),
    dashboard: DashboardSchema.optional(),
  })
  .strict();

export const IngestSchema = z
  .object({
    /** Files over this size go whole to quarantine. */
    maxFileSizeMb: z.number().int().positive().max(10240).default(2048),
    /** Prefix cells starting with = + - @ tab or CR with a quote so spreadsheets do not run them. */
    neutraliseFormulas: z.boolean().default(true),
    memoryMb: z.number().int().min(128).max(10240).default(1024),
    timeoutSeconds: z.number().int().min(10).max(900).default(900),
    /** Retries of a failed invocation before the event goes to the dead-letter queue (0-2). */
    retryAttempts: z.number().int().min(0).max(2).default(2),
  })
  .strict();

export const StorageSchema = z
  .object({
    /** Days after which raw objects expire; kept forever when absent. */
    rawExpirationDays: z.number().int().positive().optional(),
    /** Days after which processed objects move to S3 Infrequent Access. */
    processedInfrequentAccessDays: z.number().int().min(30).default(30),
    /** Days after which quarantined rows and files expire. */
    quarantineExpirationDays: z.number().int().positive().default(90),
    /** Days after which non-current versions of raw objects expire. */
    noncurrentVersionExpirationDays: z.number().int().positive().default(30),
    /** Days after which server access logs expire. */
    accessLogExpirationDays: z.number().int().positive().default(365),
  })
  .strict();

export const TransformJobSchema = z
  .object({
    glueVersion: z.enum(['5.0', '5.1']).default('5.0'),
    workerType: z.enum(['G.1X', 'G.2X']).default('G.1X'),
    /** Workers of the Glue job (2 is Glue's minimum; see the README's sizing table). */
    workers: z.number().int().min(2).max(100).default(2),
    /**
     * Glue execution class of the dataset jobs. FLEX (the default) runs on spare capacity at about a third less per
     * DPU-hour than STANDARD, but may wait longer to start; the pipeline is a batch pipeline already (events wait up
     * to `batchWindowSeconds` to form a batch), and a Flex run that is interrupted leaves the Iceberg table as it
     * was (one commit per run) for the next run to redo. Choose STANDARD when a dashboard must be fresh within minutes
     * of an upload.
     * @default "FLEX"
     */
    executionClass: z.enum(['STANDARD', 'FLEX']).default('FLEX'),
    timeoutMinutes: z.number().int().positive().max(2880).default(60),
    /** Raw-to-final runs wait for this many new processed files ... */
    batchSize: z.number().int().min(1).max(100).default(20),
    /** ... or this many seconds after the first one, whichever comes first. */
    batchWindowSeconds: z.number().int().min(1).max(900).default(300),
    /**
     * An EventBridge schedule (UTC cron) that also starts the workflow, because Glue does not guarantee that
     * EventBridge events reach it: a lost event delays data by at most this period. Default: daily at 03:00 UTC.
     */
    backstopSchedule: z
      .string()
      .refine(isAwsCron, {
        message:
          'must be a cron expression (EventBridge and Glue format) with six fields (minutes hours day-of-month month day-of-week year), one of the two day fields "?", e.g. "cron(0 3 * * ? *)" for daily at 03:00 UTC',
      })
      .default('cron(0 3 * * ? *)'),
  })
  .strict();

export const CatalogSchema = z
  .object({
    /**
     * When the crawler runs (UTC cron, EventBridge and Glue format). It is out of the per-batch path (the stack
     * defines the processed and final tables, the jobs read processed files by path): it only records schema drift
     * of processed/<dataset>/ (columns kept by extraColumns "keep"). Default: weekly, Sunday 04:00 UTC.
     */
    crawlerSchedule: z
      .string()
      .refine(isAwsCron, {
        message:
          'must be a cron expression (EventBridge and Glue format) with six fields (minutes hours day-of-month month day-of-week year), one of the two day fields "?", e.g. "cron(0 4 ? * SUN *)" for Sundays at 04:00 UTC',
      })
      .default('cron(0 4 ? * SUN *)'),
    /**
     * Days the final tables keep Iceberg snapshots (time travel and rollback of a bad load); the retention optimizer
     * expires older ones and deletes the files only they referenced. Default 7: a week to notice a bad load.
     */
    snapshotRetentionDays: z.number().int().min(1).max(3650).default(7),
    /** Days a file under a final table's location that no snapshot references is kept before the orphan-file optimizer deletes it (Glue's default: 3). */
    orphanFileRetentionDays: z.number().int().min(1).max(3650).default(3),
  })
  .strict();

export const AthenaSchema = z
  .object({
    /** Queries that would scan more than this are cancelled. */
    bytesScannedCutoffMb: z.number().int().min(10).default(1024),
  })
  .strict();

/** Retention periods CloudWatch Logs accepts, in days (9999: never expire); test/config checks them against aws-cdk-lib's logs.RetentionDays. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 9999,
];

export const MonitoringSchema = z
  .object({
    /** An address subscribed to the alarm topic (it must confirm the subscription). */
    alarmEmail: z.email().optional(),
    /** Days CloudWatch Logs keeps the Lambda's and the Glue jobs' logs: one of LOG_RETENTION_DAYS. */
    logRetentionDays: z
      .number()
      .int()
      .positive()
      .refine((days) => LOG_RETENTION_DAYS.includes(days), {
        message: `is not a retention CloudWatch Logs accepts; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
  })
  .strict();

export const QuickSightSchema = z
  .object({
    enabled: z.boolean().default(false),
    /**
     * The QuickSight user or group that gets the data source, data sets and dashboards. Its ARN names the QuickSight
     * identity region (where the account's QuickSight users live), which may differ from the deploy region.
     */
    principalArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:\d{12}:(user|group)\/[^/]+\/.+$/,
        'must be a QuickSight user or group ARN, e.g. arn:aws:quicksight:us-east-1:123456789012:user/default/alice',
      )
      .optional(),
  })
  .strict();

export const LakeFormationSchema = z
  .object({
    /**
     * Set when Lake Formation governs the account's Data Catalog: the stack then grants Lake Formation permissions on
     * its database and tables to the deploying role, the crawler, the jobs, QuickSight and `athenaPrincipalArns`.
     */
    enabled: z.boolean().default(false),
    /** IAM users or roles that query the final and rejects tables in Athena (SELECT and DESCRIBE on them). */
    athenaPrincipalArns: z
      .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/.+$/, 'must be an IAM user or role ARN, e.g. arn:aws:iam::123456789012:role/analyst'))
      .default([]),
  })
  .strict();

export const PipelineConfigSchema = z
  .object({
    $schema: z.string().optional(),
    datasets: z.array(DatasetSchema).min(1),
    ingest: IngestSchema.default(IngestSchema.parse({})),
    storage: StorageSchema.default(StorageSchema.parse({})),
    transform: TransformJobSchema.default(TransformJobSchema.parse({})),
    catalog: CatalogSchema.default(CatalogSchema.parse({})),
    athena: AthenaSchema.default(AthenaSchema.parse({})),
    monitoring: MonitoringSchema.default(MonitoringSchema.parse({})),
    quicksight: QuickSightSchema.default(QuickSightSchema.parse({})),
    lakeFormation: LakeFormationSchema.default(LakeFormationSchema.parse({})),
  })
  .strict();

export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;
export type PipelineConfig = z.output<typeof PipelineConfigSchema>;
export type DatasetConfig = z.output<typeof DatasetSchema>;
export type ColumnConfig = z.output<typeof ColumnSchema>;
export type TransformsConfig = z.output<typeof TransformsSchema>;
export type NamedQueryConfig = z.output<typeof NamedQuerySchema>;
export type DashboardConfig = z.output<typeof DashboardSchema>;
export type KpiConfig = z.output<typeof KpiSchema>;
export type ChartConfig = z.output<typeof ChartSchema>;
export type IngestConfig = z.output<typeof IngestSchema>;
export type StorageConfig = z.output<typeof StorageSchema>;
export type TransformJobConfig = z.output<typeof TransformJobSchema>;
export type CatalogConfig = z.output<typeof CatalogSchema>;
export type AthenaConfig = z.output<typeof AthenaSchema>;
export type MonitoringConfig = z.output<typeof MonitoringSchema>;
export type QuickSightConfig = z.output<typeof QuickSightSchema>;
export type LakeFormationConfig = z.output<typeof LakeFormationSchema>;
