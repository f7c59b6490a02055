/** The report of one legacy import run, and the unit of work every importer hands the runner. */
import type { FileOutcome, KindCounts, LegacyReport, LegacySource } from "../../domain/migrate.js";
import type { ImportTarget } from "./target.js";

/** What importing one file (or one file with its companions) decided. */
export interface UnitResult {
  status: "imported" | "skipped";
  /** Why it was skipped; the file stays where it is so a later run can try again. */
  reason?: string;
  /** Lines or records inside the file that were left out, and other things worth knowing. */
  notes?: string[];
  /** 1-based lines that could not be read. While there are any, the file stays where it is. */
  unreadLines?: number[];
  /** Records of kinds agentstate does not store, by kind: they stay in the file (renamed or not). */
  kept?: Record<string, number>;
}

/**
 * One file and how to import it. `run` writes through `ctx.target` (or, on a dry run, only reads
 * and counts) and must be idempotent: a run interrupted at any point and started again stores
 * each record once. The runner renames `path` and `companions` only after `run` resolved with
 * every line imported or classified, and never when `keepInPlace` (a tool still owns the file).
 */
export interface Unit {
  source: LegacySource;
  kind: string;
  path: string;
  companions?: string[];
  /** Units of one root run in this order: groups after the sessions they name, for instance. */
  order: number;
  keepInPlace?: boolean;
  run(ctx: ImportContext): Promise<UnitResult>;
}

export interface ImportContext {
  readonly target: ImportTarget;
  readonly dryRun: boolean;
  /** The daemon's size limit on one value (a message, metadata): larger records are skipped, not truncated. */
  readonly maxValueBytes: number;
  /** The host's IANA zone: infer ran schedules and stamped plans in it. */
  readonly hostZone: string;
  /** The import's clock (a job's next run is computed from it). */
  now(): Date;
  count(kind: string, what: keyof KindCounts, n?: number): void;
  /** Test hook (AGENTSTATE_MIGRATE_DELAY_MS): waits between writes so a test can kill the process mid-run. */
  pause(): Promise<void>;
}

/** A file left alone, counted as one skipped record of `kind`. */
export function skipped(ctx: ImportContext, kind: string, reason: string): UnitResult {
  ctx.count(kind, "skipped");
  return { status: "skipped", reason };
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
    const c = (this.counts[kind] ??= { imported: 0, existing: 0, skipped: 0, kept: 0 });
    c[what] += n;
  }

  build(): LegacyReport {
    return { dryRun: this.dryRun, stamp: this.stamp, roots: this.roots, counts: this.counts, files: this.files };
  }
}

/** At most this many line numbers are printed per file; the JSON report has them all. */
const SHOWN_LINES = 20;

const lineList = (lines: number[]): string =>
  lines.slice(0, SHOWN_LINES).join(", ") + (lines.length > SHOWN_LINES ? ` and ${lines.length - SHOWN_LINES} more` : "");

/** The report for people: counts per kind, then every file that was not simply imported, and why. */
export function formatReport(r: LegacyReport): string {
  const lines: string[] = [];
  lines.push(r.dryRun ? "Dry run: nothing was written or renamed." : `Imported (files fully read renamed *.migrated-${r.stamp}).`);
  for (const root of r.roots) lines.push(`  ${root.source.padEnd(11)} ${root.path}${root.found ? "" : "  (nothing found)"}`);
  const kinds = Object.keys(r.counts).sort();
  if (kinds.length === 0) lines.push("", "Nothing to import.");
  else {
    lines.push("", `${"kind".padEnd(16)} ${"imported".padStart(9)} ${"existing".padStart(9)} ${"skipped".padStart(8)} ${"kept".padStart(6)}`);
    for (const k of kinds) {
      const c = r.counts[k];
      lines.push(`${k.padEnd(16)} ${String(c.imported).padStart(9)} ${String(c.existing).padStart(9)} ${String(c.skipped).padStart(8)} ${String(c.kept).padStart(6)}`);
    }
  }
  const imported = r.files.filter((f) => f.status === "imported").length;
  lines.push("", `${imported} file(s) ${r.dryRun ? "would be " : ""}imported, ${r.files.length - imported} partly read, skipped or failed.`);
  for (const f of r.files) {
    if (f.status === "skipped" || f.status === "failed") lines.push(`  ${f.status}: ${f.path}: ${f.reason ?? ""}`);
    if (f.unreadLines?.length) lines.push(`  stays in place: ${f.path}: line(s) ${lineList(f.unreadLines)} could not be read`);
    if (f.kept && Object.keys(f.kept).length > 0) {
      const what = Object.entries(f.kept).map(([k, n]) => `${n} ${k}`).join(", ");
      lines.push(`  kept in ${f.keptIn ?? f.path}: ${what} (kinds agentstate does not store)`);
    }
    for (const n of f.notes ?? []) lines.push(`  note: ${f.path}: ${n}`);
  }
  return lines.join("\n") + "\n";
}
