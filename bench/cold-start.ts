// Reports the bundled handler's size and its cold start (require + first call on a small object) against moto's S3 server.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { loadPipelineConfig } from '../config/load';
import { startMoto } from '../test/support/moto';
import { bundleHandler } from './cold-start-bundle';

const RUNS = Number(process.env.COLD_START_RUNS ?? 7);
const RAW_BUCKET = 'bench-raw';
const PROCESSED_BUCKET = 'bench-processed';

/** Runs in a fresh node process: the time to require the bundle, then to answer a first and a second event. */
const CHILD = `
const t0 = process.hrtime.bigint();
const { handler } = require(process.env.BUNDLE_FILE);
const t1 = process.hrtime.bigint();
const events = JSON.parse(process.env.BENCH_EVENTS);
(async () => {
  const first = await handler(events[0], { functionName: 'cold-start-bench', awsRequestId: 'r1' });
  const t2 = process.hrtime.bigint();
  const second = await handler(events[1], { functionName: 'cold-start-bench', awsRequestId: 'r2' });
  const t3 = process.hrtime.bigint();
  const ms = (a, b) => Number(b - a) / 1e6;
  process.stderr.write('COLD_START ' + JSON.stringify({ requireMs: ms(t0, t1), firstCallMs: ms(t1, t2), warmCallMs: ms(t2, t3), first, second }) + '\\n');
})().catch((err) => { console.error(err); process.exit(1); });
`;

interface Sample {
  requireMs: number;
  firstCallMs: number;
  warmCallMs: number;
}

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'pipeline.config.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`pipeline.config.json not found above ${__dirname}; run from the repository`);
    dir = parent;
  }
  return dir;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function sqsEventFor(key: string): unknown {
  const body = { version: '0', 'detail-type': 'Object Created', source: 'aws.s3', detail: { bucket: { name: RAW_BUCKET }, object: { key } } };
  return { Records: [{ messageId: key, eventSource: 'aws:sqs', body: JSON.stringify(body) }] };
}

async function main(): Promise<void> {
  const root = repoRoot();
  const configJson = JSON.stringify(loadPipelineConfig(path.join(root, 'pipeline.config.json')));
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cold-start-'));
  const full = await bundleHandler(path.join(outDir, 'full'), configJson);
  const lean = await bundleHandler(path.join(outDir, 'external-sdk'), configJson, { externalSdk: true });
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  console.log('Handler bundle (esbuild: platform node, target node22, minify, source map, config inlined by define)');
  console.log(`  everything bundled:        ${kb(full.bytes)} (source map ${kb(full.sourceMapBytes)})`);
  console.log(`  @aws-sdk/* left external:  ${kb(lean.bytes)} (source map ${kb(lean.sourceMapBytes)})`);

  const moto = await startMoto();
  try {
    const s3 = moto.client();
    await s3.send(new CreateBucketCommand({ Bucket: RAW_BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: RAW_BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new CreateBucketCommand({ Bucket: PROCESSED_BUCKET }));
    const sample = fs.readFileSync(path.join(root, 'sample-data', 'signups.csv'));
    const samples: Sample[] = [];
    for (let run = 0; run < RUNS; run++) {
      const keys = [`raw/signups/cold-${run}-a.csv`, `raw/signups/cold-${run}-b.csv`];
      for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: RAW_BUCKET, Key, Body: sample }));
      const child = spawnSync(process.execPath, ['-e', CHILD], {
        encoding: 'utf8',
        env: {
          ...process.env,
          BUNDLE_FILE: full.file,
          BENCH_EVENTS: JSON.stringify(keys.map(sqsEventFor)),
          ...moto.lambdaEnvironment(PROCESSED_BUCKET),
          POWERTOOLS_LOG_LEVEL: 'WARN',
          POWERTOOLS_METRICS_DISABLED: 'true',
        },
      });
      const line = child.stderr.split('\n').find((l) => l.startsWith('COLD_START '));
      if (child.status !== 0 || !line) throw new Error(`cold-start run ${run} failed (exit ${child.status}):\n${child.stderr}\n${child.stdout}`);
      const result = JSON.parse(line.slice('COLD_START '.length));
      if (result.first.batchItemFailures.length || result.second.batchItemFailures.length)
        throw new Error(`run ${run}: the handler reported failures: ${line}`);
      samples.push(result);
    }
    const reports = await s3.send(new ListObjectsV2Command({ Bucket: PROCESSED_BUCKET, Prefix: 'reports/signups/' }));
    if (reports.KeyCount !== 2 * RUNS)
      throw new Error(`expected ${2 * RUNS} reports in the processed bucket, found ${reports.KeyCount}: the handler did not process every object`);
    const requireMs = median(samples.map((s) => s.requireMs));
    const firstCallMs = median(samples.map((s) => s.firstCallMs));
    const warmCallMs = median(samples.map((s) => s.warmCallMs));
    console.log(`Cold start against moto (${RUNS} fresh node ${process.version} processes, medians; sample-data/signups.csv, ${sample.length} bytes)`);
    console.log(`  require(bundle):           ${requireMs.toFixed(1)} ms`);
    console.log(`  first handler call:        ${firstCallMs.toFixed(1)} ms`);
    console.log(`  cold start (sum):          ${(requireMs + firstCallMs).toFixed(1)} ms`);
    console.log(`  second (warm) call:        ${warmCallMs.toFixed(1)} ms`);
    console.log('  (moto answers on 127.0.0.1: real S3 adds its network latency; Lambda adds its own init of the runtime.)');
  } finally {
    await moto.stop();
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
