// Lists every function longer than MAX_LINES in the TypeScript code the pipeline runs (npm run check:functions): a
// long function is where state and branches pile up unseen, so the limit is checked rather than remembered.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

/** Lines a function may span, from its first line to the last line of its body. */
const MAX_LINES = 80;
const ROOT = path.resolve(__dirname, '..');
const FOLDERS = ['lambda', 'local', 'cli', 'config'];

interface LongFunction {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly lines: number;
}

function typeScriptFiles(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : typeScriptFiles(full);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** A readable name: the function's own, or the variable, property or class member it is assigned to. */
function nameOf(node: ts.FunctionLikeDeclaration): string {
  const own = node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) || ts.isPrivateIdentifier(node.name)) ? node.name.text : undefined;
  const base = ts.isConstructorDeclaration(node) ? 'constructor' : own;
  const holder = node.parent;
  const assigned =
    base ??
    ((ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder) || ts.isPropertyDeclaration(holder)) && ts.isIdentifier(holder.name)
      ? holder.name.text
      : '<anonymous>');
  const owner = node.parent && ts.isClassLike(node.parent) && node.parent.name ? `${node.parent.name.text}.` : '';
  return owner + assigned;
}

function longFunctionsIn(file: string): LongFunction[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const fn = node as ts.FunctionLikeDeclaration;
      const first = source.getLineAndCharacterOfPosition(fn.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(fn.body!.getEnd()).line;
      const lines = last - first + 1;
      if (lines > MAX_LINES) found.push({ file: path.relative(ROOT, file), line: first + 1, name: nameOf(fn), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const long = FOLDERS.flatMap((folder) => typeScriptFiles(path.join(ROOT, folder))).flatMap(longFunctionsIn);
for (const f of long) console.log(`${f.file}:${f.line} ${f.name} ${f.lines} lines`);
if (long.length) {
  console.log(`${long.length} function${long.length > 1 ? 's' : ''} over ${MAX_LINES} lines`);
  process.exit(1);
}
console.log(`no function over ${MAX_LINES} lines in ${FOLDERS.join(', ')}`);
