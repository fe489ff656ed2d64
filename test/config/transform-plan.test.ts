// The TransformPlan is built once from the validated config, is plain JSON, and is the only thing the engines read:
// its generated copies (the Python module's constants block, the Python tests' specs) must be current.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetJobSpec } from '../../config/job-spec';
import { ConfigError, loadPipelineConfig, parsePipelineConfig } from '../../config/load';
import {
  generatedConstantsOf,
  PIPELINE_CONSTANTS_MODULE,
  pipelineConstantsJson,
  TRANSFORM_PLAN_KIND,
  TRANSFORM_PLAN_VERSION,
  transformPlan,
} from '../../config/transform-plan';
import { builtSpecText, BUILT_DIR, configuredSpecs, SPECS_DIR } from '../../glue-scripts/tests/fixtures/make_specs';

const root = path.join(__dirname, '..', '..');
const config = loadPipelineConfig(path.join(root, 'pipeline.config.json'));

describe('TransformPlan', () => {
  test('it is serialisable: JSON round-trips it unchanged, and the job spec is the plan', () => {
    for (const dataset of config.datasets) {
      const plan = transformPlan(dataset);
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
      expect(datasetJobSpec(dataset)).toEqual(plan);
      expect([plan.kind, plan.version]).toEqual([TRANSFORM_PLAN_KIND, TRANSFORM_PLAN_VERSION]);
    }
  });

  test("it holds the columns, casts, renames, parsed trees with each engine's SQL, filter, select, key, partitioning, names and schema", () => {
    const plan = transformPlan(config.datasets.find((d) => d.name === 'signups')!);
    expect(plan.columns[0]).toEqual({ name: 'id', configType: 'integer', type: 'bigint', finalName: 'user_id' });
    expect(plan.derive[0]).toMatchObject({ name: 'signup_month', type: 'string', text: 'substr(cast(signup_date as string), 1, 7)' });
    expect(plan.derive[0].tree).toMatchObject({ kind: 'cast', to: 'string' });
    expect(plan.derive[0].sql.duckdb).toContain('"signup_date"');
    expect(plan.derive[0].sql.spark).toContain('`signup_date`');
    expect(plan.filter?.sql.spark).toContain('`signup_date`');
    expect(plan.key).toEqual(['id']);
    expect(plan.finalKey).toEqual(['user_id']);
    expect(plan.partitionBy).toEqual(['signup_month']);
    expect(plan.names.lineage).toEqual({ sourceFile: 'source_file', ingestedAt: 'ingested_at' });
    expect(Object.values(plan.names.internal).every((n) => n.startsWith('__'))).toBe(true);
    expect(plan.finalSchema.partitionColumns).toEqual([{ name: 'signup_month', type: 'string' }]);
  });

  test("a dataset changed after loading is refused with the config loader's messages, not planned", () => {
    const dataset = structuredClone(config.datasets[0]);
    dataset.transforms.select = [...(dataset.transforms.select ?? []), 'country'];
    dataset.transforms.filter = 'full_name';
    let error: unknown;
    try {
      transformPlan(dataset);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/transforms\.select\[6\]: is not a column after rename and derive; known columns: user_id/);
    expect((error as Error).message).toMatch(/transforms\.filter: a filter must be a condition \(boolean\)/);
  });
});

describe('generated copies for the Python side are current', () => {
  test(`${PIPELINE_CONSTANTS_MODULE}'s constants block (run \`npm run gen:constants\`)`, () => {
    const text = fs.readFileSync(path.join(root, PIPELINE_CONSTANTS_MODULE), 'utf8');
    expect(generatedConstantsOf(text)).toBe(pipelineConstantsJson());
  });

  test('the committed specs of glue-scripts/tests/fixtures (run `npm run gen:specs`)', () => {
    for (const [name, text] of configuredSpecs()) expect(fs.readFileSync(path.join(SPECS_DIR, name), 'utf8')).toBe(text);
    const built = fs.existsSync(BUILT_DIR) ? fs.readdirSync(BUILT_DIR).filter((f) => f.endsWith('.json')) : [];
    for (const name of built) {
      const stored = fs.readFileSync(path.join(BUILT_DIR, name), 'utf8');
      expect({ name, text: builtSpecText(JSON.parse(stored).dataset) }).toEqual({ name, text: stored });
    }
  });

  test('a test dataset goes through the loader: its defaults are filled and its problems refused', () => {
    expect(() => parsePipelineConfig({ datasets: [{ name: 't', columns: [{ name: 'source_file', type: 'string' }] }] })).toThrow(
      /columns\[0\]\.name: "source_file" is reserved for lineage/,
    );
  });
});
