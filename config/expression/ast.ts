// The typed tree of a transform expression (config/expression/parse.ts builds it, check.ts types it, sql.ts prints it).
import type { SqlType } from '../layout';

/** The type of an expression: a transform SQL type, or `null` for the untyped NULL literal. */
export type ExprType = SqlType | 'null';

/** Binary operators, by the spelling the generators print. */
export type ArithmeticOp = '+' | '-' | '*' | '/';
export type ComparisonOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type LogicalOp = 'AND' | 'OR';
export type BinaryOp = ArithmeticOp | ComparisonOp | LogicalOp;

interface Node {
  /** Offset (0-based, in UTF-16 code units) of the node's first character in the expression text. */
  readonly offset: number;
  /** Set by checkExpression; absent on a tree straight from the parser. */
  readonly type?: ExprType;
}

export interface Literal extends Node {
  readonly kind: 'literal';
  /** `int`/`bigint`/`double` hold the literal's digits, `date`/`timestamp` its text, `string` the value. */
  readonly literalType: ExprType;
  readonly value: string | boolean | null;
}

export interface Column extends Node {
  readonly kind: 'column';
  readonly name: string;
}

export interface Unary extends Node {
  readonly kind: 'unary';
  readonly op: '-' | 'NOT';
  readonly operand: Expr;
}

export interface Binary extends Node {
  readonly kind: 'binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
}

export interface IsNull extends Node {
  readonly kind: 'isNull';
  readonly negated: boolean;
  readonly operand: Expr;
}

export interface In extends Node {
  readonly kind: 'in';
  readonly negated: boolean;
  readonly operand: Expr;
  readonly list: readonly Expr[];
}

export interface Between extends Node {
  readonly kind: 'between';
  readonly negated: boolean;
  readonly operand: Expr;
  readonly low: Expr;
  readonly high: Expr;
}

export interface Like extends Node {
  readonly kind: 'like';
  readonly negated: boolean;
  readonly operand: Expr;
  /** A string literal: `%` any run of characters, `_` one character; no escape character. */
  readonly pattern: string;
}

export interface Case extends Node {
  readonly kind: 'case';
  readonly whens: readonly { readonly when: Expr; readonly result: Expr }[];
  readonly otherwise?: Expr;
}

export interface Cast extends Node {
  readonly kind: 'cast';
  readonly operand: Expr;
  readonly to: SqlType;
}

export interface Call extends Node {
  readonly kind: 'call';
  /** Lower case, one of FUNCTIONS (config/expression/functions.ts). */
  readonly name: string;
  readonly args: readonly Expr[];
}

/** Every expression node: a discriminated union on `kind`. */
export type Expr = Literal | Column | Unary | Binary | IsNull | In | Between | Like | Case | Cast | Call;

/** A problem in an expression, at a character of its text. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    /** 0-based offset of the offending character. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** The message, then the expression's line with a caret under the offending character. */
export function describeExpressionError(text: string, err: ExpressionError): string {
  const lineStart = text.lastIndexOf('\n', err.offset - 1) + 1;
  const lineEnd = text.indexOf('\n', err.offset);
  const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const column = err.offset - lineStart;
  return `${err.message}\n      ${line}\n      ${' '.repeat(column)}^ character ${err.offset + 1}`;
}
