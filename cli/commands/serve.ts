// `csv-pipeline serve`: serves the local dashboard folder on 127.0.0.1 (generating the page first when it is missing).
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { DEFAULT_CONFIG_PATH, loadPipelineConfig } from '../../config/load';
import { DASHBOARD_KEY, generateDashboard } from '../../local/dashboard/generate';
import { LocalObjectStore } from '../../local/store';
import { parseCommandArgs, parseExistingWorkdir } from '../args';

const USAGE = `usage: csv-pipeline serve [--workdir DIR] [--port N] [--config FILE] [--regenerate]

Serves <workdir>/dashboard/ on http://127.0.0.1:PORT/ (default port 8080; 0 picks a free one).
The page is generated first when it does not exist yet, or always with --regenerate. A --workdir that
does not exist is refused (exit 2): run "csv-pipeline run" first.
Only requests addressed to 127.0.0.1:PORT, localhost:PORT or [::1]:PORT (the Host header) are answered;
others get 403, so a web page cannot read the dashboard through a name of its own (DNS rebinding).`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The Host header values a browser sends for this server: the loopback address or name with the port it listens on. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
}

/**
 * Whether a request's Host header names this server. Anything else (another name resolving to 127.0.0.1,
 * as a DNS-rebinding page does, or no Host at all) is refused, so other sites cannot read the dashboard.
 */
export function isAllowedHost(host: string | undefined, port: number): boolean {
  return host !== undefined && allowedHosts(port).includes(host.trim().toLowerCase());
}

export type Resolved = { readonly file: string } | { readonly status: 400 | 404; readonly message: string };

/**
 * The file a request URL names inside `base`, or the status to answer: 400 for a URL that does not decode
 * or holds a NUL (the file system would throw on it), 404 for a path outside `base` or a hidden file.
 */
export function resolveRequestPath(base: string, url: string): Resolved {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://127.0.0.1').pathname);
  } catch {
    return { status: 400, message: 'bad request: the URL does not decode' };
  }
  if (pathname.includes('\0')) return { status: 400, message: 'bad request: NUL byte in the path' };
  const file = path.resolve(base, `.${pathname.endsWith('/') ? `${pathname}index.html` : pathname}`);
  if (!file.startsWith(base + path.sep) || path.basename(file).startsWith('.')) return { status: 404, message: 'not found' };
  return { file };
}

function handle(base: string, port: () => number, req: http.IncomingMessage, res: http.ServerResponse): void {
  const text = { 'content-type': 'text/plain; charset=utf-8' };
  if (!isAllowedHost(req.headers.host, port())) {
    res.writeHead(403, text).end(`forbidden: Host ${JSON.stringify(req.headers.host ?? '')} is not this server; open http://127.0.0.1:${port()}/\n`);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const resolved = resolveRequestPath(base, req.url ?? '/');
  if ('status' in resolved) {
    res.writeHead(resolved.status, text).end(resolved.message);
    return;
  }
  fs.readFile(resolved.file, (err, body) => {
    if (err) {
      res.writeHead(404, text).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(resolved.file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}

/** A static file server for one folder, bound to the loopback interface only; one bad request never stops it. */
export function serveFolder(root: string, port: number): Promise<http.Server> {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    try {
      handle(base, () => (server.address() as { port: number }).port, req, res);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    }
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
  const workdir = parseExistingWorkdir({ name: 'serve', usage: USAGE }, values.workdir);
  if (typeof workdir === 'number') return workdir;
  const store = new LocalObjectStore(workdir);
  if (values.regenerate || !store.exists(DASHBOARD_KEY)) {
    const config = loadPipelineConfig(values.config ?? DEFAULT_CONFIG_PATH);
    await generateDashboard({ config, workdir: store.root });
  }
  let server: http.Server;
  try {
    server = await serveFolder(store.pathOf('dashboard/'), port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    console.error(
      `csv-pipeline serve: cannot listen on 127.0.0.1:${port} (${e.code ?? e.message}); pick another port with --port, or --port 0 for any free one`,
    );
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
