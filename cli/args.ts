// Parses a subcommand's arguments the same way for every command: --help prints the usage, a bad option says why and shows it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import type { TransformEngine } from '../local/pipeline';
import { DEFAULT_WORKDIR } from '../local/store';

export interface CommandInfo {
  /** The subcommand, as typed after `csv-pipeline`. */
  readonly name: string;
  readonly usage: string;
  /** Exit status of a usage error. @default 2 */
  readonly usageErrorStatus?: number;
  /** Where --help goes. @default standard output */
  readonly write?: (text: string) => void;
}

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Parses `argv` with `config` plus a `--help`/`-h` flag. Returns the parsed arguments, or the exit status
 * when the command should stop here (0 after --help, `usageErrorStatus` after a usage error).
 */
export function parseCommandArgs<const T extends Omit<ParseArgsConfig, 'args'>>(command: CommandInfo, argv: string[], config: T): Parsed<T> | number {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ ...config, args: argv, options: { ...config.options, help: { type: 'boolean', short: 'h' } } } as T);
  } catch (err) {
    return usageError(command, (err as Error).message);
  }
  if ((parsed.values as Record<string, unknown>).help) {
    (command.write ?? ((text: string) => process.stdout.write(text)))(`${command.usage}\n`);
    return 0;
  }
  return parsed;
}

/** Prints a usage error (what was wrong, then the usage) and returns the command's usage-error status. */
export function usageError(command: CommandInfo, message: string): number {
  console.error(`csv-pipeline ${command.name}: ${message}\n\n${command.usage}`);
  return command.usageErrorStatus ?? 2;
}

/** The --engine value of a command (default duckdb), or the usage-error status after saying what is allowed. */
export function parseEngine(command: CommandInfo, value: string | undefined): TransformEngine | number {
  const engine = value ?? 'duckdb';
  if (engine === 'duckdb' || engine === 'spark') return engine;
  console.error(`csv-pipeline ${command.name}: --engine must be "duckdb" or "spark" (got "${engine}")`);
  return command.usageErrorStatus ?? 2;
}

/**
 * The --workdir value of a command (default DEFAULT_WORKDIR), or the usage-error status: an empty value would
 * silently resolve to the current folder and fill it with raw/, processed/, ... so it is refused.
 */
export function parseWorkdir(command: CommandInfo, value: string | undefined): string | number {
  if (value === undefined) return DEFAULT_WORKDIR;
  if (value.trim() === '') {
    return usageError(
      command,
      `--workdir is empty (got ${JSON.stringify(value)}); give a folder, e.g. --workdir ${DEFAULT_WORKDIR}, or leave the option out to use ${DEFAULT_WORKDIR}/ (an empty value is refused rather than read as the current folder)`,
    );
  }
  return value;
}

/**
 * The --workdir of a command that only reads a workdir (query, serve), or the usage-error status: besides an
 * empty value, a folder that is not there (a typo) is refused, as it would read as an empty workdir.
 */
export function parseExistingWorkdir(command: CommandInfo, value: string | undefined): string | number {
  const workdir = parseWorkdir(command, value);
  if (typeof workdir === 'number') return workdir;
  const stat = fs.statSync(workdir, { throwIfNoEntry: false });
  if (stat?.isDirectory()) return workdir;
  const given = value === undefined ? `the default --workdir ${DEFAULT_WORKDIR}/ of the current folder` : '--workdir';
  return usageError(
    command,
    `no workdir at ${path.resolve(workdir)}${stat ? ' (it is a file, not a folder)' : ''}: run \`csv-pipeline run\` first, or check ${given}`,
  );
}
