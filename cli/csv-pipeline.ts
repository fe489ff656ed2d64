#!/usr/bin/env node
// The csv-pipeline command: dispatches to one module per subcommand, each a thin shell over a pure core.

interface Command {
  readonly summary: string;
  /** Module under cli/commands exporting `run(argv: string[]): Promise<number>` (the exit status). */
  readonly module: string;
}

const COMMANDS: Record<string, Command> = {
  init: { summary: 'generate a dataset config entry from a sample CSV file', module: './commands/init' },
  preprocess: { summary: 'clean and validate a CSV file as the Lambda does', module: './commands/preprocess' },
  transform: { summary: 'run the Glue transform on local processed files (--engine duckdb|spark)', module: './commands/transform' },
  run: { summary: 'run the whole pipeline locally, raw files to dashboard', module: './commands/run' },
  watch: { summary: 'run the pipeline on files dropped into the local raw/ folder', module: './commands/watch' },
  query: { summary: 'run SQL over the local final tables', module: './commands/query' },
  serve: { summary: 'serve the local dashboard', module: './commands/serve' },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'usage: csv-pipeline <command> [options]',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "csv-pipeline <command> --help" for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`csv-pipeline: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(command.module) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}

/**
 * Exits with `code` once stdout and stderr have handed over everything written to them: process.exit() alone
 * drops what a slow pipe reader (`| head`, `| wc`) has not taken yet, and the exit status would still say 0.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(exitWhenFlushed, (err: unknown) => {
    console.error(`csv-pipeline: ${err instanceof Error ? err.message : String(err)}`);
    exitWhenFlushed(1);
  });
}
