/**
 * Which runs a due job gets, decided from the job alone and the current time (pure, no I/O).
 *
 * A slot is *on time* while it is at most `graceMs` old: it fires as pending. Older slots were
 * missed (no daemon ran, or none could reach the backend) and follow the job's `misfire` policy.
 * Every decision is keyed by slots computed from the stored `nextRunAt`, never from a daemon's
 * clock, so daemons that disagree on the time still name the same slots and the backend's unique
 * key fires each one once.
 */
import type { Job } from "../../domain/jobs.js";
import { nextOccurrence, occurrencesBetween } from "../../domain/schedule.js";

export interface MisfireOptions {
  /** A slot older than this when it is found is missed (default 60 s). */
  graceMs: number;
  /** misfire "all": at most this many catch-up runs per firing (default 100). */
  cap: number;
}

export const MISFIRE_DEFAULTS: MisfireOptions = { graceMs: 60_000, cap: 100 };

/** Missed slots beyond this are not enumerated, only counted as this many. */
const COUNT_LIMIT = 10_000;

export interface PlannedSlot {
  scheduledFor: Date;
  status: "pending" | "missed";
  /** A catch-up for a missed slot rather than a slot on time. */
  catchUp: boolean;
}

export interface FiringPlan {
  /** Runs to create, oldest slot first. */
  slots: PlannedSlot[];
  /** Missed slots that get no run at all (beyond the one recorded for skip, once or the cap of all). */
  dropped: number;
  /** The job's next slot after `now`; null when there is none. */
  next: Date | null;
}

/** The firing plan for an enabled job whose nextRunAt is at or before `now`. */
export function planFiring(job: Job, now: number, opts: MisfireOptions): FiringPlan {
  if (job.nextRunAt === undefined) return { slots: [], dropped: 0, next: null };
  const { schedule, timezone } = job;
  const anchor = job.anchorAt === undefined ? undefined : new Date(job.anchorAt);
  const first = Date.parse(job.nextRunAt);
  const cutoff = now - opts.graceMs;
  const between = (after: number, until: number, limit: number) =>
    until <= after ? [] : occurrencesBetween(schedule, timezone, new Date(after), new Date(until), anchor, limit);

  const missed = first < cutoff ? [new Date(first), ...between(first, cutoff - 1, COUNT_LIMIT - 1)] : [];
  const onTime = first >= cutoff ? [new Date(first), ...between(first, now, COUNT_LIMIT)] : between(cutoff - 1, now, COUNT_LIMIT);

  const slots: PlannedSlot[] = [];
  let dropped = 0;
  if (missed.length > 0) {
    switch (job.misfire) {
      case "skip":
        slots.push({ scheduledFor: missed[0], status: "missed", catchUp: true });
        dropped = missed.length - 1;
        break;
      case "once":
        slots.push({ scheduledFor: missed[0], status: "pending", catchUp: true });
        dropped = missed.length - 1;
        break;
      case "all": {
        const take = missed.slice(0, opts.cap);
        for (const s of take) slots.push({ scheduledFor: s, status: "pending", catchUp: true });
        dropped = missed.length - take.length;
        break;
      }
    }
  }
  for (const s of onTime) slots.push({ scheduledFor: s, status: "pending", catchUp: false });
  const next = "at" in schedule ? null : nextOccurrence(schedule, timezone, new Date(Math.max(now, first)), anchor);
  return { slots, dropped, next };
}
