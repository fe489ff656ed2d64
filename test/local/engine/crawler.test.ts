// The local crawler on fixture files: Glue's built-in CSV classifier rules, our header-PRESENT classifier, combined schemas.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyBuiltIn, crawlProcessed, cellType, mergeTypes, type TableInput } from '../../../local/crawler';
import { configWith, tempDir } from './helpers';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'crawler');

const dataset = (name: string, columns: string[]) => ({ name, extraColumns: 'keep', columns: columns.map((c) => ({ name: c, type: 'string' })) });
const config = configWith([
  dataset('typed', ['order_id', 'customer_email', 'amount', 'paid', 'ordered_at']),
  dataset('alltext', ['name', 'email', 'status']),
  dataset('mixed', ['id', 'name']),
  dataset('empty', ['x']),
]);

function crawlFixtures() {
  const workdir = tempDir('crawl-');
  fs.cpSync(path.join(FIXTURES, 'processed'), path.join(workdir, 'processed'), { recursive: true });
  return { workdir, tables: crawlProcessed(config, workdir) };
}

describe('crawlProcessed on the fixture files', () => {
  test('a typed file: the built-in rules detect the header and infer bigint/double/boolean; the table is all strings with OpenCSVSerDe', async () => {
    const { workdir, tables } = crawlFixtures();
    const typed = (await tables).find((t) => t.dataset === 'typed')!;
    const [verdict] = typed.builtInVerdicts;
    expect(verdict).toMatchObject({ file: 'processed/typed/orders-1.csv', classification: 'csv', delimiter: ',', header: 'PRESENT' });
    expect(verdict.columns).toEqual([
      { Name: 'order_id', Type: 'bigint' },
      { Name: 'customer_email', Type: 'string' },
      { Name: 'amount', Type: 'double' },
      { Name: 'paid', Type: 'boolean' },
      { Name: 'ordered_at', Type: 'string' },
    ]);
    const written = JSON.parse(fs.readFileSync(path.join(workdir, 'catalog', 'processed_typed.json'), 'utf8')) as TableInput;
    expect(written).toEqual(typed.tableInput);
    expect(written.Name).toBe('processed_typed');
    expect(written.StorageDescriptor.Columns).toEqual(['order_id', 'customer_email', 'amount', 'paid', 'ordered_at'].map((Name) => ({ Name, Type: 'string' })));
    expect(written.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.serde2.OpenCSVSerde');
    expect(written.StorageDescriptor.Location).toBe(`file://${path.join(workdir, 'processed', 'typed')}/`);
    expect(written.Parameters).toMatchObject({ classification: 'csv', 'skip.header.line.count': '1', objectCount: '1' });
  });

  test('an all-text file: NO header by the built-in rules (col0..col2), header PRESENT by our classifier', async () => {
    const { workdir, tables } = crawlFixtures();
    const alltext = (await tables).find((t) => t.dataset === 'alltext')!;
    const [verdict] = alltext.builtInVerdicts;
    expect(verdict.header).toBe('ABSENT');
    expect(verdict.columns.map((c) => c.Name)).toEqual(['col0', 'col1', 'col2']);
    expect(verdict.reason).toMatch(/every column of the data rows is a string too/);
    expect(alltext.tableInput.StorageDescriptor.Columns.map((c) => c.Name)).toEqual(['name', 'email', 'status']);
    expect(alltext.tableInput.Parameters.builtInClassifierVerdict).toMatch(/ABSENT in 1 \(columns col0\.\.colN\)/);
    const sibling = JSON.parse(fs.readFileSync(path.join(workdir, 'catalog', 'processed_alltext.builtin-classifier.json'), 'utf8'));
    expect(sibling.files[0].header).toBe('ABSENT');
  });

  test('mixed schemas across files are combined into one table (CombineCompatibleSchemas); datasets without files get no table', async () => {
    const { workdir, tables } = crawlFixtures();
    const all = await tables;
    expect(all.map((t) => t.name).sort()).toEqual(['processed_alltext', 'processed_mixed', 'processed_typed']);
    const mixed = all.find((t) => t.dataset === 'mixed')!;
    expect(mixed.files).toEqual(['processed/mixed/part-1.csv', 'processed/mixed/part-2.csv']);
    expect(mixed.tableInput.StorageDescriptor.Columns.map((c) => c.Name)).toEqual(['id', 'name', 'country']);
    expect(mixed.builtInVerdicts.map((v) => v.columns.map((c) => `${c.Name}:${c.Type}`))).toEqual([
      ['id:bigint', 'name:string'],
      ['id:bigint', 'name:string', 'country:string'],
    ]);
    expect(fs.readdirSync(path.join(workdir, 'catalog')).sort()).toEqual([
      'processed_alltext.builtin-classifier.json',
      'processed_alltext.json',
      'processed_mixed.builtin-classifier.json',
      'processed_mixed.json',
      'processed_typed.builtin-classifier.json',
      'processed_typed.json',
    ]);
  });
});

describe('the built-in CSV classifier rules', () => {
  test('tries , | tab ; \\u0001 in order and needs 2 columns and 2 rows of one width', () => {
    expect(classifyBuiltIn('a|b\n1|2\n')).toMatchObject({ classification: 'csv', delimiter: '|', header: 'PRESENT' });
    expect(classifyBuiltIn('a\tb\n1\t2\n').delimiter).toBe('\t');
    expect(classifyBuiltIn('a;b\n1;2\n').delimiter).toBe(';');
    expect(classifyBuiltIn('a\u0001b\n1\u00012\n').delimiter).toBe('\u0001');
    expect(classifyBuiltIn('only\n1\n2\n').classification).toBe('UNKNOWN');
    expect(classifyBuiltIn('a,b\n').classification).toBe('UNKNOWN');
    expect(classifyBuiltIn('a,b\n1,2,3\n').classification).toBe('UNKNOWN');
  });

  test('row 1 is not a header when a cell is not a string, is 150+ characters or is not a valid name', () => {
    expect(classifyBuiltIn('id,2024\n1,2\n')).toMatchObject({
      header: 'ABSENT',
      columns: [
        { Name: 'col0', Type: 'string' },
        { Name: 'col1', Type: 'bigint' },
      ],
    });
    expect(classifyBuiltIn(`${'x'.repeat(150)},b\n1,2\n`).header).toBe('ABSENT');
    expect(classifyBuiltIn(`${'x'.repeat(149)},b\n1,2\n`).header).toBe('PRESENT');
    expect(classifyBuiltIn('a,\u0007bell\n1,2\n').header).toBe('ABSENT');
    // The last header cell may be empty (a trailing delimiter).
    expect(classifyBuiltIn('a,b,\n1,2,\n').header).toBe('PRESENT');
  });

  test('cell and column types: bigint widens to double, anything else mixed is string, empty cells say nothing', () => {
    expect(['12', '-3', '1.5', '1e3', 'TRUE', 'x', ' '].map(cellType)).toEqual(['bigint', 'bigint', 'double', 'double', 'boolean', 'string', null]);
    expect(mergeTypes(['bigint', 'double', null])).toBe('double');
    expect(mergeTypes(['bigint', 'boolean'])).toBe('string');
    expect(mergeTypes([null, null])).toBe('string');
  });
});

test('the crawler writes nothing when there are no processed files', async () => {
  const workdir = tempDir('crawl-empty-');
  expect(await crawlProcessed(config, workdir)).toEqual([]);
  expect(fs.existsSync(path.join(workdir, 'catalog'))).toBe(false);
});
