// Starts moto's S3 server on a free 127.0.0.1 port for tests that need a real S3 API, and stops it afterwards.
// bench/cold-start.ts imports it too: tsconfig.build.json compiles it through that import although it excludes test/.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';

/** The region moto's server, its clients and a handler pointed at it all use. */
const MOTO_REGION = 'us-east-1';
/** Dummy credentials: moto accepts any, but the SDK signs every request and needs some. */
const MOTO_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface MotoServer {
  /** e.g. http://127.0.0.1:40123 */
  readonly endpoint: string;
  readonly port: number;
  /** A client pointed at the server: path-style URLs, dummy credentials, us-east-1. */
  client(): S3Client;
  /**
   * The variables the CDK app gives the preprocessing Lambda (PROCESSED_BUCKET, POWERTOOLS_SERVICE_NAME, here "csv-pipeline"),
   * with S3 pointed at this server through AWS_ENDPOINT_URL_S3 (which the SDK reads natively), its region and dummy credentials.
   */
  lambdaEnvironment(processedBucket: string): Record<string, string>;
  /** Drops every bucket and object (moto's reset API), so tests do not see each other's data. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** The command that runs moto's server: `moto_server` when on PATH, else `python3 -m moto.server`. */
function motoCommand(): { command: string; args: string[] } {
  if (spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0) return { command: 'moto_server', args: [] };
  if (spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0) return { command: 'python3', args: ['-m', 'moto.server'] };
  throw new Error('moto server is not installed: run `pip install "moto[server]"` (it is in requirements-dev.txt)');
}

/** The dummy credentials as the SDK reads them from the environment. */
function credentialsEnvironment(): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto server exited with code ${child.exitCode} before it was ready:\n${output()}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto server did not answer on ${endpoint} within ${timeoutMs} ms:\n${output()}`);
}

/** Starts a fresh moto server; call stop() in afterAll. */
export async function startMoto(timeoutMs = 30000): Promise<MotoServer> {
  const { command, args } = motoCommand();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(command, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...credentialsEnvironment(), AWS_DEFAULT_REGION: MOTO_REGION },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitUntilUp(endpoint, child, () => output, timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const clients: S3Client[] = [];
  return {
    endpoint,
    port,
    client() {
      const client = new S3Client({ endpoint, region: MOTO_REGION, forcePathStyle: true, credentials: MOTO_CREDENTIALS });
      clients.push(client);
      return client;
    },
    lambdaEnvironment(processedBucket) {
      return {
        PROCESSED_BUCKET: processedBucket,
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_REGION: MOTO_REGION,
        ...credentialsEnvironment(),
        POWERTOOLS_SERVICE_NAME: 'csv-pipeline',
      };
    },
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    async stop() {
      for (const client of clients) client.destroy();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}
