// Bundles lambda/handler.ts the way the CDK app does (esbuild, node, minified, source map, config inlined), for the cold-start bench and the bundle test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

export const HANDLER_ENTRY = path.join(__dirname, '..', '..', 'lambda', 'handler.ts');

export interface HandlerBundle {
  /** The bundled handler (CommonJS, exports `handler`). */
  readonly file: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
}

/**
 * Bundles the handler into `outDir/index.js` with NodejsFunction's options (platform node, CommonJS,
 * minify, source map) and the validated config inlined through `define`, as lib/ingest.ts does.
 * `externalSdk`: leave @aws-sdk/* out, as NodejsFunction does by default for Node 18+ runtimes.
 */
export async function bundleHandler(
  outDir: string,
  configJson: string,
  options: { entry?: string; externalSdk?: boolean; target?: string } = {},
): Promise<HandlerBundle> {
  const entry = options.entry ?? findEntry();
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'index.js');
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: options.target ?? 'node22',
    minify: true,
    sourcemap: true,
    external: options.externalSdk ? ['@aws-sdk/*'] : [],
    define: { 'process.env.PIPELINE_CONFIG_JSON': JSON.stringify(configJson) },
    logLevel: 'error',
  });
  return { file, bytes: fs.statSync(file).size, sourceMapBytes: fs.statSync(`${file}.map`).size };
}

/** lambda/handler.ts from the repository root, whether this runs from bench/ (ts-node, jest) or dist/bench/ (tsc output). */
function findEntry(): string {
  for (const candidate of [path.join(__dirname, '..', 'lambda', 'handler.ts'), HANDLER_ENTRY]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`lambda/handler.ts not found near ${__dirname}; run from the repository (npm run build && node dist/bench/cold-start.js)`);
}
