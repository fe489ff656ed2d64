// Config load refuses declared names and aliases that collide with each other or with reserved names, with the key and the fix.
import { ConfigError, parsePipelineConfig } from '../../config/parse';
import { INTERNAL_COLUMNS, INTERNAL_PREFIX, reservedColumnNames, reservedColumnReason } from '../../config/column-names';

function problems(dataset: object): string {
  try {
    parsePipelineConfig({ datasets: [{ name: 'd', ...dataset }] }, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('column names at config load', () => {
  test('a declared column named like a lineage column names the key and the fix (another name with the header as alias)', () => {
    expect(problems({ columns: [{ name: 'ingested_at', type: 'timestamp' }] })).toMatch(
      /datasets\[0\]\.columns\[0\]\.name: "ingested_at" is reserved for lineage .*e\.g\. "ingested_at_in_file" with "aliases": \["ingested_at"\]/,
    );
  });

  test('an alias that matches another column (case-, space- and underscore-insensitively) is refused', () => {
    const message = problems({
      columns: [
        { name: 'signup_date', type: 'date' },
        { name: 'created', type: 'date', aliases: ['Signup Date'] },
      ],
    });
    expect(message).toMatch(/datasets\[0\]\.columns\[1\]\.aliases\[0\]: a header "Signup Date" would match both column "signup_date" and column "created"/);
  });

  test('rename and derive onto a lineage name, and a key that select leaves out, are refused', () => {
    const message = problems({
      columns: [
        { name: 'id', type: 'integer' },
        { name: 'file', type: 'string' },
      ],
      key: ['id'],
      transforms: { rename: { file: 'source_file' }, derive: [{ name: 'ingested_at', expr: 'id', type: 'bigint' }], select: ['file'] },
    });
    expect(message).toMatch(
      /transforms\.rename\.file: renames "file" to "source_file", which is a lineage column the transform adds to every row; pick another new name/,
    );
    expect(message).toMatch(/transforms\.derive\[0\]\.name: "ingested_at" is reserved for lineage/);
    expect(message).toMatch(/key\[0\]: is "id" \("id" after rename\), which transforms\.select leaves out; add "id" to transforms\.select/);
  });

  test('an alias may be a lineage name: that is how a file with such a header is taken in', () => {
    expect(() => parsePipelineConfig({ datasets: [{ name: 'd', columns: [{ name: 'src', type: 'string', aliases: ['source_file'] }] }] })).not.toThrow();
  });

  test('the reserved names of a dataset: lineage, rename targets, derived columns, and every internal name', () => {
    const config = parsePipelineConfig({
      datasets: [
        {
          name: 'd',
          columns: [{ name: 'id', type: 'integer' }],
          transforms: { rename: { id: 'user_id' }, derive: [{ name: 'twice', expr: 'user_id * 2', type: 'bigint' }] },
        },
      ],
    });
    const reserved = reservedColumnNames(config.datasets[0]);
    expect([...reserved.keys()].sort()).toEqual(['ingested_at', 'source_file', 'twice', 'user_id']);
    for (const name of Object.values(INTERNAL_COLUMNS)) {
      expect(name.startsWith(INTERNAL_PREFIX)).toBe(true);
      expect(reservedColumnReason(name, reserved)).toMatch(/internal column name/);
    }
    expect(reservedColumnReason('id', reserved)).toBeUndefined();
  });
});
