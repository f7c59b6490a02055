/**
 * Legacy import inside the daemon: the `migrate.legacy` method, and the import at start when
 * `migrateLegacyOnStart` is set. Imports run one at a time (a second call waits for the first);
 * the one at start runs in the background so the socket does not wait for it, and stop() lets it
 * finish its current file.
 */
import { isAbsolute } from "node:path";
import { invalidParams } from "../domain/errors.js";
import { MIGRATE_PROGRESS, type LegacyReport, type migrateMethods } from "../domain/migrate.js";
import { defaultRoots, importTarget, runLegacyImport } from "../migrate/legacy/index.js";
import type { HandlersFor } from "./handlers/types.js";
import type { DaemonContext, Subsystem } from "./subsystem.js";

/** Test hook: milliseconds to wait after each write of an import, so a test can SIGKILL it mid-way. */
const DELAY_ENV = "AGENTSTATE_MIGRATE_DELAY_MS";

export function migrateSubsystem(ctx: DaemonContext): Subsystem {
  const { backend, config, logger } = ctx;
  const abort = new AbortController();
  let queue: Promise<unknown> = Promise.resolve();
  let atStart: Promise<void> | undefined;
  const delayMs = Number(process.env[DELAY_ENV] ?? 0) || 0;
  // Imported records keep their own times, seqs and bookkeeping: they are written through the restore path.
  const target = importTarget(backend, backend.restore);

  const serialized = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job, job);
    queue = run.catch(() => undefined);
    return run;
  };

  const handlers: HandlersFor<typeof migrateMethods> = {
    "migrate.legacy": (p, call) => {
      for (const [i, r] of (p.roots ?? []).entries()) {
        // The daemon's working directory is not the caller's: the CLI resolves paths before sending them.
        if (!isAbsolute(r.path)) throw invalidParams(`path ${JSON.stringify(r.path)} must be absolute`, `/roots/${i}/path`);
      }
      const sources = p.sources;
      const roots = (p.roots ?? defaultRoots()).filter((r) => sources === undefined || sources.includes(r.source));
      return serialized(() =>
        runLegacyImport(target, {
          roots,
          dryRun: p.dryRun,
          maxValueBytes: config.maxValueBytes,
          now: ctx.now,
          delayMs,
          signal: abort.signal,
          onProgress: (progress) => call.notify(MIGRATE_PROGRESS, { ...progress }),
        }),
      );
    },
  };

  return {
    name: "migrate",
    handlers,
    async start() {
      if (!config.migrateLegacyOnStart) return;
      atStart = serialized(() =>
        runLegacyImport(target, { roots: defaultRoots(), maxValueBytes: config.maxValueBytes, now: ctx.now, delayMs, signal: abort.signal }),
      ).then(
        (report: LegacyReport) => {
          logger.info("legacy import at start finished", { counts: report.counts, files: report.files.length });
        },
        (err: unknown) => {
          logger.error("legacy import at start failed", { error: String(err) });
        },
      );
    },
    async stop() {
      abort.abort();
      await atStart;
      await queue;
    },
  };
}
