// The transform expression language in one import: parse and type a dataset's derive and filter expressions, print them per engine.
import { columnSqlType, type SqlType } from '../layout';
import type { DatasetConfig } from '../schema';
import { type Expr, ExpressionError, describeExpressionError } from './ast';
import { castProblem, checkExpression, typeOf } from './check';
import { parseExpressionText } from './parse';
import { type Engine, expressionSql } from './sql';

export * from './ast';
export { castProblem, checkExpression, commonType, isDecimal, typeOf } from './check';
export { DATE_TRUNC_UNITS, FUNCTIONS } from './functions';
export { parseExpressionText } from './parse';
export { duckdbType, type Engine, expressionSql, toDuckDbSql, toSparkSql } from './sql';

/** Parses and types an expression over these columns (name -> type). */
export function compileExpression(text: string, columns: ReadonlyMap<string, SqlType>): Expr {
  return checkExpression(parseExpressionText(text), columns);
}

/** A derived column's expression, cast to the column's type: the tree whose SQL is the column's value. */
export function compileDerive(text: string, columns: ReadonlyMap<string, SqlType>, type: SqlType): Expr {
  const tree = compileExpression(text, columns);
  const problem = castProblem(typeOf(tree), type);
  if (problem) throw new ExpressionError(`the expression gives ${typeOf(tree)}, and the column's type is ${type}: ${problem} (or change "type")`, 0);
  return { kind: 'cast', operand: tree, to: type, offset: 0, type };
}

/** A filter: a boolean expression. */
export function compileFilter(text: string, columns: ReadonlyMap<string, SqlType>): Expr {
  const tree = compileExpression(text, columns);
  const t = typeOf(tree);
  if (t !== 'boolean' && t !== 'null') {
    throw new ExpressionError(`a filter must be a condition (boolean), but this expression gives ${t}; compare it, e.g. amount > 0`, tree.offset);
  }
  return tree;
}

export interface CompiledDerive {
  readonly name: string;
  readonly type: SqlType;
  readonly tree: Expr;
}

export interface DatasetExpressions {
  readonly derive: readonly CompiledDerive[];
  readonly filter?: Expr;
}

/** A problem in one of a dataset's expressions: its key under `transforms`, the text, and the message with a caret. */
export interface ExpressionProblem {
  readonly key: string;
  readonly text: string;
  /** The problem with a caret line under its character. */
  readonly message: string;
  readonly error: ExpressionError;
}

/** The columns after cast and rename (config columns only), by name, with their types. */
export function renamedColumnTypes(dataset: DatasetConfig): Map<string, SqlType> {
  const t = dataset.transforms;
  return new Map(dataset.columns.map((c) => [t.rename[c.name] ?? c.name, t.cast[c.name] ?? columnSqlType(c)]));
}

/**
 * Compiles every derive expression (each sees the renamed columns and the derived columns before it) and the
 * filter (it sees all of them); collects each problem instead of stopping at the first.
 */
export function compileDatasetExpressions(dataset: DatasetConfig): { expressions: DatasetExpressions; problems: ExpressionProblem[] } {
  const t = dataset.transforms;
  const columns = renamedColumnTypes(dataset);
  const problems: ExpressionProblem[] = [];
  const attempt = <T>(key: string, text: string, compile: () => T): T | undefined => {
    try {
      return compile();
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      problems.push({ key, text, message: describeExpressionError(text, err), error: err });
      return undefined;
    }
  };
  const derive: CompiledDerive[] = [];
  t.derive.forEach((d, i) => {
    const tree = attempt(`derive[${i}].expr`, d.expr, () => compileDerive(d.expr, columns, d.type));
    if (tree) derive.push({ name: d.name, type: d.type, tree });
    if (!columns.has(d.name)) columns.set(d.name, d.type);
  });
  const filter = t.filter === undefined ? undefined : attempt('filter', t.filter, () => compileFilter(t.filter!, columns));
  return { expressions: filter ? { derive, filter } : { derive }, problems };
}

/** The generated SQL of a dataset's derive expressions (each cast to its column's type) and filter, for one engine. */
export interface ExpressionsSql {
  readonly derive: readonly { readonly name: string; readonly type: SqlType; readonly sql: string }[];
  readonly filter?: string;
}

/**
 * The SQL an engine runs for a validated dataset's expressions: what the transform spec should carry to the Glue
 * job (`expressionsSql(dataset, 'spark')`) instead of the config's text. Throws on an invalid expression.
 */
export function expressionsSql(dataset: DatasetConfig, engine: Engine): ExpressionsSql {
  const { expressions, problems } = compileDatasetExpressions(dataset);
  if (problems.length) throw new ExpressionError(`transforms.${problems[0].key}: ${problems[0].message}`, problems[0].error.offset);
  const derive = expressions.derive.map((d) => ({ name: d.name, type: d.type, sql: expressionSql(d.tree, engine) }));
  return expressions.filter ? { derive, filter: expressionSql(expressions.filter, engine) } : { derive };
}
