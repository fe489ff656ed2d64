// The column-name rule (config/column-names.ts) applied by the Lambda core: a file whose own columns would take a
// reserved name is quarantined RESERVED_COLUMN with the column and the fix; internal "__" names cannot be reached.
import fc from 'fast-check';
import { identifierFrom } from '../../lambda/core/header';
import { runCore } from './run-core';

/** A dataset that keeps extra columns, renames id to user_id and derives signup_month. */
function config(extra: object = {}) {
  return {
    datasets: [
      {
        name: 'people',
        columns: [
          { name: 'id', type: 'integer' },
          { name: 'name', type: 'string' },
        ],
        extraColumns: 'keep',
        transforms: {
          rename: { id: 'user_id' },
          derive: [{ name: 'name_upper', expr: 'upper(name)', type: 'string' }],
        },
        ...extra,
      },
    ],
  };
}

const file = (header: string) => Buffer.from(`id,name,${header}\n1,Ann,x\n`);

describe('RESERVED_COLUMN', () => {
  test.each([
    ['source_file', /a lineage column the transform adds to every row/],
    ['ingested_at', /a lineage column/],
    ['Source File', /a lineage column/],
    ['user_id', /the new name of column "id" \(transforms\.rename\)/],
    ['name_upper', /the derived column transforms\.derive\[0\]/],
  ])('an extra header %s that would become a reserved column quarantines the file, naming it and the fix', async (header, why) => {
    const { report, validRows } = await runCore(file(header), { config: config(), dataset: 'people' });
    expect(report.outcome).toBe('quarantined');
    expect(report.fileError?.code).toBe('RESERVED_COLUMN');
    expect(report.fileError?.reason).toMatch(why);
    expect(report.fileError?.reason).toContain(`the header ${JSON.stringify(header)} (column 3)`);
    expect(report.fileError?.reason).toMatch(/rename the header in the file, or declare it in dataset "people" under another name with the header as an alias/);
    expect(validRows).toEqual([]);
  });

  test('a header "__source_file_path" cannot spoof an internal column: it becomes source_file_path and the file is processed', async () => {
    const { report, validRows } = await runCore(file('__source_file_path'), { config: config(), dataset: 'people' });
    expect(report.outcome).toBe('processed');
    expect(validRows[0]).toEqual(['id', 'name', 'source_file_path']);
  });

  test('no header, in any mode, becomes a name starting with "_" (internal names are unreachable by construction)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat(500), (header, position) => {
        expect(identifierFrom(header, position)).toMatch(/^[a-z][a-z0-9_]*$/);
      }),
      { numRuns: 2000 },
    );
    for (const h of ['__source_file_path', '__row', '_x', '__', '___stale']) expect(identifierFrom(h, 0)).not.toMatch(/^_/);
  });

  test('inferred mode (no dataset): a lineage name quarantines the file too', async () => {
    const { report } = await runCore(Buffer.from('id,source_file\n1,a.csv\n'));
    expect(report.fileError?.code).toBe('RESERVED_COLUMN');
    expect(report.fileError?.reason).toMatch(/"source_file" \(column 2\) would become column "source_file", which is reserved in the inferred table/);
  });

  test('the fix works: the header declared under another name with an alias is processed', async () => {
    const fixed = config();
    fixed.datasets[0].columns.push({ name: 'source_file_in_file', type: 'string', aliases: ['source_file'] } as never);
    const { report, validRows } = await runCore(file('source_file'), { config: fixed, dataset: 'people' });
    expect(report.outcome).toBe('processed');
    expect(validRows[0]).toEqual(['id', 'name', 'source_file_in_file']);
  });

  test('with extraColumns "drop" the reserved header is dropped, not quarantined', async () => {
    const { report } = await runCore(file('source_file'), { config: config({ extraColumns: 'drop' }), dataset: 'people' });
    expect(report.outcome).toBe('processed');
  });
});
