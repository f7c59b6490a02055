/** The report of one legacy import run, and the unit of work every importer hands the runner. */
import type { Backend } from "../../backends/contract.js";
import type { FileOutcome, KindCounts, LegacyReport, LegacySource } from "../../domain/migrate.js";

/** What importing one file (or one file with its companions) decided. */
export interface UnitResult {
  status: "imported" | "skipped";
  /** Why it was skipped; the file stays where it is so a later run can try again. */
  reason?: string;
  /** Lines or records inside the file that were left out. */
  notes?: string[];
}

/**
 * One legacy file and how to import it. `run` writes through `ctx.backend` (or, on a dry run, only
 * reads and counts) and must be idempotent: a run interrupted at any point and started again stores
 * each record once. The runner renames `path` and `companions` only after `run` resolved.
 */
export interface Unit {
  source: LegacySource;
  kind: string;
  path: string;
  companions?: string[];
  /** Units of one root run in this order: groups after the sessions they name, for instance. */
  order: number;
  run(ctx: ImportContext): Promise<UnitResult>;
}

export interface ImportContext {
  readonly backend: Backend;
  readonly dryRun: boolean;
  /** The daemon's size limit on one value (a message, metadata): larger records are skipped, not truncated. */
  readonly maxValueBytes: number;
  /** The host's IANA zone: infer ran schedules and stamped plans in it. */
  readonly hostZone: string;
  count(kind: string, what: keyof KindCounts, n?: number): void;
  /** Test hook (AGENTSTATE_MIGRATE_DELAY_MS): waits between writes so a test can kill the process mid-run. */
  pause(): Promise<void>;
}

export class ReportBuilder {
  private readonly counts: Record<string, KindCounts> = {};
  readonly files: FileOutcome[] = [];
  readonly roots: LegacyReport["roots"] = [];

  constructor(
    readonly dryRun: boolean,
    readonly stamp: string,
  ) {}

  count(kind: string, what: keyof KindCounts, n = 1): void {
    const c = (this.counts[kind] ??= { imported: 0, existing: 0, skipped: 0 });
    c[what] += n;
  }

  build(): LegacyReport {
    return { dryRun: this.dryRun, stamp: this.stamp, roots: this.roots, counts: this.counts, files: this.files };
  }
}

/** The report for people: counts per kind, then every file that was skipped or had notes, and why. */
export function formatReport(r: LegacyReport): string {
  const lines: string[] = [];
  lines.push(r.dryRun ? "Dry run: nothing was written or renamed." : `Imported (files renamed *.migrated-${r.stamp}).`);
  for (const root of r.roots) lines.push(`  ${root.source.padEnd(9)} ${root.path}${root.found ? "" : "  (nothing found)"}`);
  const kinds = Object.keys(r.counts).sort();
  if (kinds.length === 0) lines.push("", "Nothing to import.");
  else {
    lines.push("", `${"kind".padEnd(10)} ${"imported".padStart(9)} ${"existing".padStart(9)} ${"skipped".padStart(8)}`);
    for (const k of kinds) {
      const c = r.counts[k];
      lines.push(`${k.padEnd(10)} ${String(c.imported).padStart(9)} ${String(c.existing).padStart(9)} ${String(c.skipped).padStart(8)}`);
    }
  }
  const imported = r.files.filter((f) => f.status === "imported").length;
  lines.push("", `${imported} file(s) ${r.dryRun ? "would be " : ""}imported, ${r.files.length - imported} skipped or failed.`);
  for (const f of r.files) {
    if (f.status !== "imported") lines.push(`  ${f.status}: ${f.path}: ${f.reason ?? ""}`);
    for (const n of f.notes ?? []) lines.push(`  note: ${f.path}: ${n}`);
  }
  return lines.join("\n") + "\n";
}
