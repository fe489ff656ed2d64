// Decimal columns at config load: precision and scale with their default, validated with the key and the fix; the final type everywhere.
import { ConfigError, parsePipelineConfig } from '../../config/parse';
import { columnSqlType, finalSchema } from '../../config/layout';
import { finalTable } from '../../lib/quicksight/columns';
import type { PipelineConfigInput } from '../../config/schema';

function config(columns: unknown[], transforms: Record<string, unknown> = {}): PipelineConfigInput {
  return { datasets: [{ name: 'orders', key: ['id'], columns: [{ name: 'id', type: 'integer' }, ...columns], transforms }] } as PipelineConfigInput;
}

function problems(input: PipelineConfigInput): string {
  try {
    parsePipelineConfig(input, 'test.json');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('the config was accepted');
}

describe('decimal columns', () => {
  test('without precision and scale: the documented default decimal(18,2), filled in at load', () => {
    const dataset = parsePipelineConfig(config([{ name: 'amount', type: 'decimal' }])).datasets[0];
    expect(dataset.columns[1]).toMatchObject({ name: 'amount', type: 'decimal', precision: 18, scale: 2 });
    expect(columnSqlType(dataset.columns[1])).toBe('decimal(18,2)');
    expect(finalSchema(dataset).columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'bigint'],
      ['amount', 'decimal(18,2)'],
      ['source_file', 'string'],
      ['ingested_at', 'timestamp'],
    ]);
    expect(finalTable(dataset).columns.find((c) => c.name === 'amount')?.type).toBe('DECIMAL');
  });

  test('precision and scale of their own; a derive and a cast to decimal(p,s)', () => {
    const dataset = parsePipelineConfig(
      config(
        [
          { name: 'price', type: 'decimal', precision: 12, scale: 4 },
          { name: 'qty', type: 'integer' },
          { name: 'tax', type: 'string' },
        ],
        {
          cast: { tax: 'decimal(9,3)' },
          derive: [
            { name: 'total', expr: 'price * qty', type: 'decimal(38,4)' },
            { name: 'cents', expr: 'CAST(price AS decimal)', type: 'decimal(18,2)' },
          ],
        },
      ),
    ).datasets[0];
    expect(dataset.transforms.cast).toEqual({ tax: 'decimal(9,3)' });
    expect(finalSchema(dataset).columns.map((c) => c.type)).toEqual([
      'bigint',
      'decimal(12,4)',
      'bigint',
      'decimal(9,3)',
      'decimal(38,4)',
      'decimal(18,2)',
      'string',
      'timestamp',
    ]);
  });

  test.each([
    [
      { precision: 39 },
      /datasets\[0\]\.columns\[1\]\.precision: must be a whole number from 1 to 38 \(the digits a DECIMAL holds in Spark, DuckDB, Parquet and Athena\), e\.g\. 18 \(got 39\)/,
    ],
    [{ precision: 0 }, /columns\[1\]\.precision: must be a whole number from 1 to 38/],
    [
      { precision: 10, scale: 11 },
      /columns\[1\]\.scale: is more than the precision \(10\): the scale counts the digits after the point among the precision's; lower the scale or raise "precision" \(got 11\)/,
    ],
    [{ scale: 20 }, /columns\[1\]\.scale: is more than the precision \(18, the default\)/],
    [{ precision: 1 }, /columns\[1\]\.scale: is required when precision \(1\) is under the default scale 2: set "scale" from 0 to 1/],
    [{ scale: -1 }, /columns\[1\]\.scale: must be a whole number from 0 to the precision/],
  ])('a decimal column with %j is refused with the key and the fix', (spec, message) => {
    expect(problems(config([{ name: 'amount', type: 'decimal', ...spec }]))).toMatch(message);
  });

  test('precision on a column that is not a decimal is refused', () => {
    expect(problems(config([{ name: 'name', type: 'string', precision: 10 }]))).toMatch(
      /columns\[1\]\.precision: only applies to decimal columns; "name" is string: remove it or make the column a decimal \(got 10\)/,
    );
  });

  test.each([
    [
      { cast: { id: 'decimal(40,2)' } },
      /transforms\.cast\.id: decimal\(40,2\): precision 40 is not a whole number from 1 to 38 .*write decimal\(precision,scale\), e\.g\. decimal\(18,2\) \(got "decimal\(40,2\)"\)/,
    ],
    [
      { cast: { id: 'numeric' } },
      /transforms\.cast\.id: must be one of "string", "int", "bigint", "double", "boolean", "date", "timestamp" or "decimal\(precision,scale\)"/,
    ],
    [
      { derive: [{ name: 'x', expr: 'id', type: 'decimal(5,6)' }] },
      /transforms\.derive\[0\]\.type: decimal\(5,6\): scale 6 is not a whole number from 0 to the precision \(5\)/,
    ],
  ])('a cast or derive type %j is refused with the key and the fix', (transforms, message) => {
    expect(problems(config([], transforms))).toMatch(message);
  });

  test('exact decimal arithmetic past 38 digits is refused at load, with the way round', () => {
    expect(
      problems(config([{ name: 'price', type: 'decimal', precision: 38, scale: 9 }], { derive: [{ name: 'x', expr: 'price * price', type: 'double' }] })),
    ).toMatch(
      /transforms\.derive\[0\]\.expr: \* of decimal\(38,9\) and decimal\(38,9\) is exact only as a decimal of more than 38 digits; CAST a side to a smaller decimal/,
    );
  });
});
