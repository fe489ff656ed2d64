// Shows what a local run is doing: a live line on a terminal, plain lines per stage otherwise; errors say file, stage and fix.

/** The stages of a local run, in order. */
export type StageName = 'stage-in' | 'preprocess' | 'crawl' | 'transform' | 'queries' | 'dashboard';

/** A failure in one stage for one file (or dataset): what failed, where, and what to do about it. */
export class PipelineStageError extends Error {
  constructor(
    readonly stage: StageName,
    /** The file or dataset the stage was working on. */
    readonly subject: string,
    readonly cause: unknown,
    /** What the user can do about it. */
    readonly hint: string,
  ) {
    super(`${stage} failed for ${subject}: ${cause instanceof Error ? cause.message : String(cause)}\n  what to do: ${hint}`);
    this.name = 'PipelineStageError';
  }
}

export interface ProgressSink {
  stageStarted(stage: StageName, detail?: string): void;
  stageFinished(stage: StageName, detail: string, durationMs: number): void;
  /** Called while a file streams through preprocessing; totals are for the whole stage so far. */
  fileProgress(file: string, totals: { files: number; filesTotal: number; rows: number; bytes: number; elapsedMs: number }): void;
  info(line: string): void;
  warn(line: string): void;
}

/** Writes nothing: for tests and library use. */
export const silentProgress: ProgressSink = {
  stageStarted: () => undefined,
  stageFinished: () => undefined,
  fileProgress: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function formatRate(bytes: number, ms: number): string {
  return ms <= 0 ? '-' : `${(bytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
}

/**
 * Progress on a stream: on a TTY one line rewritten in place (at most every 100 ms), else one line per
 * stage and per finished step, which is what a CI log or a pipe wants.
 */
export class ConsoleProgress implements ProgressSink {
  private lastDraw = 0;
  private live = false;

  constructor(
    private readonly out: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr,
    private readonly isTty: boolean = Boolean((out as NodeJS.WriteStream).isTTY),
  ) {}

  stageStarted(stage: StageName, detail?: string): void {
    if (!this.isTty) this.line(`[${stage}] started${detail ? `: ${detail}` : ''}`);
  }

  stageFinished(stage: StageName, detail: string, durationMs: number): void {
    this.line(`[${stage}] ${detail} (${formatDuration(durationMs)})`);
  }

  fileProgress(file: string, t: { files: number; filesTotal: number; rows: number; bytes: number; elapsedMs: number }): void {
    if (!this.isTty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const text = `[preprocess] file ${t.files}/${t.filesTotal} ${file}  ${t.rows.toLocaleString('en-US')} rows  ${(t.bytes / 1e6).toFixed(1)} MB  ${formatRate(t.bytes, t.elapsedMs)}`;
    const width = (this.out as NodeJS.WriteStream).columns ?? 120;
    this.out.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
    this.live = true;
  }

  info(line: string): void {
    this.line(line);
  }

  warn(line: string): void {
    this.line(`warning: ${line}`);
  }

  private line(text: string): void {
    if (this.live) {
      this.out.write('\r\x1b[2K');
      this.live = false;
    }
    this.out.write(`${text}\n`);
  }
}
