// Builds a run's PreprocessReport from what the stages decided and counted, so no stage needs to know the report's shape.
import type { ColumnReport, PreprocessReport, ReadChoices } from './report';

/** Why a whole file cannot be read (the report's fileError): a stage returns one instead of going on. */
export class Quarantine {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {}
}

/** The rows a run counted (the row writer's). */
export interface RowCounts {
  readonly rowsIn: number;
  readonly rowsValid: number;
  readonly rowsRejected: number;
  readonly rejectedByReason: ReadonlyMap<string, number>;
}

/** Collects the decisions as they are made; a quarantine reports those made before it. */
export class ReportBuilder {
  readonly notes: string[] = [];
  read: ReadChoices | undefined;
  columns: ColumnReport[] | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly source: string,
    private readonly dataset: string | null,
  ) {}

  quarantined(quarantine: Quarantine, bytesIn: number): PreprocessReport {
    return {
      source: this.source,
      dataset: this.dataset,
      outcome: 'quarantined',
      fileError: { code: quarantine.code, reason: quarantine.reason },
      ...(this.read ? { read: this.read } : {}),
      ...(this.columns ? { columns: this.columns } : {}),
      rowsIn: 0,
      rowsValid: 0,
      rowsRejected: 0,
      rejectedByReason: {},
      notes: this.notes,
      bytesIn,
      durationMs: this.elapsedMs(),
    };
  }

  processed(rows: RowCounts, bytesIn: number): PreprocessReport {
    return {
      source: this.source,
      dataset: this.dataset,
      outcome: 'processed',
      read: this.read,
      columns: this.columns,
      rowsIn: rows.rowsIn,
      rowsValid: rows.rowsValid,
      rowsRejected: rows.rowsRejected,
      // Most frequent first, then by code: a stable order for the report's readers.
      rejectedByReason: Object.fromEntries([...rows.rejectedByReason].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
      notes: this.notes,
      bytesIn,
      durationMs: this.elapsedMs(),
    };
  }

  private elapsedMs(): number {
    return Math.round(performance.now() - this.started);
  }
}
