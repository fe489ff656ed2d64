// The TransformPlan: everything an engine needs to transform one dataset, computed once from the validated config and
// stored as JSON (the Glue job argument --dataset_spec on AWS, a spec file for local_job.py, in memory for DuckDB).
//
// Both engines execute it without checking it again: the checks live in the config loader (config/parse.ts); a plan
// built from a dataset that did not pass them is refused here, with the loader's messages.
import { INTERNAL_COLUMNS, LINEAGE_NAMES } from './column-names';
import { compileDatasetExpressions, type Engine, type Expr, expressionSql } from './expression';
import { columnSqlType, type FinalSchema, finalSchema, SQL_TYPE_OF, type SqlType } from './layout';
import { ConfigError, datasetProblems } from './parse';
import { CAST_TYPES, type ColumnType, type DatasetConfig } from './schema';

/** What the JSON says it is; a reader refuses any other kind or version with one message naming datasetJobSpec. */
export const TRANSFORM_PLAN_KIND = 'datasetJobSpec';
export const TRANSFORM_PLAN_VERSION = 2;

/** The type an undeclared column (extraColumns "keep") has in the transform: processed files hold text. */
export const UNDECLARED_TYPE: SqlType = 'string';

/** A declared column: its name in the processed files, its config type, the SQL type it is cast to, its name after rename. */
export interface PlanColumn {
  readonly name: string;
  readonly configType: ColumnType;
  readonly type: SqlType;
  readonly finalName: string;
}

/** A checked expression: the config's text (for messages), its typed tree and the SQL generated from it per engine. */
export interface PlanExpression {
  readonly text: string;
  readonly tree: Expr;
  readonly sql: Readonly<Record<Engine, string>>;
}

export interface PlanDerive extends PlanExpression {
  readonly name: string;
  /** The column's type; `tree` and `sql` already cast to it. */
  readonly type: SqlType;
}

/** The names every engine uses alike: the lineage columns it adds and its internal per-row columns. */
export interface PlanNames {
  readonly lineage: { readonly sourceFile: string; readonly ingestedAt: string };
  readonly internal: typeof INTERNAL_COLUMNS;
  readonly undeclaredType: SqlType;
}

export interface TransformPlan {
  readonly kind: typeof TRANSFORM_PLAN_KIND;
  readonly version: typeof TRANSFORM_PLAN_VERSION;
  /** The dataset's name. */
  readonly dataset: string;
  /** What the Lambda did with the files' other columns: only "keep" lets undeclared columns reach the transform. */
  readonly extraColumns: DatasetConfig['extraColumns'];
  /** Declared columns, in config order (step 1, cast; step 2, rename). */
  readonly columns: readonly PlanColumn[];
  /** transforms.rename (old -> new; declared columns only) and transforms.cast (explicit casts), as the config has them. */
  readonly rename: Readonly<Record<string, string>>;
  readonly cast: Readonly<Record<string, SqlType>>;
  /** Step 3: derived columns, in order; each sees the renamed columns and the derived columns before it. */
  readonly derive: readonly PlanDerive[];
  /** Step 4: rows for which it is not true are dropped. */
  readonly filter?: PlanExpression;
  /** Step 5: the final data columns, in order; absent: all of them. */
  readonly select?: readonly string[];
  /** Step 6: the key as the config and the Lambda name it, and after rename (what the engines dedupe on). */
  readonly key: readonly string[];
  readonly finalKey: readonly string[];
  readonly partitionBy: readonly string[];
  readonly names: PlanNames;
  /** The output schema: the final table's data and partition columns, in order (undeclared columns not included). */
  readonly finalSchema: FinalSchema;
}

/** The lineage and internal names the engines share (also generated into glue-scripts/pipeline_transforms.py). */
export const PLAN_NAMES: PlanNames = {
  lineage: { sourceFile: LINEAGE_NAMES[0], ingestedAt: LINEAGE_NAMES[1] },
  internal: INTERNAL_COLUMNS,
  undeclaredType: UNDECLARED_TYPE,
};

/** The constants glue-scripts/pipeline_transforms.py reads from its generated block (scripts/write-pipeline-constants.ts). */
export function pipelineConstants(): Record<string, unknown> {
  return {
    planKind: TRANSFORM_PLAN_KIND,
    planVersion: TRANSFORM_PLAN_VERSION,
    ...PLAN_NAMES,
    lineageColumns: LINEAGE_NAMES,
    sqlTypeOf: SQL_TYPE_OF,
    castTypes: CAST_TYPES,
  };
}

function expression(text: string, tree: Expr): PlanExpression {
  return { text, tree, sql: { duckdb: expressionSql(tree, 'duckdb'), spark: expressionSql(tree, 'spark') } };
}

/**
 * The plan of a validated dataset. Throws the config loader's ConfigError when the dataset does not pass its
 * checks (a DatasetConfig changed after loading, say): the plan is never built from an unchecked config.
 */
export function transformPlan(dataset: DatasetConfig): TransformPlan {
  const problems = datasetProblems(dataset);
  if (problems.length) throw new ConfigError(`dataset "${dataset.name}" (checked when its TransformPlan is built)`, problems);
  const t = dataset.transforms;
  const { expressions } = compileDatasetExpressions(dataset);
  const texts = new Map(t.derive.map((d) => [d.name, d.expr]));
  return {
    kind: TRANSFORM_PLAN_KIND,
    version: TRANSFORM_PLAN_VERSION,
    dataset: dataset.name,
    extraColumns: dataset.extraColumns,
    columns: dataset.columns.map((c) => ({
      name: c.name,
      configType: c.type,
      type: t.cast[c.name] ?? columnSqlType(c),
      finalName: t.rename[c.name] ?? c.name,
    })),
    rename: { ...t.rename },
    cast: { ...t.cast },
    derive: expressions.derive.map((d) => ({ name: d.name, type: d.type, ...expression(texts.get(d.name)!, d.tree) })),
    ...(expressions.filter && t.filter !== undefined ? { filter: expression(t.filter, expressions.filter) } : {}),
    ...(t.select ? { select: [...t.select] } : {}),
    key: [...dataset.key],
    finalKey: dataset.key.map((k) => t.rename[k] ?? k),
    partitionBy: [...t.partitionBy],
    names: PLAN_NAMES,
    finalSchema: finalSchema(dataset),
  };
}

/** The module whose generated block holds pipelineConstants() (repository-relative). */
export const PIPELINE_CONSTANTS_MODULE = 'glue-scripts/pipeline_transforms.py';
const BLOCK_OPEN = '_CONSTANTS = json.loads(r"""';
const BLOCK_CLOSE = '""")';

/** The constants JSON as the generated block holds it. */
export function pipelineConstantsJson(): string {
  return `\n${JSON.stringify(pipelineConstants(), null, 2)}\n`;
}

/** The generated block's JSON in the module's text (undefined when the block is missing). */
export function generatedConstantsOf(moduleText: string): string | undefined {
  const start = moduleText.indexOf(BLOCK_OPEN);
  if (start < 0) return undefined;
  const end = moduleText.indexOf(BLOCK_CLOSE, start + BLOCK_OPEN.length);
  return end < 0 ? undefined : moduleText.slice(start + BLOCK_OPEN.length, end);
}

/** The module's text with its generated block rewritten from pipelineConstants(). */
export function withGeneratedConstants(moduleText: string): string {
  const start = moduleText.indexOf(BLOCK_OPEN);
  const current = generatedConstantsOf(moduleText);
  if (current === undefined) throw new Error(`${PIPELINE_CONSTANTS_MODULE}: no generated block ${BLOCK_OPEN}...${BLOCK_CLOSE} to rewrite`);
  const from = start + BLOCK_OPEN.length;
  return moduleText.slice(0, from) + pipelineConstantsJson() + moduleText.slice(from + current.length);
}
