// The committed JSON Schema must match the zod schema, or editors would validate against stale rules.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_JSON_SCHEMA_FILE, pipelineConfigJsonSchema } from '../../config/json-schema';

const root = path.join(__dirname, '..', '..');

test('pipeline.config.schema.json is up to date (run `npm run config:schema` after changing config/schema.ts)', () => {
  const committed = fs.readFileSync(path.join(root, CONFIG_JSON_SCHEMA_FILE), 'utf8');
  expect(committed).toBe(pipelineConfigJsonSchema());
});

test('the default config points editors at the schema', () => {
  const config = JSON.parse(fs.readFileSync(path.join(root, 'pipeline.config.json'), 'utf8'));
  expect(config.$schema).toBe(`./${CONFIG_JSON_SCHEMA_FILE}`);
});

test('the schema rejects what the loader rejects: an unknown column type is not in the enum', () => {
  const schema = JSON.parse(pipelineConfigJsonSchema());
  const columnType = schema.properties.datasets.items.properties.columns.items.properties.type;
  expect(columnType.enum).toEqual(['string', 'integer', 'decimal', 'boolean', 'date', 'timestamp', 'email', 'enum']);
});
