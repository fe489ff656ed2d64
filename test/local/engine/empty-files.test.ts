// Empty processed files (a header only, or 0 bytes) are input files like any other on the DuckDB engine: counted in
// `files`, no rows (the same counts as the Spark job: empty-files.spark.test.ts runs both).
import * as path from 'node:path';
import { transformWithDuckDb } from '../../../local/duckdb-transform';
import { counts, EMPTY_FILES_CONFIG, emptyFilesInput } from './empty-files';

const run = (dir: string) =>
  transformWithDuckDb({
    config: EMPTY_FILES_CONFIG,
    dataset: EMPTY_FILES_CONFIG.datasets[0],
    inputDir: path.join(dir, 'in'),
    outputDir: path.join(dir, 'out'),
  });

describe('empty processed files on the DuckDB engine', () => {
  test('a header-only file and a 0-byte file count as files with no rows', async () => {
    expect(counts(await run(emptyFilesInput()))).toEqual({ files: 3, rowsIn: 2, rowsOut: 2 });
  });

  test('a run whose files are all empty reads no rows and counts every file', async () => {
    expect(counts(await run(emptyFilesInput(['b.csv', 'c.csv'])))).toEqual({ files: 2, rowsIn: 0, rowsOut: 0 });
    expect(counts(await run(emptyFilesInput(['c.csv'])))).toEqual({ files: 1, rowsIn: 0, rowsOut: 0 });
  });
});
