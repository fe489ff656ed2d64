// Empty processed files count the same on both engines: the DuckDB engine and the Spark job (local_job.py, real
// pyspark) give the same files, rowsIn and rowsOut for a folder with rows, a header-only file and a 0-byte file.
import * as path from 'node:path';
import { transformWithDuckDb } from '../../../local/duckdb-transform';
import { transformWithSpark } from '../../../local/spark-transform';
import { counts, EMPTY_FILES_CONFIG, emptyFilesInput } from './empty-files';

jest.setTimeout(300_000);

test('both engines count a header-only file and a 0-byte file as input files with no rows', async () => {
  const dataset = EMPTY_FILES_CONFIG.datasets[0];
  const dir = emptyFilesInput();
  const options = (engine: string) => ({ config: EMPTY_FILES_CONFIG, dataset, inputDir: path.join(dir, 'in'), outputDir: path.join(dir, `out-${engine}`) });
  const duckdb = counts(await transformWithDuckDb(options('duckdb')));
  const spark = counts(await transformWithSpark(options('spark'), { onLog: () => undefined }));
  expect(duckdb).toEqual({ files: 3, rowsIn: 2, rowsOut: 2 });
  expect(spark).toEqual(duckdb);
});
