// The transform spec the Spark job receives (the Glue job argument --dataset_spec on AWS, a file locally): the
// dataset's TransformPlan (config/transform-plan.ts), built in one place so that both carry the same plan.
import type { DatasetConfig } from './schema';
import { type TransformPlan, transformPlan } from './transform-plan';

export type DatasetJobSpec = TransformPlan;

/** The dataset's TransformPlan as the job argument / spec file holds it (JSON.stringify it). */
export function datasetJobSpec(dataset: DatasetConfig): DatasetJobSpec {
  return transformPlan(dataset);
}
