/**
 * `migrate.legacy`: finds the files of each tool under each root, imports them one file at a time,
 * and renames a file once every line of it was imported or deliberately classified and its records
 * are durably stored. Safe to interrupt at any point and to run again (sessions.ts and
 * docs/migration.md say how each kind stays idempotent).
 */
import { resolve } from "node:path";
import type { LegacyReport, LegacyRoot, LegacySource, MigrateProgress } from "../../domain/migrate.js";
import { claudeCodeUnits } from "./claude-code.js";
import { codexUnits } from "./codex.js";
import { errorText, isDir, markMigrated, migrationStamp } from "./files.js";
import { inferUnits } from "./infer.js";
import { picoclawUnits } from "./picoclaw.js";
import { relayburnUnits } from "./relayburn.js";
import { ReportBuilder, type ImportContext, type Unit, type UnitResult } from "./report.js";
import type { ImportTarget } from "./target.js";

export { formatReport } from "./report.js";
export { defaultRoots, rootsFor } from "./roots.js";
export { importTarget, type ImportTarget } from "./target.js";

const DISCOVER: Record<LegacySource, (root: string) => Promise<Unit[]>> = {
  infer: inferUnits,
  picoclaw: picoclawUnits,
  relayburn: relayburnUnits,
  "claude-code": claudeCodeUnits,
  codex: codexUnits,
};

export interface LegacyImportOptions {
  roots: LegacyRoot[];
  dryRun?: boolean;
  maxValueBytes: number;
  /** The host's zone (infer's schedules and plan stamps are local time). */
  hostZone?: string;
  now?: () => Date;
  onProgress?: (p: MigrateProgress) => void;
  /** Waits this long after each write: a test hook to interrupt an import mid-way. */
  delayMs?: number;
  /** Checked between files: a stopping daemon ends the import after the current file. */
  signal?: AbortSignal;
}

export async function runLegacyImport(target: ImportTarget, opts: LegacyImportOptions): Promise<LegacyReport> {
  const now = opts.now ?? (() => new Date());
  const report = new ReportBuilder(opts.dryRun === true, migrationStamp(now()));
  const units: Unit[] = [];
  const seen = new Set<string>();
  for (const root of opts.roots) {
    const key = `${root.source}\0${resolve(root.path)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const found = (await isDir(root.path)) ? await DISCOVER[root.source](root.path) : [];
    report.roots.push({ source: root.source, path: root.path, found: found.length > 0 });
    units.push(...found.sort((a, b) => a.order - b.order));
  }
  const delay = opts.delayMs ?? 0;
  const ctx: ImportContext = {
    target,
    dryRun: report.dryRun,
    maxValueBytes: opts.maxValueBytes,
    hostZone: opts.hostZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    now,
    count: (kind, what, n) => report.count(kind, what, n),
    pause: () => (delay > 0 ? new Promise((r) => setTimeout(r, delay)) : Promise.resolve()),
  };
  let done = 0;
  opts.onProgress?.({ done, total: units.length });
  for (const unit of units) {
    if (opts.signal?.aborted) {
      report.files.push({ source: unit.source, kind: unit.kind, path: unit.path, status: "skipped", reason: "the import was stopped" });
      continue;
    }
    try {
      report.files.push(await settle(unit, await unit.run(ctx), report));
    } catch (err) {
      report.files.push({ source: unit.source, kind: unit.kind, path: unit.path, status: "failed", reason: errorText(err) });
    }
    await ctx.pause();
    opts.onProgress?.({ done: ++done, total: units.length, file: unit.path });
  }
  return report.build();
}

/** The file's outcome; renames it when every line was imported or classified (see docs/migration.md). */
async function settle(unit: Unit, r: UnitResult, report: ReportBuilder): Promise<LegacyReport["files"][number]> {
  const unread = r.unreadLines ?? [];
  const kept = r.kept && Object.values(r.kept).some((n) => n > 0) ? r.kept : undefined;
  const outcome: LegacyReport["files"][number] = {
    source: unit.source, kind: unit.kind, path: unit.path,
    status: r.status === "imported" && unread.length > 0 ? "partial" : r.status,
    reason: r.reason,
    notes: r.notes?.length ? r.notes : undefined,
    unreadLines: unread.length > 0 ? unread : undefined,
    kept,
  };
  if (outcome.status === "imported" && !report.dryRun && !unit.keepInPlace) {
    // Only now: every record of the file was acknowledged (durably stored) by the backend.
    // The main file first: were the process killed between the two, the next run would otherwise
    // read the main file without its companion (a picoclaw .jsonl without its .meta.json).
    outcome.renamedTo = await markMigrated(unit.path, report.stamp);
    for (const companion of unit.companions ?? []) await markMigrated(companion, report.stamp);
  }
  if (kept) outcome.keptIn = outcome.renamedTo ?? unit.path;
  return outcome;
}
