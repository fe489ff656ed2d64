// Writes a dataset entry as readable JSON and adds it to a config file's text, leaving every other byte of the file as it was.
import { isDeepStrictEqual } from 'node:util';

/** Lines up to this many characters keep a small object or array on one line (as the shipped config does). */
const LINE_WIDTH = 140;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** One-line JSON with a space after ":" and ",": `{ "name": "id", "type": "integer" }`. */
function inline(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (isContainer(value)) {
    const entries = Object.entries(value);
    return entries.length ? `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

const membersOf = (value: object): Json[] => (Array.isArray(value) ? value : Object.values(value));

/** Simple enough to stay on one line: its members are plain values, empty, or arrays of plain values. */
function isFlat(value: Json): boolean {
  if (!isContainer(value)) return true;
  return membersOf(value).every((m) => !isContainer(m) || membersOf(m).length === 0 || (Array.isArray(m) && m.every((x) => !isContainer(x))));
}

/** JSON indented by `unit`, each line after the first starting with `base`; small objects and arrays on one line. */
export function formatJson(value: unknown, base = '', unit = '  ', eol = '\n'): string {
  const v = value as Json;
  const one = inline(v);
  if (!isContainer(v) || (isFlat(v) && base.length + one.length <= LINE_WIDTH)) return one;
  const inner = base + unit;
  const items = Array.isArray(v)
    ? v.map((m) => inner + formatJson(m, inner, unit, eol))
    : Object.entries(v).map(([k, m]) => `${inner}${JSON.stringify(k)}: ${formatJson(m, inner, unit, eol)}`);
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  return items.length ? `${open}${eol}${items.join(`,${eol}`)}${eol}${base}${close}` : `${open}${close}`;
}

/** Where the top-level "datasets" array opens and closes in a JSON text (indexes of "[" and "]"), or undefined. */
export function findDatasetsArray(text: string): { open: number; close: number } | undefined {
  let depth = 0;
  let open = -1;
  let lastString = '';
  let afterColon = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      const end = stringEnd(text, i);
      if (depth === 1 && open < 0) lastString = JSON.parse(text.slice(i, end + 1)) as string;
      i = end;
      continue;
    }
    if (ch === ':') afterColon = depth === 1 && lastString === 'datasets';
    else if (ch === '[' || ch === '{') {
      depth++;
      if (ch === '[' && depth === 2 && afterColon && open < 0) open = i;
      afterColon = false;
    } else if (ch === ']' || ch === '}') {
      depth--;
      if (ch === ']' && depth === 1 && open >= 0) return { open, close: i };
    } else if (!/\s/.test(ch)) afterColon = false;
  }
  return undefined;
}

/** The index of the quote closing the JSON string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

/** The whitespace that starts the line holding index `i`. */
function lineIndent(text: string, i: number): string {
  const start = text.lastIndexOf('\n', i - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/**
 * The config text with `entry` appended to its "datasets" array: the rest of the text is kept byte for byte, the
 * entry indented like the datasets already there. Throws when the text is not a config with a datasets array, or
 * when the result would not parse to the same config plus the entry.
 */
export function appendDataset(text: string, entry: unknown, file: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix it first, or print the entry without --write and add it by hand`);
  }
  const where = findDatasetsArray(text);
  if (!where || !isContainer(parsed) || !Array.isArray((parsed as { datasets?: unknown }).datasets)) {
    throw new Error(`${file} has no top-level "datasets" array to add the entry to; add "datasets": [] to it, or print the entry without --write`);
  }
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const before = text.slice(0, where.close).replace(/\s*$/, '');
  const empty = before.length === where.open + 1;
  const closeIndent = lineIndent(text, where.close);
  const firstItem = text.slice(where.open + 1).search(/\S/) + where.open + 1;
  const itemIndent =
    !empty && lineIndent(text, firstItem).length === firstItem - text.lastIndexOf('\n', firstItem - 1) - 1 ? lineIndent(text, firstItem) : `${closeIndent}  `;
  const unit = itemIndent.length > closeIndent.length ? itemIndent.slice(closeIndent.length) : '  ';
  const added = `${empty ? '' : ','}${eol}${itemIndent}${formatJson(entry, itemIndent, unit, eol)}${eol}${closeIndent}`;
  const result = `${before}${added}${text.slice(where.close)}`;
  const expected = { ...(parsed as object), datasets: [...(parsed as { datasets: unknown[] }).datasets, entry] };
  if (!isDeepStrictEqual(JSON.parse(result), JSON.parse(JSON.stringify(expected)))) {
    throw new Error(`adding the entry to ${file} would change more than its datasets; print the entry without --write and add it by hand`);
  }
  return result;
}
