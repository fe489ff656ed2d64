// Shared case of the empty-file tests: processed files with rows, with a header only, and of 0 bytes.
import * as path from 'node:path';
import type { TransformRunResult } from '../../../local/duckdb-transform';
import { configWith, tempDir, writeProcessed } from './helpers';

export const EMPTY_FILES_CONFIG = configWith([
  {
    name: 'events',
    columns: [
      { name: 'id', type: 'integer' },
      { name: 'kind', type: 'string' },
    ],
  },
]);

/** A processed folder: a.csv with 2 rows, b.csv a header only, c.csv 0 bytes; `only` keeps some of them. */
export function emptyFilesInput(only?: readonly string[]): string {
  const dir = tempDir('empty-files-');
  const all: Record<string, string> = { 'a.csv': 'id,kind\n1,x\n2,y\n', 'b.csv': 'id,kind\n', 'c.csv': '' };
  writeProcessed(path.join(dir, 'in'), Object.fromEntries(Object.entries(all).filter(([n]) => !only || only.includes(n))));
  return dir;
}

/** The counts both engines must agree on. */
export function counts(result: TransformRunResult): { files: number; rowsIn: number; rowsOut: number } {
  return { files: result.files, rowsIn: result.rowsIn, rowsOut: result.rowsOut };
}
