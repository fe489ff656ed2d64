// The config's JSON Schema, generated from the zod schema, so editors can check and complete pipeline.config.json.
import { z } from 'zod';
import { PipelineConfigSchema } from './schema';

/** File name of the generated schema, referenced by `$schema` in pipeline.config.json. */
export const CONFIG_JSON_SCHEMA_FILE = 'pipeline.config.schema.json';

/** The JSON Schema (draft 2020-12) of the config as users write it (defaults optional). */
export function pipelineConfigJsonSchema(): string {
  const schema = z.toJSONSchema(PipelineConfigSchema, { io: 'input' });
  return `${JSON.stringify({ ...schema, title: 'serverless-csv-pipeline config' }, null, 2)}\n`;
}
