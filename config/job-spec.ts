// The transform spec the Spark job receives (a Glue job argument on AWS, a file locally): built in one place, so that
// both carry the same dataset, final schema and the Spark SQL generated from the checked expression trees.
import { type ExpressionsSql, expressionsSql } from './expression';
import { type FinalSchema, finalSchema } from './layout';
import type { DatasetConfig } from './schema';

export interface DatasetJobSpec {
  readonly dataset: DatasetConfig;
  readonly finalSchema: FinalSchema;
  /** `transforms.derive` (each cast to its type) and `transforms.filter` as Spark SQL; the job runs these, never the config's text. */
  readonly sparkSql: ExpressionsSql;
}

export function datasetJobSpec(dataset: DatasetConfig): DatasetJobSpec {
  return { dataset, finalSchema: finalSchema(dataset), sparkSql: expressionsSql(dataset, 'spark') };
}
