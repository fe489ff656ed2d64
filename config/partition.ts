// Iceberg partition fields of `transforms.partitionBy`: one parser and one set of rules for the config check, the stack's table definition and the job spec.

/** Iceberg partition transforms `partitionBy` accepts (identity is a bare column name). */
export const PARTITION_TRANSFORMS = ['identity', 'year', 'month', 'day', 'hour', 'bucket', 'truncate'] as const;
export type PartitionTransform = (typeof PARTITION_TRANSFORMS)[number];

/** One partition field, parsed from a `partitionBy` entry. */
export interface PartitionField {
  /** The final column it is computed from. */
  readonly source: string;
  readonly transform: PartitionTransform;
  /** Number of buckets (bucket) or width (truncate); absent for the other transforms. */
  readonly param?: number;
  /** Spark SQL form for PARTITIONED BY and ADD PARTITION FIELD: `c`, `month(c)`, `bucket(16, c)`. */
  readonly sql: string;
  /** The transform as Iceberg table metadata spells it: `identity`, `month`, `bucket[16]`, `truncate[4]`. */
  readonly icebergTransform: string;
  /** The field's name as Iceberg's CREATE TABLE names it: `c`, `c_year`, `c_month`, `c_day`, `c_hour`, `c_bucket`, `c_trunc`. */
  readonly name: string;
}

/** Why an entry cannot be read, and what is accepted (one message for the schema check and the parser). */
export const PARTITION_SYNTAX_MESSAGE =
  'must be a final column name (identity partition) or an Iceberg transform of one: year(col), month(col), day(col), hour(col), bucket(N, col) or truncate(N, col), with N a positive whole number, e.g. "month(signup_date)" or "bucket(16, user_id)"';

const COLUMN = '[a-z][a-z0-9_]{0,127}';
const IDENTITY = new RegExp(`^\\s*(${COLUMN})\\s*$`);
const DATE_TRANSFORM = new RegExp(`^\\s*(year|month|day|hour)\\s*\\(\\s*(${COLUMN})\\s*\\)\\s*$`);
const PARAM_TRANSFORM = new RegExp(`^\\s*(bucket|truncate)\\s*\\(\\s*([0-9]{1,10})\\s*,\\s*(${COLUMN})\\s*\\)\\s*$`);
/** Every accepted form in one pattern (for the config's JSON Schema, so editors flag a typo); parsePartitionField also checks N's range. */
export const PARTITION_FIELD_PATTERN = new RegExp(
  `^\\s*(${COLUMN}|(year|month|day|hour)\\s*\\(\\s*${COLUMN}\\s*\\)|(bucket|truncate)\\s*\\(\\s*[0-9]{1,10}\\s*,\\s*${COLUMN}\\s*\\))\\s*$`,
);
/** Largest N: Iceberg stores the bucket count and truncate width as a Java int. */
const MAX_PARAM = 2_147_483_647;

const NAME_SUFFIX: Record<PartitionTransform, string> = {
  identity: '',
  year: '_year',
  month: '_month',
  day: '_day',
  hour: '_hour',
  bucket: '_bucket',
  truncate: '_trunc',
};

function field(source: string, transform: PartitionTransform, param?: number): PartitionField {
  const sql = transform === 'identity' ? source : param === undefined ? `${transform}(${source})` : `${transform}(${param}, ${source})`;
  const icebergTransform = param === undefined ? transform : `${transform}[${param}]`;
  return { source, transform, ...(param === undefined ? {} : { param }), sql, icebergTransform, name: `${source}${NAME_SUFFIX[transform]}` };
}

/** Parses one `partitionBy` entry; undefined when it is not one of the accepted forms (see PARTITION_SYNTAX_MESSAGE). */
export function parsePartitionField(text: string): PartitionField | undefined {
  const identity = IDENTITY.exec(text);
  if (identity) return field(identity[1], 'identity');
  const date = DATE_TRANSFORM.exec(text);
  if (date) return field(date[2], date[1] as PartitionTransform);
  const withParam = PARAM_TRANSFORM.exec(text);
  if (withParam) {
    const param = Number(withParam[2]);
    if (param < 1 || param > MAX_PARAM) return undefined;
    return field(withParam[3], withParam[1] as PartitionTransform, param);
  }
  return undefined;
}

/** The parsed fields of a `partitionBy` list, in order; entries that do not parse are left out (the config check reports them). */
export function partitionFields(partitionBy: readonly string[]): PartitionField[] {
  return partitionBy.flatMap((text) => parsePartitionField(text) ?? []);
}

/** Which column types each transform takes (Iceberg's partition transforms spec, restricted to the pipeline's types). */
const SOURCE_TYPES: Record<Exclude<PartitionTransform, 'identity'>, { readonly ok: (type: string) => boolean; readonly accepted: string }> = {
  year: { ok: (t) => t === 'date' || t === 'timestamp', accepted: 'a date or timestamp column' },
  month: { ok: (t) => t === 'date' || t === 'timestamp', accepted: 'a date or timestamp column' },
  day: { ok: (t) => t === 'date' || t === 'timestamp', accepted: 'a date or timestamp column' },
  hour: { ok: (t) => t === 'timestamp', accepted: 'a timestamp column' },
  // Iceberg buckets no float, double or boolean.
  bucket: { ok: (t) => !['double', 'float', 'boolean'].includes(t), accepted: 'a string, int, bigint, decimal, date or timestamp column' },
  truncate: { ok: (t) => ['string', 'int', 'bigint'].includes(t) || t.startsWith('decimal'), accepted: 'a string, int, bigint or decimal column' },
};

/**
 * What is wrong with each `partitionBy` entry against the final columns (name -> SQL type), as
 * { index, message } pairs; empty when every entry is a valid, distinct Iceberg partition field.
 */
export function partitionProblems(partitionBy: readonly string[], finalColumns: ReadonlyMap<string, string>): { index: number; message: string }[] {
  const problems: { index: number; message: string }[] = [];
  const seen = new Map<string, number>();
  const known = [...finalColumns.keys()].join(', ');
  partitionBy.forEach((text, index) => {
    const parsed = parsePartitionField(text);
    const type = parsed && finalColumns.get(parsed.source);
    if (!parsed) problems.push({ index, message: PARTITION_SYNTAX_MESSAGE });
    else if (type === undefined) {
      const what = parsed.transform === 'identity' ? 'is not a final column' : `${parsed.transform}() of "${parsed.source}", which is not a final column`;
      problems.push({ index, message: `${what}; known columns: ${known}` });
    } else checkField(parsed, type, index);
  });
  return problems;

  function checkField(parsed: PartitionField, type: string, index: number): void {
    if (parsed.transform !== 'identity') {
      const rule = SOURCE_TYPES[parsed.transform];
      if (!rule.ok(type))
        problems.push({
          index,
          message: `${parsed.transform}() needs ${rule.accepted}; "${parsed.source}" is ${type}: partition by another column or transform`,
        });
      if (finalColumns.has(parsed.name))
        problems.push({
          index,
          message: `makes the partition field "${parsed.name}", which is already a column name (Iceberg refuses the clash); rename that column or partition differently`,
        });
    }
    // Iceberg refuses two time transforms of one column (year and month of d are redundant).
    const timeKey = ['year', 'month', 'day', 'hour'].includes(parsed.transform) ? `time:${parsed.source}` : undefined;
    const earlierTime = timeKey === undefined ? undefined : seen.get(timeKey);
    if (timeKey !== undefined && earlierTime !== undefined)
      problems.push({
        index,
        message: `is a second time transform of "${parsed.source}" (see partitionBy[${earlierTime}]); Iceberg allows one of year, month, day, hour per column`,
      });
    else if (timeKey !== undefined) seen.set(timeKey, index);
    const earlier = seen.get(parsed.name);
    if (earlier !== undefined)
      problems.push({ index, message: `repeats partitionBy[${earlier}] (both make the partition field "${parsed.name}"); list each field once` });
    else seen.set(parsed.name, index);
  }
}
