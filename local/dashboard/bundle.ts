// Bundles the chart library (vega, vega-lite, vega-embed from node_modules) into one script for the self-contained page.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGES = ['vega', 'vega-lite', 'vega-embed', 'esbuild'] as const;

/** The node_modules folder that holds the chart packages, searched upwards from this module. */
export function findNodeModules(from = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'node_modules');
    if (fs.existsSync(path.join(candidate, 'vega-embed', 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`vega-embed is not installed (searched node_modules above ${from}); run "npm ci" in the project folder to install the chart library`);
    }
    dir = parent;
  }
}

function versionOf(nodeModules: string, name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(nodeModules, name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

/**
 * The minified browser bundle that defines `window.vegaEmbed`. Built once with esbuild and cached in
 * node_modules/.cache (keyed by the package versions), so later dashboards take milliseconds.
 */
export async function chartLibraryBundle(): Promise<string> {
  const nodeModules = findNodeModules();
  const versions = PACKAGES.map((p) => `${p}@${versionOf(nodeModules, p)}`).join(',');
  const cacheDir = path.join(nodeModules, '.cache', 'csv-pipeline');
  const cacheFile = path.join(cacheDir, `chart-library-${createHash('sha256').update(versions).digest('hex').slice(0, 12)}.js`);
  if (fs.existsSync(cacheFile)) return fs.readFileSync(cacheFile, 'utf8');

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require(path.join(nodeModules, 'esbuild')) as typeof import('esbuild');
  const result = await esbuild.build({
    stdin: {
      contents: "import embed from 'vega-embed';\nwindow.vegaEmbed = embed;\n",
      resolveDir: path.dirname(nodeModules),
      loader: 'js',
    },
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const code = result.outputFiles[0].text;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const temp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, code);
    fs.renameSync(temp, cacheFile);
  } catch {
    // A read-only node_modules only costs the bundling time on the next dashboard.
  }
  return code;
}
