// The child process of the crash test (crash-safety.test.ts): runs one DuckDB transform and SIGKILLs itself before publish step N.
import * as fs from 'node:fs';
import { parsePipelineConfig } from '../../../config/load';
import { transformWithDuckDb } from '../../../local/duckdb-transform';

interface ChildArgs {
  readonly datasets: unknown[];
  readonly inputDir: string;
  readonly outputDir: string;
  readonly ingestedAt: string;
  /** Kill this process (SIGKILL) when the engine is about to take step N (1-based); 0: never. */
  readonly killAt: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as ChildArgs;
  const config = parsePipelineConfig({ datasets: args.datasets }, 'crash test config');
  let step = 0;
  await transformWithDuckDb({
    config,
    dataset: config.datasets[0],
    inputDir: args.inputDir,
    outputDir: args.outputDir,
    ingestedAt: new Date(args.ingestedAt),
    onStep: (name) => {
      step++;
      fs.writeSync(1, `step ${step}: ${name}\n`);
      if (step === args.killAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  fs.writeSync(1, 'done\n');
}

main().catch((err) => {
  fs.writeSync(2, `${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
