/**
 * One planning pass: fire every due job's slots through the backend's unique slot key, move
 * nextRunAt forward, and report when the next job is due. Losing a slot to another daemon is
 * normal and silent; only the winner's run exists, so only the winner acts on it.
 */
import type { JobStore } from "../../backends/contract.js";
import { isConflict, isNotFound } from "../../domain/errors.js";
import type { Job, Run } from "../../domain/jobs.js";
import type { Logger } from "../logger.js";
import type { Clock } from "./clock.js";
import type { SchedulerStats } from "./health.js";
import { planFiring, type MisfireOptions } from "./misfire.js";

/**
 * Later than any nextRunAt: dueJobs(FAR_FUTURE, n) lists the n earliest jobs. A four-digit year,
 * because stores may compare ISO strings and "+275760-…" sorts before "2026-…".
 */
const FAR_FUTURE = new Date("9999-12-31T23:59:59.999Z");

export interface FiringContext {
  store: JobStore;
  clock: Clock;
  origin: string;
  newId: () => string;
  logger: Logger;
  stats: SchedulerStats;
  misfire: MisfireOptions;
  /** Due jobs read per dueJobs call. */
  batch: number;
  /** How long to wait before retrying a job whose firing failed. */
  retryMs: number;
  /** Called with each pending run this daemon created (exec jobs start here). */
  onFired: (run: Run, job: Job) => void;
}

/** Fires one due job's slots and advances it. Throws only what the backend throws unexpectedly. */
export async function fireJob(ctx: FiringContext, job: Job, now: number): Promise<void> {
  const { store, stats } = ctx;
  const plan = planFiring(job, now, ctx.misfire);
  let wonCatchUp = false;
  for (const slot of plan.slots) {
    let run: Run | null;
    try {
      run = await store.fireSlot({
        jobId: job.id,
        scheduledFor: slot.scheduledFor.toISOString(),
        runId: ctx.newId(),
        firedBy: ctx.origin,
        status: slot.status,
      });
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile
      throw err;
    }
    if (run === null) {
      stats.lost++;
      continue;
    }
    if (slot.catchUp) wonCatchUp = true;
    stats.lastFiredAt = run.firedAt;
    if (run.status === "pending") stats.fired++;
    else if (run.status === "skipped") stats.skipped++;
    else stats.missed++;
    if (!slot.catchUp) stats.lastLagMs = Math.max(0, ctx.clock.now() - slot.scheduledFor.getTime());
    if (slot.catchUp) ctx.logger.info("misfire: slot missed while no daemon ran", { jobId: job.id, scheduledFor: run.scheduledFor, policy: job.misfire, status: run.status });
    if (run.status === "pending") ctx.onFired(run, job);
  }
  if (wonCatchUp) stats.missed += plan.dropped;
  try {
    await store.advanceJob({ jobId: job.id, version: job.version, nextRunAt: plan.next === null ? null : plan.next.toISOString() });
  } catch (err) {
    // Changed or deleted since it was read: its save computed a fresh nextRunAt, and its change replans.
    if (!isConflict(err) && !isNotFound(err)) throw err;
  }
}

/** A pass: fires everything due at the pass's start and returns the next due time (ms) or null. */
export async function firingPass(ctx: FiringContext): Promise<number | null> {
  const now = ctx.clock.now();
  const seen = new Set<string>();
  const failed = new Set<string>();
  for (;;) {
    const due = (await ctx.store.dueJobs(new Date(now), ctx.batch)).filter((j) => !seen.has(j.id));
    if (due.length === 0) break;
    await Promise.all(
      due.map(async (job) => {
        seen.add(job.id);
        try {
          await fireJob(ctx, job, now);
        } catch (err) {
          failed.add(job.id);
          ctx.stats.lastError = { at: new Date(ctx.clock.now()).toISOString(), message: String(err) };
          ctx.logger.error("firing a job failed", { jobId: job.id, error: String(err) });
        }
      }),
    );
  }
  const upcoming = (await ctx.store.dueJobs(FAR_FUTURE, failed.size + 1)).find((j) => !failed.has(j.id));
  let next = upcoming?.nextRunAt === undefined ? null : Date.parse(upcoming.nextRunAt);
  if (failed.size > 0) next = Math.min(next ?? Infinity, ctx.clock.now() + ctx.retryMs);
  return next;
}
