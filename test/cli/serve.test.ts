// `csv-pipeline serve` against hostile requests sent as raw bytes: a NUL in the path and a foreign Host get an answer, and the server keeps serving.
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAllowedHost, resolveRequestPath, serveFolder } from '../../cli/commands/serve';

/** Sends raw request bytes and resolves with everything the server answered before closing. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(request); // not end(): a half-closed socket may be dropped before the answer
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);

describe('serve', () => {
  let dir: string;
  let server: http.Server;
  let port: number;
  const get = (target: string, host = `127.0.0.1:${port}`) => rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csvp-serve-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<h1>dashboard</h1>');
    server = await serveFolder(dir, 0);
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the dashboard to the loopback names with its port', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const answer = await get('/', host);
      expect([host, statusOf(answer)]).toEqual([host, 200]);
      expect(answer).toContain('<h1>dashboard</h1>');
    }
  });

  it('answers 400 to a NUL in the path (encoded or raw) and keeps serving', async () => {
    expect(statusOf(await get('/%00'))).toBe(400);
    expect(statusOf(await get('/index.html%00.png'))).toBe(400);
    expect(statusOf(await rawRequest(port, `GET /a\0b HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`))).toBe(400);
    const after = await get('/');
    expect(statusOf(after)).toBe(200);
    expect(after).toContain('<h1>dashboard</h1>');
  });

  it('answers 403 to a Host that is not this server (DNS rebinding), a missing Host or another port, and keeps serving', async () => {
    const evil = await get('/', 'evil.example');
    expect(statusOf(evil)).toBe(403);
    expect(evil).not.toContain('<h1>dashboard</h1>');
    expect(statusOf(await get('/', `evil.example:${port}`))).toBe(403);
    expect(statusOf(await get('/', `127.0.0.1:${port + 1}`))).toBe(403);
    expect(statusOf(await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n'))).toBe(403);
    expect(statusOf(await get('/'))).toBe(200);
  });

  it('still refuses paths outside the folder and hidden files', () => {
    expect(resolveRequestPath(dir, '/../secret')).toEqual({ file: path.join(dir, 'secret') });
    expect(resolveRequestPath(dir, '/..%2fsecret')).toMatchObject({ status: 404 });
    expect(resolveRequestPath(dir, '/.lock')).toMatchObject({ status: 404 });
    expect(resolveRequestPath(dir, '/%E0%A4%A')).toMatchObject({ status: 400 });
    expect(isAllowedHost(undefined, 8080)).toBe(false);
    expect(isAllowedHost('127.0.0.1', 8080)).toBe(false);
  });
});
