// The Glue transform (glue-scripts/TRANSFORMS.md) on in-process DuckDB: processed CSV -> partitioned Parquet, merged idempotently.
// Each run adds new files and publishes the folder's manifest with one rename, so a kill -9 at any point leaves the
// complete old or the complete new table (local/engine/manifest.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LINEAGE_COLUMNS } from '../config/layout';
import type { DatasetConfig, PipelineConfig } from '../config/schema';
import { transformPlan } from '../config/transform-plan';
import { openDatabase, duckDbMessage, type Database } from './engine/duckdb';
import { describeInputFiles, newestPerSource, partitionFolder, partitionOf, renameToSparkFolders, reportsDirOf } from './engine/files';
import { beginRun, currentDuckDbFiles, endRun, publishRun, recoverStaleRuns, type StepHook } from './engine/manifest';
import { isProcessAlive } from './lock';
import {
  filesValuesSql,
  finalParquetSql,
  ident,
  ingestedAtLiteral,
  INTERNAL,
  literal,
  pathLiteral,
  planTransform,
  readCsvSql,
  sqlTypeOfDuckDb,
  transformSql,
  TransformSpecError,
  type InputFile,
  type TransformPlan,
} from './engine/sql';

export { TransformSpecError } from './engine/sql';

export interface TransformRunOptions {
  readonly config: PipelineConfig; // validated
  readonly dataset: DatasetConfig;
  readonly inputDir: string; // the dataset's processed CSV folder (processed/<ds>/)
  readonly outputDir: string; // the dataset's final folder (final_output/<ds>/)
  readonly ingestedAt?: Date; // default: now
  readonly onStep?: StepHook; // called before each file-system change of the publish (crash tests stop the process there)
}

export interface TransformRunResult {
  readonly engine: 'duckdb' | 'spark';
  /** The run's input files, empty ones (0 bytes or a header only) included: both engines count them alike. */
  readonly files: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly partitions: readonly string[]; // e.g. ['signup_month=2024-11']
  readonly durationMs: number;
}

/** Why `inputDir` cannot be a transform's input (it does not exist), or undefined; the CLI asks before it takes the lock, as the engine does. */
export function missingInputMessage(inputDir: string): string | undefined {
  const input = path.resolve(inputDir);
  return fs.existsSync(input) ? undefined : `input folder ${input} does not exist; pass the processed/<dataset>/ folder with --input`;
}

/** Runs the transform of one dataset on DuckDB; nothing is written when the spec or the data is wrong. */
export async function transformWithDuckDb(options: TransformRunOptions): Promise<TransformRunResult> {
  const started = Date.now();
  const { dataset } = options;
  const inputDir = path.resolve(options.inputDir);
  const outputDir = path.resolve(options.outputDir);
  const ingestedAt = options.ingestedAt ?? new Date();
  // The Glue job's rules (pipeline_batch.py): source_file is the raw key from the file's report, and only the
  // newest processed file of each raw object is read; every raw object of the run has its earlier rows replaced.
  const described = describeInputFiles(inputDir, reportsDirOf(inputDir, dataset));
  const files = newestPerSource(described);
  if (described.length === 0) {
    const missing = missingInputMessage(inputDir);
    if (missing) throw new Error(`transform (duckdb) of dataset "${dataset.name}": ${missing}`);
    return { engine: 'duckdb', files: 0, rowsIn: 0, rowsOut: 0, partitions: [], durationMs: Date.now() - started };
  }

  recoverStaleRuns(outputDir, (pid) => isProcessAlive(pid)); // what a killed run of this folder left
  const run = beginRun(outputDir);
  const db = await openDatabase({ tempDirectory: run.staging });
  try {
    // Read each raw object's newest file once, keeping file order (rowid) and the file each row came from.
    try {
      await db.run(`CREATE TEMP TABLE raw_rows AS SELECT * FROM ${readCsvSql(files.filter((f) => !f.empty).map((f) => f.path))}`);
    } catch (err) {
      throw new Error(
        `transform (duckdb) of dataset "${dataset.name}": cannot read the processed CSV files in ${inputDir}: ${duckDbMessage(err)}; they must be RFC 4180 CSV with a header, as the preprocessing stage writes them`,
      );
    }
    await db.run(`CREATE TEMP VIEW source_rows AS SELECT *, rowid AS ${INTERNAL.row} FROM raw_rows`);
    await db.run(`CREATE TEMP TABLE input_files AS ${filesValuesSql(files)}`);
    const fileColumns = (await db.all('SELECT * FROM raw_rows LIMIT 0')).columns.filter((c) => c !== INTERNAL.path);
    const rowsIn = Number((await db.all('SELECT count(*) FROM raw_rows')).rows[0][0]);

    // The dataset's TransformPlan, fitted to the files' columns; the config loader checked it, nothing here checks it again.
    const plan = planTransform(transformPlan(dataset), fileColumns);

    const current = currentDuckDbFiles(outputDir);
    const existingFiles = current.files;
    if (existingFiles.length) await checkExistingSchema(db, dataset, plan, outputDir, existingFiles);

    const query = transformSql(plan, 'source_rows', fileColumns, ingestedAtLiteral(ingestedAt));
    await db.run(`CREATE TEMP TABLE new_rows AS ${query}`);
    const rowsOut = Number((await db.all('SELECT count(*) FROM new_rows')).rows[0][0]);

    // The partitions this run's rows go to, named as the writer names their folders.
    const finalDir = run.dataDir;
    const written = rowsOut > 0 ? await partitionFoldersOf(db, plan, 'new_rows') : [];

    const { affected, kept } = existingFiles.length
      ? await markStaleRows(db, plan, described, existingFiles, current.dir, written)
      : { affected: written, kept: [] as string[] };

    if (!kept.length) {
      await writeParquet(db, 'SELECT * FROM new_rows', plan, rowsOut > 0 ? finalDir : undefined);
    } else {
      // Each affected partition = its existing rows minus the stale ones, plus this run's rows.
      const keptList = kept.map(literal).join(', ');
      await db.run(
        `CREATE TEMP TABLE merged AS SELECT * FROM new_rows UNION ALL BY NAME ` +
          `SELECT * EXCLUDE (${INTERNAL.path}, ${INTERNAL.stale}) FROM existing_marked WHERE NOT ${INTERNAL.stale} AND ${INTERNAL.path} IN (${keptList})`,
      );
      const mergedColumns = (await db.all('SELECT * FROM merged LIMIT 0')).columns;
      const mergedCount = Number((await db.all('SELECT count(*) FROM merged')).rows[0][0]);
      await writeParquet(db, 'SELECT * FROM merged', plan, mergedCount > 0 ? finalDir : undefined, mergedColumns);
    }

    const partitions = affected.filter((p) => p !== '' && fs.existsSync(path.join(finalDir, ...p.split('/'))));
    publishRun(run, affected, options.onStep);
    return { engine: 'duckdb', files: described.length, rowsIn, rowsOut, partitions, durationMs: Date.now() - started };
  } finally {
    db.close();
    endRun(run);
  }
}

/**
 * Marks the stale existing rows (table existing_marked), as pipeline_batch.py merge_into replaces them: the earlier
 * rows of this run's raw objects, and (keyed) the rows with the key of one of this run's rows (null-safe).
 * Returns the partitions to rewrite (this run's and the stale rows') and the existing files in them.
 */
async function markStaleRows(
  db: Database,
  plan: TransformPlan,
  files: readonly InputFile[],
  existingFiles: readonly string[],
  currentDir: string,
  written: readonly string[],
): Promise<{ affected: string[]; kept: string[] }> {
  // The processed names too: rows written before source_file held the raw key carry their file's name.
  const sources = [...new Set(files.flatMap((f) => [f.sourceFile, f.baseName]))].map(literal).join(', ');
  await db.run(`CREATE TEMP VIEW existing_rows AS ${finalParquetSql(plan, existingFiles, INTERNAL.path)}`);
  const sameKey = plan.key.map((k) => `e.${ident(k)} IS NOT DISTINCT FROM n.${ident(k)}`).join(' AND ');
  const sourceFile = ident(plan.spec.names.lineage.sourceFile);
  const stale = `e.${sourceFile} IN (${sources})${plan.key.length ? ` OR EXISTS (SELECT 1 FROM new_rows n WHERE ${sameKey})` : ''}`;
  await db.run(`CREATE TEMP TABLE existing_marked AS SELECT e.*, (${stale}) AS ${INTERNAL.stale} FROM existing_rows e`);
  const staleFiles = await db.all(`SELECT DISTINCT ${INTERNAL.path} FROM existing_marked WHERE ${INTERNAL.stale}`);
  const affected = [...new Set([...written, ...staleFiles.rows.map((r) => partitionOf(currentDir, String(r[0])))])].sort();
  return { affected, kept: existingFiles.filter((f) => affected.includes(partitionOf(currentDir, f))) };
}

/** The partition folders (relative, '/'-separated; '' when unpartitioned) of a relation's rows. */
async function partitionFoldersOf(db: Database, plan: TransformPlan, relation: string): Promise<string[]> {
  if (!plan.partitionColumns.length) return [''];
  const names = plan.partitionColumns.map((c) => c.name);
  const distinct = await db.all(`SELECT DISTINCT ${names.map((n) => `CAST(${ident(n)} AS VARCHAR)`).join(', ')} FROM ${relation}`);
  return distinct.rows
    .map((row) =>
      partitionFolder(
        names,
        row.map((v) => (v === null ? null : String(v))),
      ),
    )
    .sort();
}

/**
 * Writes rows as snappy Parquet, Hive-partitioned by the plan's partition columns, data columns in the
 * TRANSFORMS.md order (extra columns sorted by name before the lineage columns), timestamps UTC-adjusted.
 * No folder is made for zero rows.
 */
async function writeParquet(db: Database, select: string, plan: TransformPlan, dir: string | undefined, availableColumns?: readonly string[]): Promise<void> {
  if (!dir) return;
  const partitionNames = plan.partitionColumns.map((c) => c.name);
  const lineage = LINEAGE_COLUMNS.map((c) => c.name);
  // finalSchema's columns first; undeclared columns of this run and columns only the existing data has are sorted together.
  const undeclared = new Set(plan.columns.filter((c) => c.origin === 'undeclared').map((c) => c.name));
  const base = plan.dataColumns.map((c) => c.name).filter((n) => !lineage.includes(n) && !undeclared.has(n));
  const extras = (availableColumns ?? plan.dataColumns.map((c) => c.name))
    .filter((c) => !base.includes(c) && !partitionNames.includes(c) && !lineage.includes(c))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const names = [...base, ...extras, ...lineage, ...partitionNames];
  const described = await db.all(`DESCRIBE SELECT ${names.map(ident).join(', ')} FROM (${select})`);
  const typeOf = new Map(described.rows.map((r) => [String(r[0]), String(r[1])]));
  const columns = names
    .map((n) => {
      if (partitionNames.includes(n)) return typeOf.get(n) === 'VARCHAR' ? `NULLIF(${ident(n)}, '') AS ${ident(n)}` : ident(n); // '' is Spark's null partition too
      return typeOf.get(n) === 'TIMESTAMP' ? `CAST(${ident(n)} AS TIMESTAMPTZ) AS ${ident(n)}` : ident(n);
    })
    .join(', ');
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  if (partitionNames.length) {
    await db.run(
      `COPY (SELECT ${columns} FROM (${select})) TO ${literal(dir)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (${partitionNames.map(ident).join(', ')}))`,
    );
    renameToSparkFolders(dir);
  } else {
    fs.mkdirSync(dir, { recursive: true });
    await db.run(`COPY (SELECT ${columns} FROM (${select})) TO ${literal(path.join(dir, 'data_0.parquet'))} (FORMAT parquet, COMPRESSION snappy)`);
  }
}

/** Fails when a column of this run has another type in the existing final Parquet data. */
async function checkExistingSchema(
  db: Database,
  dataset: DatasetConfig,
  plan: TransformPlan,
  outputDir: string,
  existingFiles: readonly string[],
): Promise<void> {
  const described = await db.all(
    `DESCRIBE SELECT * FROM read_parquet([${existingFiles.map(pathLiteral).join(', ')}], hive_partitioning = false, union_by_name = true)`,
  );
  const existing = new Map(described.rows.map((r) => [String(r[0]), String(r[1])]));
  for (const column of plan.dataColumns) {
    const found = existing.get(column.name);
    if (found === undefined) continue;
    const foundType = sqlTypeOfDuckDb(found);
    if (foundType !== column.type) {
      throw new TransformSpecError(
        `dataset "${dataset.name}": column "${column.name}" is ${column.type} in this run but ${foundType ?? found} in the existing final data in ${outputDir}; ` +
          `change the column's type or transforms.cast back, or move the existing data away to rebuild the final table`,
      );
    }
  }
}
