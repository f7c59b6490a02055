/**
 * migrate legacy: asks the daemon to import other tools' files (it reads them on this host and
 * writes through its backend), showing its progress notifications.
 * migrate copy: an offline admin command that opens two backends itself (docs/migration.md).
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { LEGACY_SOURCES, MIGRATE_PROGRESS, type LegacyReport, type LegacySource } from "../../../domain/migrate.js";
import { formatReport } from "../../../migrate/legacy/report.js";
import { defaultRoots, rootsFor } from "../../../migrate/legacy/roots.js";
import { Connection } from "../../connection.js";
import { UsageError, type CliContext, type Command } from "../context.js";
import { emit } from "../output.js";
import { progress } from "../progress.js";

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : []);

async function legacy(ctx: CliContext): Promise<number> {
  const sources = list(ctx.options.source);
  for (const s of sources) {
    if (!LEGACY_SOURCES.includes(s as LegacySource)) throw new UsageError(`--source must be one of ${LEGACY_SOURCES.join(", ")}; got ${JSON.stringify(s)}`);
  }
  const selected = sources.length > 0 ? (sources as LegacySource[]) : undefined;
  const paths = list(ctx.options.path).map((p) => resolve(p));
  for (const p of paths) {
    const found = await stat(p).then((s) => (s.isDirectory() ? "dir" : "file"), () => undefined);
    if (found === undefined) throw new UsageError(`--path ${p} does not exist`);
    if (found !== "dir") throw new UsageError(`--path ${p} is not a directory (give the tool's folder, e.g. ~/.relayburn)`);
  }
  // Default locations are this user's (home, working directory), not the daemon's.
  const roots = (paths.length > 0 ? rootsFor(paths, selected) : defaultRoots()).filter((r) => !selected || selected.includes(r.source));
  (await ctx.client()).close(); // starts a daemon when allowed and none answers
  const conn = new Connection({ socketPath: ctx.config.socket, timeoutMs: 0, connectTimeoutMs: 2000 });
  const bar = progress("migrate legacy");
  conn.on("notification", (method, params) => {
    if (method === MIGRATE_PROGRESS) bar.update(Number(params.done), Number(params.total), typeof params.file === "string" ? params.file : undefined);
  });
  try {
    const report = (await conn.call("migrate.legacy", { roots, sources: selected, dryRun: ctx.options["dry-run"] === true })) as LegacyReport;
    bar.end();
    emit(ctx.out, report, () => formatReport(report));
    return report.files.some((f) => f.status === "failed") ? 1 : 0;
  } finally {
    bar.end();
    conn.close();
  }
}

async function copy(ctx: CliContext): Promise<number> {
  const from = ctx.options.from;
  const to = ctx.options.to;
  if (typeof from !== "string" || typeof to !== "string") throw new UsageError("--from and --to are required");
  // Loaded only here: every other command stays a pure socket client.
  const { checkpointPath, describeSpec, openBackend, parseBackendSpec, runCopy } = await import("../../../migrate/copy-run.js");
  let fromSpec, toSpec;
  try {
    fromSpec = parseBackendSpec(from, ctx.config);
    toSpec = parseBackendSpec(to, ctx.config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (describeSpec(fromSpec) === describeSpec(toSpec)) throw new UsageError("--from and --to name the same backend");
  const source = await openBackend(fromSpec, ctx.config);
  try {
    const target = await openBackend(toSpec, ctx.config);
    try {
      const bars = new Map<string, ReturnType<typeof progress>>();
      const results = await runCopy(source, target, {
        merge: ctx.options.merge === true,
        resume: ctx.options.resume === true,
        checkpoint: typeof ctx.options.checkpoint === "string" ? resolve(ctx.options.checkpoint) : checkpointPath(fromSpec, toSpec, ctx.config),
        onProgress: (p) => {
          let bar = bars.get(p.domain);
          if (!bar) {
            [...bars.values()].forEach((b) => b.end());
            bars.clear();
            bar = progress(`copy ${p.domain}`);
            bars.set(p.domain, bar);
          }
          bar.update(p.done, p.total);
        },
      });
      [...bars.values()].forEach((b) => b.end());
      const ok = results.every((r) => r.verified);
      emit(ctx.out, { from: describeSpec(fromSpec), to: describeSpec(toSpec), verified: ok, domains: results }, () =>
        [
          `${"domain".padEnd(11)} ${"source".padStart(8)} ${"copied".padStart(8)}  checksum`,
          ...results.map((r) =>
            `${r.domain.padEnd(11)} ${String(r.source).padStart(8)} ${String(r.copied).padStart(8)}  ${r.verified ? "ok" : "MISMATCH"} ${r.sourceChecksum.slice(0, 12)}` +
            (r.conflicts.length ? `  (${r.conflicts.length} kept from the target: differing content)` : "")),
          ok ? "Verified: every domain matches." : "Verification FAILED: run again with --resume, or inspect the domains marked MISMATCH.",
          "",
        ].join("\n"));
      return ok ? 0 : 1;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

export const migrateCommands: Command[] = [
  {
    words: ["migrate", "legacy"],
    usage: "agentstate migrate legacy [--source infer|picoclaw|relayburn|claude-code|codex]… [--path DIR]… [--dry-run] [--json]",
    summary:
      "Import infer, picoclaw, relayburn, Claude Code and Codex files from this host into the daemon's backend (idempotent; a file fully read is " +
      "renamed *.migrated-<stamp>, except the Claude Code and Codex transcripts). Exit 2 for a --path that does not exist, 1 if a file failed.",
    options: { source: { type: "string", multiple: true }, path: { type: "string", multiple: true }, "dry-run": { type: "boolean" } },
    run: legacy,
  },
  {
    words: ["migrate", "copy"],
    usage: "agentstate migrate copy --from <backend> --to <backend> [--merge] [--resume] [--checkpoint FILE] [--json]",
    summary: "Copy every domain between two backends offline (e.g. --from jsonl:/old/dir --to sqlite:/new/dir, or postgres://…?schema=S, redis://…?prefix=P), then verify counts and checksums.",
    options: { from: { type: "string" }, to: { type: "string" }, merge: { type: "boolean" }, resume: { type: "boolean" }, checkpoint: { type: "string" } },
    run: copy,
  },
];
