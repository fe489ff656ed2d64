// Regenerates pipeline.config.schema.json from the zod schema (npm run config:schema).
import * as fs from 'node:fs';
import { CONFIG_JSON_SCHEMA_FILE, pipelineConfigJsonSchema } from '../config/json-schema';

fs.writeFileSync(CONFIG_JSON_SCHEMA_FILE, pipelineConfigJsonSchema());
console.log(`wrote ${CONFIG_JSON_SCHEMA_FILE}`);
