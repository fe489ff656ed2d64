// The CLI as the tests spawn it: every TypeScript source transpiled once per jest run (esbuild, no type check: tsc
// does that in `npm run build`) into dist-test/, which mirrors dist/. Spawning node on plain JS instead of
// `-r ts-node/register` saves 1-3 CPU-seconds per spawned CLI (ts-node recompiles every module in each process).
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const TEST_BUILD_DIR = path.join(REPO_ROOT, 'dist-test');
/** The CLI entry point to spawn with `process.execPath`. */
export const CLI_ENTRY = path.join(TEST_BUILD_DIR, 'cli', 'csv-pipeline.js');
/** The source folders the CLI is built from. */
export const SOURCE_DIRS = ['cli', 'config', 'lambda', 'lib', 'local'];
