// Reads the pipeline config file and validates it (config/parse.ts); the one module of config/ that touches the file system.
import * as fs from 'node:fs';
import { applyOverrides, ConfigError, DEFAULT_CONFIG_PATH, parsePipelineConfig } from './parse';
import type { PipelineConfig } from './schema';

export * from './parse';

/** Reads, validates and cross-checks a config file. */
export function loadPipelineConfig(file = DEFAULT_CONFIG_PATH, overrides: Record<string, unknown> = {}): PipelineConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      { path: '(file)', message: `cannot be read (${(err as Error).message}); pass an existing file with -c config=PATH or --config PATH` },
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: `is not valid JSON: ${(err as Error).message}` }]);
  }
  return parsePipelineConfig(applyOverrides(raw, overrides), file);
}
