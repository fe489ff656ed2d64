// Test helper: runs the real preprocessing core on a file with a generated entry, independently of local/init's own check.
import * as fs from 'node:fs';
import { Writable } from 'node:stream';
import { parsePipelineConfig } from '../../../config/parse';
import type { PipelineConfig } from '../../../config/schema';
import { preprocess } from '../../../lambda/core/preprocess';
import type { PreprocessReport } from '../../../lambda/core/report';

export interface Rejected {
  line: number;
  reason_code: string;
  column_name: string;
  reason: string;
}

function sink(into: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer, _e, cb) {
      into.push(Buffer.from(chunk));
      cb();
    },
  });
}

/** Validates `entry` with the config loader (throws ConfigError when invalid) and preprocesses `file` with it. */
export async function preprocessWith(
  file: string,
  entry: unknown,
): Promise<{ config: PipelineConfig; report: PreprocessReport; rejects: Rejected[]; valid: string }> {
  const config = parsePipelineConfig({ datasets: [entry] }, 'generated entry');
  const valid: Buffer[] = [];
  const rejects: Buffer[] = [];
  const report = await preprocess(
    fs.createReadStream(file),
    { valid: sink(valid), rejects: sink(rejects) },
    { config, dataset: config.datasets[0], source: file },
  );
  const lines = Buffer.concat(rejects).toString('utf8').split('\n').filter(Boolean);
  return { config, report, rejects: lines.map((l) => JSON.parse(l) as Rejected), valid: Buffer.concat(valid).toString('utf8') };
}

/** A deterministic pseudo-random sequence (tests must not change from run to run). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A sample with one column of every config type, `rows` rows: an id (integer), a price (decimal, written with the
 * given decimal mark), a flag (boolean), a date in two formats, a timestamp, an e-mail, a plan (enum) and a free
 * text note (string, with the delimiter, quotes and a formula in it).
 */
export function everyTypeCsv(options: { delimiter: ',' | ';'; decimalComma?: boolean; rows?: number; seed?: number }): string {
  const rand = lcg(options.seed ?? 7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const d = options.delimiter;
  const quote = (v: string) => (/[",;\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [['Customer ID', 'Price', 'Active', 'Signup Date', 'Last Login', 'E-Mail', 'Plan', 'Note'].join(d)];
  for (let i = 1; i <= (options.rows ?? 80); i++) {
    const cents = Math.floor(rand() * 99999) + 100;
    const price = `${Math.floor(cents / 100)}${options.decimalComma ? ',' : '.'}${pad(cents % 100)}`;
    const [y, m, day] = [2024, 1 + Math.floor(rand() * 12), 13 + Math.floor(rand() * 15)];
    const date = i % 3 === 0 ? `${pad(day)}.${pad(m)}.${y}` : `${y}-${pad(m)}-${pad(day)}`;
    const login = `${y}-${pad(m)}-${pad(day)} ${pad(Math.floor(rand() * 24))}:${pad(Math.floor(rand() * 60))}:${pad(Math.floor(rand() * 60))}`;
    const note = i % 5 === 0 ? '' : `${pick(['call back', 'VIP; gold', 'said "hi"', '=SUM(A1)', 'Ünïcode naïve'])} #${i}`;
    const row = [String(1000 + i), price, pick(['yes', 'no', 'Yes', 'NO']), date, login, `user${i}@Example.com`, pick(['free', 'pro', 'team']), note];
    lines.push(row.map(quote).join(d));
  }
  return `${lines.join('\n')}\n`;
}
