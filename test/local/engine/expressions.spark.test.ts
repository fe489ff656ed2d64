// Differential test of the expression language: the same typed trees, printed for DuckDB and for Spark, give the same values on both.
import { compileExpression } from '../../../config/expression';
import { DEFINITION_ROWS, evaluateOnDuckDb, ISSUE_ROWS, ISSUE_TABLE, SparkEvaluator } from '../../config/expression-harness';

jest.setTimeout(600_000);

const spark = new SparkEvaluator();
const columns = new Map(ISSUE_TABLE.columns.map((c) => [c.name, c.type]));

beforeAll(() => spark.start(), 300_000);
afterAll(() => spark.close());

describe('the issue 11 table: DuckDB and Spark agree, or validation rejects the construct', () => {
  test('every row', async () => {
    const accepted = ISSUE_ROWS.filter((r) => !r.rejected);
    const trees = accepted.map((r) => compileExpression(r.expr, columns));
    const [duckdb, sparkOutcomes] = [await evaluateOnDuckDb(ISSUE_TABLE, trees), await spark.evaluate(ISSUE_TABLE, trees)];
    const expected = accepted.map((r) => ({ expr: r.expr, outcome: { values: r.values } }));
    expect(accepted.map((r, i) => ({ expr: r.expr, outcome: duckdb[i] }))).toEqual(expected);
    expect(accepted.map((r, i) => ({ expr: r.expr, outcome: sparkOutcomes[i] }))).toEqual(expected);
    for (const r of ISSUE_ROWS.filter((x) => x.rejected)) expect(() => compileExpression(r.expr, columns)).toThrow(r.rejected);
  });
});

describe('function and cast definitions (glue-scripts/TRANSFORMS.md, "Expressions")', () => {
  test('both engines give the documented values', async () => {
    const trees = DEFINITION_ROWS.map((r) => compileExpression(r.expr, columns));
    const sparkOutcomes = await spark.evaluate(ISSUE_TABLE, trees);
    const duckdb = await evaluateOnDuckDb(ISSUE_TABLE, trees);
    const expected = DEFINITION_ROWS.map((r) => ({ expr: r.expr, outcome: { values: r.values } }));
    expect(DEFINITION_ROWS.map((r, i) => ({ expr: r.expr, outcome: sparkOutcomes[i] }))).toEqual(expected);
    expect(DEFINITION_ROWS.map((r, i) => ({ expr: r.expr, outcome: duckdb[i] }))).toEqual(expected);
  });
});
