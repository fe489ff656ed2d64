// Configured queries get the real database and table names for every placeholder, in Athena and in local mode alike.
import { renderQuery } from '../../config/layout';
import { parsePipelineConfig } from '../../config/load';

const names = { database: 'csvpipeline_db', table: 'orders', rejectsTable: 'orders_rejects' };

test('every placeholder is replaced, with or without spaces inside the braces, as often as it appears', () => {
  const sql = 'SELECT * FROM {{database}}.{{ table }} t JOIN {{database}}.{{rejects_table}} r ON t.source_file = r.source_file';
  expect(renderQuery(sql, names)).toBe('SELECT * FROM csvpipeline_db.orders t JOIN csvpipeline_db.orders_rejects r ON t.source_file = r.source_file');
});

test('text that is not a known placeholder is left as written', () => {
  expect(renderQuery("SELECT '{{other}}', '{ table }', '{{table x}}' FROM {{table}}", names)).toBe(
    "SELECT '{{other}}', '{ table }', '{{table x}}' FROM orders",
  );
});

test('an unknown placeholder is a config error naming the known ones', () => {
  const raw = {
    datasets: [{ name: 'orders', columns: [{ name: 'id', type: 'integer' }], queries: [{ name: 'q', sql: 'SELECT 1 FROM {{ tabel }}' }] }],
  };
  expect(() => parsePipelineConfig(raw, 'test.json')).toThrow(
    'datasets[0].queries[0].sql: unknown placeholder {{tabel}}; use {{database}}, {{table}}, {{rejects_table}} (got "{{ tabel }}")',
  );
});
