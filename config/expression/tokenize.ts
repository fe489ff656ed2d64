// Splits a transform expression into tokens, rejecting at its character anything the expression language has no use for.
import { ExpressionError } from './ast';

export type TokenKind = 'number' | 'string' | 'word' | 'quoted' | 'symbol' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** number: its digits; string/quoted: the value without quotes; word: upper case; symbol: as written. */
  readonly text: string;
  readonly offset: number;
}

const SYMBOLS = ['<>', '!=', '<=', '>=', '(', ')', ',', '+', '-', '*', '/', '=', '<', '>'];

const NUMBER = /(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Characters with a meaning in SQL that this language leaves out, and what to write instead. */
function rejected(text: string, i: number): string | undefined {
  const two = text.slice(i, i + 2);
  if (text[i] === ';') return '";" is not allowed: an expression is one value, not a list of statements';
  if (two === '--' || two === '/*') return 'comments are not allowed in an expression; remove them';
  if (two === '||') return '"||" is not supported; use concat(a, b)';
  if (text[i] === '`') return 'backquotes are not allowed; quote a column name with double quotes, e.g. "order"';
  if (text[i] === '%') return '"%" is not supported; the operators are + - * / = <> < <= > >=';
  return undefined;
}

function quoted(text: string, start: number, quote: string, what: string): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    const next = text.indexOf(quote, i);
    if (next < 0) throw new ExpressionError(`unterminated ${what}: add the closing ${quote} (write ${quote}${quote} for a ${quote} inside it)`, start);
    value += text.slice(i, next);
    if (text[next + 1] !== quote) return { value, end: next + 1 };
    value += quote;
    i = next + 2;
  }
}

/** The tokens of `text`, ending with one `end` token. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const problem = rejected(text, i);
    if (problem) throw new ExpressionError(problem, i);
    if (c === "'" || c === '"') {
      const { value, end } = quoted(text, i, c, c === "'" ? 'string' : 'quoted column name');
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text: value, offset: i });
      i = end;
      continue;
    }
    NUMBER.lastIndex = i;
    WORD.lastIndex = i;
    const number = /[\d.]/.test(c) ? NUMBER.exec(text) : null;
    const word = number ? null : WORD.exec(text);
    const match = number ?? word;
    if (match) {
      if (number && /[A-Za-z_]/.test(text[i + match[0].length] ?? '')) {
        throw new ExpressionError(`"${text.slice(i, i + match[0].length + 1)}" is not a number; separate a number from a name by a space or an operator`, i);
      }
      tokens.push({ kind: number ? 'number' : 'word', text: number ? match[0] : match[0].toUpperCase(), offset: i });
      i += match[0].length;
      continue;
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (!symbol) {
      throw new ExpressionError(
        `unexpected character ${JSON.stringify(c)}; an expression holds names, 'strings', numbers, ( ) , and the operators + - * / = <> != < <= > >=`,
        i,
      );
    }
    tokens.push({ kind: 'symbol', text: symbol === '!=' ? '<>' : symbol, offset: i });
    i += symbol.length;
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}
