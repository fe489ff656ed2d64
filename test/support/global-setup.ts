// Jest global setup of the unit and integration tiers: transpiles the sources into dist-test/ for the tests that spawn the CLI.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { REPO_ROOT, SOURCE_DIRS, TEST_BUILD_DIR } from './test-build';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

export default function globalSetup(): void {
  fs.rmSync(TEST_BUILD_DIR, { recursive: true, force: true });
  buildSync({
    entryPoints: SOURCE_DIRS.flatMap((d) => sources(path.join(REPO_ROOT, d))),
    outdir: TEST_BUILD_DIR,
    outbase: REPO_ROOT,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  fs.chmodSync(path.join(TEST_BUILD_DIR, 'cli', 'csv-pipeline.js'), 0o755);
}
