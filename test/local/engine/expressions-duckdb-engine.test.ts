// The DuckDB engine runs derive expressions from their typed trees: a column named like a SQL keyword works, and the issue 11 definitions hold end to end.
import * as path from 'node:path';
import { transformWithDuckDb } from '../../../local/duckdb-transform';
import { configWith, readFinal, tempDir, writeProcessed } from './helpers';

const AT = new Date('2025-01-02T03:04:05.000Z');

test('derive with a column named "at" and the issue 11 constructs, end to end on the DuckDB engine', async () => {
  const config = configWith([
    {
      name: 'orders',
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'at', type: 'string' },
        { name: 'amount', type: 'decimal', precision: 18, scale: 3 },
        { name: 'name', type: 'string' },
      ],
      transforms: {
        derive: [
          { name: 'at_upper', expr: 'upper(at)' },
          { name: 'cents', expr: 'cast(amount * 100 as bigint)', type: 'bigint' },
          { name: 'rounded', expr: 'round(amount, 2)', type: 'double' },
          { name: 'head', expr: 'substr(at, 0, 3)' },
          { name: 'label', expr: "concat(name, '-', at)" },
        ],
      },
    },
  ]);
  const dir = tempDir('expressions-');
  writeProcessed(path.join(dir, 'in'), { 'a.csv': 'id,at,amount,name\n1,straße,2.675,\n2,hello,1.005,Ann\n' });
  await transformWithDuckDb({ config, dataset: config.datasets[0], inputDir: path.join(dir, 'in'), outputDir: path.join(dir, 'out'), ingestedAt: AT });
  const rows = await readFinal(path.join(dir, 'out'), 'id');
  expect(rows.map((r) => [r.id, r.at_upper, r.cents, r.rounded, r.head, r.label])).toEqual([
    // amount is an exact decimal(18,3): 2.675 * 100 is 267.5 (truncated: 267), round(1.005, 2) is 1.01 (half away from zero).
    [1, 'STRAßE', 267, 2.68, 'st', null],
    [2, 'HELLO', 100, 1.01, 'he', 'Ann-hello'],
  ]);
});
