// Column `pattern`s run on RE2 (re2js, pure JavaScript, no native build): matching takes time linear in the value, so no pattern can hang preprocessing.
import type * as Re2js from 're2js';

let re2js: typeof Re2js | undefined;
/** re2js, loaded on first use: most datasets have no pattern, and loading it costs a Lambda cold start about 20 ms. */
function engine(): typeof Re2js {
  if (!re2js) re2js = require('re2js') as typeof Re2js;
  return re2js;
}

/** A compiled column pattern; `matches` is true when the whole value matches (no ^ or $ needed). */
export interface ColumnPattern {
  matches(value: string): boolean;
}

/** Compiles a pattern the config loader accepted (see patternProblem); throws for one it would not. */
export function compilePattern(source: string): ColumnPattern {
  return engine().RE2JS.compile(source);
}

/** Why RE2 cannot compile `source`, with the fix, or undefined when it can (the message for the config loader). */
export function patternProblem(source: string): string | undefined {
  const { RE2JS, RE2JSException } = engine();
  try {
    RE2JS.compile(source);
    return undefined;
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    const why = err.message.replace(/^error parsing regexp: /, '');
    return (
      `is not a pattern RE2 can compile (${why}); patterns are matched by RE2, in time linear in the value, so look-ahead and ` +
      'look-behind ((?=, (?!, (?<=), back-references (\\1) and repeat counts over 1000 are not available: rewrite the pattern ' +
      'without them (it must match the whole value, e.g. "[A-Z]{2}\\\\d{4}")'
    );
  }
}
