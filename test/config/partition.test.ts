// partitionBy as Iceberg partition fields: the accepted forms, what each becomes (Spark SQL, Iceberg transform, field name), and the load-time checks with their messages.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parsePipelineConfig } from '../../config/parse';
import { finalSchema } from '../../config/layout';
import { parsePartitionField, partitionProblems } from '../../config/partition';

const REPO = path.join(__dirname, '..', '..');
const base = () => JSON.parse(fs.readFileSync(path.join(REPO, 'pipeline.config.json'), 'utf8'));
/** The shipped config with orders' partitionBy replaced; the loader's message when it is refused. */
function ordersPartitionedBy(partitionBy: unknown[]): { schema?: ReturnType<typeof finalSchema>; error?: string } {
  const raw = base();
  raw.datasets[1].transforms.partitionBy = partitionBy;
  try {
    return { schema: finalSchema(parsePipelineConfig(raw).datasets[1]) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('partitionBy', () => {
  test.each([
    ['country', { source: 'country', transform: 'identity', sql: 'country', icebergTransform: 'identity', name: 'country' }],
    ['month(signup_date)', { source: 'signup_date', transform: 'month', sql: 'month(signup_date)', icebergTransform: 'month', name: 'signup_date_month' }],
    [' year( d ) ', { source: 'd', transform: 'year', sql: 'year(d)', icebergTransform: 'year', name: 'd_year' }],
    ['hour(at)', { source: 'at', transform: 'hour', sql: 'hour(at)', icebergTransform: 'hour', name: 'at_hour' }],
    [
      'bucket(16,user_id)',
      { source: 'user_id', transform: 'bucket', param: 16, sql: 'bucket(16, user_id)', icebergTransform: 'bucket[16]', name: 'user_id_bucket' },
    ],
    ['truncate( 3 , code)', { source: 'code', transform: 'truncate', param: 3, sql: 'truncate(3, code)', icebergTransform: 'truncate[3]', name: 'code_trunc' }],
  ])('%j parses to its Spark SQL, Iceberg transform and field name', (text, expected) => {
    expect(parsePartitionField(text)).toEqual(expected);
  });

  test.each(['Month(d)', 'month(d, 2)', 'bucket(0, id)', 'bucket(id)', 'truncate(-1, s)', 'week(d)', 'd + 1', '', 'bucket(99999999999, id)'])(
    '%j is refused',
    (text) => {
      expect(parsePartitionField(text)).toBeUndefined();
    },
  );

  test('the loader refuses an unreadable entry with the accepted forms', () => {
    expect(ordersPartitionedBy(['week(ordered_at)']).error).toMatch(
      /datasets\[1\]\.transforms\.partitionBy\[0\]: must be a final column name \(identity partition\) or an Iceberg transform of one: year\(col\), .*bucket\(N, col\).* \(got "week\(ordered_at\)"\)/,
    );
  });

  test('each check names the entry, what is wrong and the value', () => {
    const { error } = ordersPartitionedBy([
      'month(currency)',
      'hour(order_date)',
      'bucket(4, paid)',
      'truncate(2, ordered_at)',
      'day(nope)',
      'order_month',
      'order_month',
    ]);
    expect(error).toContain('partitionBy[0]: month() needs a date or timestamp column; "currency" is string');
    expect(error).toContain('partitionBy[1]: hour() needs a timestamp column; "order_date" is date');
    expect(error).toContain('partitionBy[2]: bucket() needs a string, int, bigint, decimal, date or timestamp column; "paid" is boolean');
    expect(error).toContain('partitionBy[3]: truncate() needs a string, int, bigint or decimal column; "ordered_at" is timestamp');
    expect(error).toMatch(/partitionBy\[4\]: day\(\) of "nope", which is not a final column; known columns: order_id, .* \(got "day\(nope\)"\)/);
    expect(error).toContain('partitionBy[6]: repeats partitionBy[5] (both make the partition field "order_month")');
  });

  test('Iceberg refuses two time transforms of one column, and a field name that is already a column', () => {
    expect(ordersPartitionedBy(['day(ordered_at)', 'month(ordered_at)']).error).toContain(
      'partitionBy[1]: is a second time transform of "ordered_at" (see partitionBy[0]); Iceberg allows one of year, month, day, hour per column',
    );
    const raw = base();
    raw.datasets[1].transforms.derive.push({ name: 'ordered_at_day', expr: 'cast(ordered_at as date)', type: 'date' });
    raw.datasets[1].transforms.partitionBy = ['day(ordered_at)'];
    expect(() => parsePipelineConfig(raw)).toThrow(/partitionBy\[0\]: makes the partition field "ordered_at_day", which is already a column name/);
  });

  test('finalSchema: the spec lists every field; only identity partitions leave the data columns (Hive-style layouts)', () => {
    const { schema } = ordersPartitionedBy(['day(ordered_at)', 'bucket(8, order_id)', 'order_month']);
    expect(schema!.partitionSpec.map((f) => f.sql)).toEqual(['day(ordered_at)', 'bucket(8, order_id)', 'order_month']);
    expect(schema!.partitionColumns.map((c) => c.name)).toEqual(['order_month']);
    expect(schema!.columns.map((c) => c.name)).toEqual(expect.arrayContaining(['ordered_at', 'order_id']));
    expect(schema!.columns.map((c) => c.name)).not.toContain('order_month');
  });

  test('partitionProblems alone: empty for valid fields', () => {
    expect(
      partitionProblems(
        ['day(d)', 'bucket(2, n)', 's'],
        new Map([
          ['d', 'timestamp'],
          ['n', 'bigint'],
          ['s', 'string'],
        ]),
      ),
    ).toEqual([]);
  });
});

test('partitionBy: a bucket count of 0 says N is out of range, once', () => {
  expect(ordersPartitionedBy(['bucket(0, order_id)']).error).toMatch(
    /partitionBy\[0\]: has N out of range: bucket\(N, col\) and truncate\(N, col\) take N from 1 to 2147483647 \(got "bucket\(0, order_id\)"\)/,
  );
  expect(ordersPartitionedBy(['bucket(0, order_id)']).error).toContain('(1 problem)');
});
