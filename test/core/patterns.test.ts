// Column patterns run on RE2 (linear time): a catastrophic-backtracking pattern cannot hang preprocessing, and maxLength is checked first.
import { compileColumn, type CellFailure, type ColumnSpec } from '../../lambda/core/validate';
import { patternProblem } from '../../config/pattern';
import { runCore } from './run-core';

const clean = (spec: Partial<ColumnSpec>, raw: string) => {
  const failure: CellFailure = { code: '', reason: '' };
  const value = compileColumn({ name: 'c', type: 'string', required: false, ...spec }, { neutraliseFormulas: true, delimiter: ',', quote: '"' }).clean(
    raw,
    failure,
    true,
  );
  return value === undefined ? failure.code : value;
};

const A40 = 'a'.repeat(40);
const A39X = `${'a'.repeat(39)}!`;

describe('column patterns (RE2)', () => {
  // A backtracking engine takes about 2^40 steps on the failing value: this test would not finish at all.
  test('(a+)+$ on a 40-character cell: accepted when it matches, rejected when it does not, without backtracking', () => {
    expect(clean({ pattern: '(a+)+$' }, A40)).toBe(A40);
    expect(clean({ pattern: '(a+)+$' }, A39X)).toBe('PATTERN_MISMATCH');
    expect(clean({ pattern: '(a|aa)+' }, `${'a'.repeat(5000)}b`)).toBe('PATTERN_MISMATCH');
  });

  test('the pattern must match the whole value, as before', () => {
    expect(clean({ pattern: '[A-Z]{2}\\d+' }, 'AB12')).toBe('AB12');
    expect(clean({ pattern: '[A-Z]{2}\\d+' }, 'xAB12')).toBe('PATTERN_MISMATCH');
    expect(clean({ pattern: '[A-Z]{2}\\d+' }, 'AB12x')).toBe('PATTERN_MISMATCH');
    expect(clean({ pattern: 'a|b' }, 'ab')).toBe('PATTERN_MISMATCH');
    expect(clean({ pattern: '\\p{L}+' }, 'Zoë')).toBe('Zoë');
  });

  test('maxLength is checked before the pattern: a value too long is TOO_LONG, whatever the pattern', () => {
    expect(clean({ pattern: '(a+)+$', maxLength: 10 }, A39X)).toBe('TOO_LONG');
    expect(clean({ pattern: '(a+)+$', maxLength: 10 }, 'aaaa!')).toBe('PATTERN_MISMATCH');
  });

  test('through the whole core: the file finishes, the matching row is valid, the other rejected with PATTERN_MISMATCH', async () => {
    const config = {
      datasets: [
        {
          name: 'p',
          columns: [
            { name: 'id', type: 'integer' },
            { name: 'code', type: 'string', pattern: '(a+)+$' },
          ],
        },
      ],
    };
    const { report, validRows, rejectRows } = await runCore(Buffer.from(`id,code\n1,${A40}\n2,${A39X}\n`), { config, dataset: 'p' });
    expect(validRows).toEqual([
      ['id', 'code'],
      ['1', A40],
    ]);
    expect(rejectRows.map((r) => [r.line, r.reason_code, r.column_name])).toEqual([[3, 'PATTERN_MISMATCH', 'code']]);
    expect(report).toMatchObject({ rowsIn: 2, rowsValid: 1, rowsRejected: 1 });
  });

  test('patterns RE2 cannot compile are named with the reason and the fix', () => {
    expect(patternProblem('(a+)+$')).toBeUndefined();
    expect(patternProblem('[A-Z]{2}\\d{4}')).toBeUndefined();
    expect(patternProblem('a(?=b)')).toMatch(
      /^is not a pattern RE2 can compile \(invalid or unsupported Perl syntax: `\(\?=`\); .*look-ahead .*rewrite the pattern/,
    );
    expect(patternProblem('(a)\\1')).toMatch(/invalid escape sequence: `\\1`.*back-references/);
    expect(patternProblem('[a-')).toMatch(/missing closing \]/);
  });
});
