// The generated DuckDB SQL, run in process: each row of the issue 11 table and each function definition gives the documented value.
import { compileExpression, ExpressionError } from '../../config/expression';
import { DECIMAL_ROWS, DECIMAL_TABLE, DEFINITION_ROWS, evaluateOnDuckDb, ISSUE_ROWS, ISSUE_TABLE } from './expression-harness';

const columns = new Map(ISSUE_TABLE.columns.map((c) => [c.name, c.type]));

describe('the issue 11 table on DuckDB', () => {
  test.each(ISSUE_ROWS)('$expr', async ({ expr, values, rejected }) => {
    if (rejected) {
      expect(() => compileExpression(expr, columns)).toThrow(ExpressionError);
      expect(() => compileExpression(expr, columns)).toThrow(rejected);
      return;
    }
    const [outcome] = await evaluateOnDuckDb(ISSUE_TABLE, [compileExpression(expr, columns)]);
    expect(outcome).toEqual({ values });
  });
});

describe('function and cast definitions on DuckDB (glue-scripts/TRANSFORMS.md, "Expressions")', () => {
  test('every definition row gives its documented values', async () => {
    const outcomes = await evaluateOnDuckDb(
      ISSUE_TABLE,
      DEFINITION_ROWS.map((r) => compileExpression(r.expr, columns)),
    );
    const got = DEFINITION_ROWS.map((r, i) => ({ expr: r.expr, outcome: outcomes[i] }));
    expect(got).toEqual(DEFINITION_ROWS.map((r) => ({ expr: r.expr, outcome: { values: r.values } })));
  });
});

describe('exact decimals on DuckDB (glue-scripts/TRANSFORMS.md, "Decimals")', () => {
  const decimalColumns = new Map(DECIMAL_TABLE.columns.map((c) => [c.name, c.type]));
  const accepted = DECIMAL_ROWS.filter((r) => !r.rejected);

  test('every decimal row gives its documented values', async () => {
    const outcomes = await evaluateOnDuckDb(
      DECIMAL_TABLE,
      accepted.map((r) => compileExpression(r.expr, decimalColumns)),
    );
    expect(accepted.map((r, i) => ({ expr: r.expr, outcome: outcomes[i] }))).toEqual(accepted.map((r) => ({ expr: r.expr, outcome: { values: r.values } })));
  });

  test.each(DECIMAL_ROWS.filter((r) => r.rejected))('$expr is rejected at load with the way round', ({ expr, rejected }) => {
    expect(() => compileExpression(expr, decimalColumns)).toThrow(rejected!);
  });
});
