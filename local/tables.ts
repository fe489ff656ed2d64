// The local Athena: DuckDB views over the local final tables (<ds>: the DuckDB engine's Parquet, or the current snapshot of the Spark engine's Iceberg table) and the rejected rows (<ds>_rejects) of every dataset.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetLayout, REJECT_COLUMNS, REJECTS_FILE_EXTENSION } from '../config/layout';
import type { PipelineConfig } from '../config/schema';
import { transformPlan } from '../config/transform-plan';
import { openDatabase, duckDbMessage } from './engine/duckdb';
import { listFiles } from './engine/files';
import { currentDuckDbFiles } from './engine/manifest';
import { duckdbType, finalParquetSql, ident, literal, pathLiteral, planTransform } from './engine/sql';

export interface LocalTables {
  query(sql: string): Promise<{ columns: string[]; rows: unknown[][] }>;
  close(): void;
}

/** Zero rows with the given columns, for a table that has no data yet. */
function emptySelect(columns: readonly { name: string; type: string }[]): string {
  return `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`).join(', ')} WHERE false`;
}

/** The list the Spark engine (glue-scripts/local_job.py) writes in its table folder after each commit. */
export const ICEBERG_SNAPSHOT_FILES = 'snapshot-files.json';

export interface IcebergSnapshotFiles {
  readonly snapshotId: number | null;
  /** Absolute paths of the current snapshot's data files (copy-on-write: no delete files). */
  readonly files: string[];
  /** The table's columns in order (the schema of the current snapshot). */
  readonly columns: string[];
}

/**
 * The current snapshot of the Spark engine's Iceberg table in `tableDir` (null when the folder holds no such
 * table). DuckDB has no Iceberg reader here (no extension download), so local_job publishes the snapshot's
 * data files, replacing the list atomically after each commit: readers see the old snapshot or the new one.
 */
export function icebergSnapshotFiles(tableDir: string): IcebergSnapshotFiles | null {
  const listFile = path.join(tableDir, ICEBERG_SNAPSHOT_FILES);
  if (!fs.existsSync(listFile)) return null;
  const listed = JSON.parse(fs.readFileSync(listFile, 'utf8')) as Partial<IcebergSnapshotFiles>;
  if (!Array.isArray(listed.files) || !Array.isArray(listed.columns)) {
    throw new Error(`${listFile}: expected {"snapshotId", "files": [...], "columns": [...]}; run "csv-pipeline run --engine spark" again to rewrite it`);
  }
  return { snapshotId: listed.snapshotId ?? null, files: listed.files.map((f) => path.join(tableDir, f)), columns: listed.columns };
}

/** The rows of an Iceberg snapshot's data files, columns in the table's order (files older than a new column lack it).
 *  Values come from the files only: Iceberg's folder names (region=S%C3%A3o+Paulo) are not Hive's, so no hive_partitioning. */
function icebergSql(snapshot: IcebergSnapshotFiles): string {
  return `SELECT ${snapshot.columns.map(ident).join(', ')} FROM read_parquet([${snapshot.files.map(pathLiteral).join(', ')}], hive_partitioning = false, union_by_name = true)`;
}

/**
 * Views: <ds> over <workdir>/final_output/<ds>/**\/*.parquet (hive partitioning) and <ds>_rejects over
 * <workdir>/quarantine/<ds>/rows/*.jsonl (JSON Lines, one object per row, read with REJECT_COLUMNS' names
 * and types as the rejects table's JSON SerDe does), for every configured dataset (empty views with the
 * right columns when there is no data yet). The views are bound to the files present when this is called.
 */
export async function openLocalTables(workdir: string, config: PipelineConfig): Promise<LocalTables> {
  const root = path.resolve(workdir);
  const tableNames = config.datasets.flatMap((d) => [datasetLayout(d).finalTable, datasetLayout(d).rejectsTable]).join(', ');
  const db = await openDatabase();
  try {
    for (const dataset of config.datasets) {
      const layout = datasetLayout(dataset);
      const plan = planTransform(transformPlan(dataset), []);
      const finalDir = path.join(root, layout.finalPrefix);
      const iceberg = icebergSnapshotFiles(finalDir); // the Spark engine's table: its current snapshot's files
      const parquet = iceberg?.files ?? currentDuckDbFiles(finalDir).files; // the files the manifest names, resolved once (local/engine/manifest.ts)
      const planned = [...plan.dataColumns, ...plan.partitionColumns].map((c) => ({ name: c.name, type: duckdbType(c.type) }));
      let finalSql = emptySelect(planned);
      if (parquet.length) {
        finalSql = iceberg ? icebergSql(iceberg) : finalParquetSql(plan, parquet);
        // Spark may write timestamps as UTC-adjusted (TIMESTAMP WITH TIME ZONE); show every timestamp as plain UTC (the session zone).
        const described = await db.all(`DESCRIBE ${finalSql}`);
        const tz = described.rows.filter((r) => String(r[1]) === 'TIMESTAMP WITH TIME ZONE').map((r) => String(r[0]));
        if (tz.length) finalSql = `SELECT * REPLACE (${tz.map((c) => `CAST(${ident(c)} AS TIMESTAMP) AS ${ident(c)}`).join(', ')}) FROM (${finalSql})`;
      }
      await db.run(`CREATE VIEW ${ident(layout.finalTable)} AS ${finalSql}`);

      const rejectColumns = REJECT_COLUMNS.map((c) => ({ name: c.name, type: duckdbType(c.type) }));
      const rejectFiles = listFiles(path.join(root, layout.rejectedRowsPrefix), REJECTS_FILE_EXTENSION).filter((f) => fs.statSync(f).size > 0);
      const columnsSpec = `{${rejectColumns.map((c) => `${literal(c.name)}: ${literal(c.type)}`).join(', ')}}`;
      const rejectsSql = rejectFiles.length
        ? `SELECT ${rejectColumns.map((c) => ident(c.name)).join(', ')} FROM read_json([${rejectFiles.map(pathLiteral).join(', ')}], format = 'newline_delimited', columns = ${columnsSpec}, auto_detect = false)`
        : emptySelect(rejectColumns);
      await db.run(`CREATE VIEW ${ident(layout.rejectsTable)} AS ${rejectsSql}`);
    }
  } catch (err) {
    db.close();
    throw new Error(`query: cannot open the local tables in ${root}: ${duckDbMessage(err)}; run "csv-pipeline run" to (re)build them; tables: ${tableNames}`);
  }
  return {
    async query(sql: string) {
      try {
        const result = await db.all(sql);
        return { columns: result.columns, rows: result.rows };
      } catch (err) {
        throw new Error(`query failed: ${duckDbMessage(err)}; tables: ${tableNames}`);
      }
    },
    close() {
      db.close();
    },
  };
}
