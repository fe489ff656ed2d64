// Benchmark: the local pipeline end to end (DuckDB engine) on 1,000,000 generated sign-up rows, time per stage and total.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPipelineConfig } from '../config/load';
import { runLocalPipeline } from '../local/pipeline';
import { formatDuration, formatRate, silentProgress } from '../local/progress';
import { prng } from './prng';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const TARGET_MS = 10_000;
const ROOT = path.resolve(__dirname, '..', '..');
const BENCH_DIR = path.join(ROOT, '.bench', 'local-pipeline');

const FIRST = ['Ada', 'Ben', 'Carla', 'Dmitri', 'Eve', 'Fatima', 'Goran', 'Hiro', 'Inès', 'Jamal', 'Kai', 'Lena', 'Mateo', 'Nia', 'Oskar', 'Priya'];
const LAST = ['Smith', 'Gómez', 'Tanaka', 'Okafor', 'Müller', 'Nguyen', 'Rossi', "O'Brien", 'Kowalski', 'Haddad', 'Lee, Jr.', 'Novak'];
const STATUS = ['active', 'active', 'active', 'inactive', 'pending', 'ACTIVE', 'Pending'];

/** Writes ROWS sign-ups in the sample's layout; about 2% break one rule each (e-mail, date, enum, integer, required, field count). */
export function generateSignups(file: string, rows: number): { invalid: number } {
  const random = prng(20241109);
  const fd = fs.openSync(file, 'w');
  let buffer = 'id,name,email,signup_date,status\n';
  let invalid = 0;
  const start = Date.UTC(2023, 0, 1);
  for (let i = 1; i <= rows; i++) {
    const first = FIRST[Math.floor(random() * FIRST.length)];
    const last = LAST[Math.floor(random() * LAST.length)];
    let name = `${first} ${last}`;
    if (name.includes(',')) name = `"${name}"`;
    let email = `${first.toLowerCase().replace(/[^a-z]/g, '')}.${i}@example.com`;
    const day = new Date(start + Math.floor(random() * 700) * 86400000);
    const [y, m, d] = day.toISOString().slice(0, 10).split('-');
    const f = random();
    let date = f < 0.9 ? `${y}-${m}-${d}` : f < 0.95 ? `${y}/${m}/${d}` : `${d}.${m}.${y}`;
    let status = STATUS[Math.floor(random() * STATUS.length)];
    let id = String(i);
    let extra = '';
    if (random() < 0.02) {
      invalid++;
      switch (Math.floor(random() * 6)) {
        case 0:
          email = email.replace('@example.com', '@example');
          break;
        case 1:
          date = `${y}-13-${d}`;
          break;
        case 2:
          status = 'banned';
          break;
        case 3:
          id = `x${i}`;
          break;
        case 4:
          name = '';
          break;
        default:
          extra = ',surplus';
      }
    }
    buffer += `${id},${name},${email},${date},${status}${extra}\n`;
    if (buffer.length > 1 << 20) {
      fs.writeSync(fd, buffer);
      buffer = '';
    }
  }
  fs.writeSync(fd, buffer);
  fs.closeSync(fd);
  return { invalid };
}

async function main(): Promise<void> {
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  const input = path.join(BENCH_DIR, `signups-bench-${ROWS}.csv`);
  let generated = 'reused';
  if (!fs.existsSync(input)) {
    const t = performance.now();
    const { invalid } = generateSignups(input, ROWS);
    generated = `generated in ${formatDuration(performance.now() - t)}, ${invalid} invalid rows`;
  }
  const bytes = fs.statSync(input).size;
  const workdir = path.join(BENCH_DIR, 'workdir');
  fs.rmSync(workdir, { recursive: true, force: true });
  const config = loadPipelineConfig(path.join(ROOT, 'pipeline.config.json'));

  console.log(
    `local pipeline benchmark: ${ROWS.toLocaleString('en-US')} sign-up rows, ${(bytes / 1e6).toFixed(1)} MB (${generated}); ${os.cpus().length} CPUs, node ${process.version}, engine duckdb`,
  );
  const t0 = performance.now();
  const result = await runLocalPipeline({ config, workdir, files: [input], dataset: 'signups', engine: 'duckdb', progress: silentProgress });
  const total = performance.now() - t0;

  const report = result.files[0].report!;
  const transform = result.transforms.find((t) => t.dataset === 'signups');
  const rows: [string, number | undefined, string][] = [
    ['copy into raw/', result.timings['stage-in'], ''],
    [
      'preprocess',
      result.timings.preprocess,
      `${report.rowsIn.toLocaleString('en-US')} rows in, ${report.rowsRejected.toLocaleString('en-US')} rejected, ${formatRate(bytes, result.timings.preprocess ?? 0)}`,
    ],
    ['crawl', result.timings.crawl, ''],
    [
      'transform',
      result.timings.transform,
      transform ? `${transform.rowsOut.toLocaleString('en-US')} rows out, ${transform.partitions.length} partitions` : '',
    ],
    ['queries', result.timings.queries, `${result.queries.length} configured queries`],
    ['dashboard', result.timings.dashboard, ''],
  ];
  for (const [stage, ms, note] of rows) console.log(`  ${stage.padEnd(16)} ${formatDuration(ms ?? 0).padStart(10)}  ${note}`);
  console.log(
    `  ${'total'.padEnd(16)} ${formatDuration(total).padStart(10)}  (target < ${formatDuration(TARGET_MS)}: ${total < TARGET_MS ? 'met' : 'NOT met'})`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
