// `csv-pipeline serve`: serves the local dashboard folder on 127.0.0.1 (generating the page first when it is missing).
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { DEFAULT_CONFIG_PATH, loadPipelineConfig } from '../../lib/config/load';
import { DASHBOARD_KEY, generateDashboard } from '../../local/dashboard/generate';
import { DEFAULT_WORKDIR, LocalObjectStore } from '../../local/store';
import { parseCommandArgs } from '../args';

const USAGE = `usage: csv-pipeline serve [--workdir DIR] [--port N] [--config FILE] [--regenerate]

Serves <workdir>/dashboard/ on http://127.0.0.1:PORT/ (default port 8080; 0 picks a free one).
The page is generated first when it does not exist yet, or always with --regenerate.`;

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

/** A static file server for one folder, bound to the loopback interface only. */
export function serveFolder(root: string, port: number): Promise<http.Server> {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = path.resolve(base, `.${pathname.endsWith('/') ? `${pathname}index.html` : pathname}`);
    if (!file.startsWith(base + path.sep) || path.basename(file).startsWith('.')) {
      res.writeHead(404).end('not found');
      return;
    }
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${pathname}`);
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs({ name: 'serve', usage: USAGE }, argv, {
    options: {
      workdir: { type: 'string', short: 'w' },
      port: { type: 'string', short: 'p' },
      config: { type: 'string', short: 'c' },
      regenerate: { type: 'boolean' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const port = Number(values.port ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`csv-pipeline serve: --port must be a whole number from 0 to 65535 (got "${values.port}")`);
    return 2;
  }
  const store = new LocalObjectStore(values.workdir ?? DEFAULT_WORKDIR);
  if (values.regenerate || !store.exists(DASHBOARD_KEY)) {
    const config = loadPipelineConfig(values.config ?? DEFAULT_CONFIG_PATH);
    await generateDashboard({ config, workdir: store.root });
  }
  let server: http.Server;
  try {
    server = await serveFolder(store.pathOf('dashboard/'), port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    console.error(`csv-pipeline serve: cannot listen on 127.0.0.1:${port} (${e.code ?? e.message}); pick another port with --port, or --port 0 for any free one`);
    return 1;
  }
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  // The line tests and scripts read to find the server.
  console.log(`Serving ${store.pathOf(DASHBOARD_KEY)} at http://127.0.0.1:${actualPort}/ (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
}
