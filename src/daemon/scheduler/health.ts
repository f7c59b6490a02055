/** The scheduler's counters and its daemon.health check (SPEC §8: jobs, next due time, lag, missed, skipped). */
import type { HealthCheck } from "../../domain/daemon.js";
import { WAIT_WARN_MS } from "./waiting.js";

/** Lag of the last on-time firing beyond which health warns. */
const LAG_WARN_MS = 5000;

export class SchedulerStats {
  /** Enabled jobs, counted at the last periodic sweep. */
  jobs = 0;
  /** Runs this daemon created, by status at creation. */
  fired = 0;
  skipped = 0;
  /** Missed slots: recorded as missed runs or dropped by the misfire policy. */
  missed = 0;
  /** Slots another daemon fired first. */
  lost = 0;
  /** Exec runs started here. */
  execs = 0;
  lastFiredAt?: string;
  /** How long after its slot the last on-time run was created. */
  lastLagMs?: number;
  lastError?: { at: string; message: string };
  /** The last pass failed (cleared by a good one). */
  failing = false;
}

export function schedulerHealth(
  s: SchedulerStats,
  live: {
    nextDueAt: number | null;
    running: number;
    claims: number;
    started: boolean;
    releasesRetrying?: number;
    /** Event runs pending longer than WAIT_WARN_MS (waiting.ts). */
    waiting?: { count: number; oldest?: { runId: string; jobId: string; since: number } };
  },
): HealthCheck {
  const lagging = s.lastLagMs !== undefined && s.lastLagMs > LAG_WARN_MS;
  const waiting = live.waiting?.oldest !== undefined ? live.waiting : undefined;
  const status = !live.started ? "warn" : s.failing || lagging || waiting ? "warn" : "pass";
  const message = !live.started
    ? "not running"
    : s.failing
      ? `cannot plan: ${s.lastError?.message ?? "unknown error"}`
      : lagging
        ? `last firing was ${s.lastLagMs} ms late`
        : waiting?.oldest
          ? `${waiting.count} event run(s) pending for over ${WAIT_WARN_MS / 1000} s with no worker claiming them ` +
            `(oldest: run ${waiting.oldest.runId} of job ${waiting.oldest.jobId}); start a worker, or use an exec job`
          : undefined;
  return {
    status,
    ...(message === undefined ? {} : { message }),
    jobs: s.jobs,
    nextDueAt: live.nextDueAt === null ? null : new Date(live.nextDueAt).toISOString(),
    lastFiredAt: s.lastFiredAt ?? null,
    lastLagMs: s.lastLagMs ?? null,
    fired: s.fired,
    skipped: s.skipped,
    missed: s.missed,
    lost: s.lost,
    execs: s.execs,
    running: live.running,
    claims: live.claims,
    waitingEventRuns: live.waiting?.count ?? 0,
    ...(live.releasesRetrying ? { claimReleasesRetrying: live.releasesRetrying } : {}),
    ...(s.lastError ? { lastError: s.lastError } : {}),
  };
}
