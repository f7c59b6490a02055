/**
 * Job and run record rules (SPEC §3.3), pure: building a saved job, schedule bookkeeping, run
 * states (claim, finish, release, lease), run order and retention. The caller stores the result.
 */
import type { ChangeInput } from "../domain/changes.js";
import { conflict, invalidParams, invalidState } from "../domain/errors.js";
import { DEFAULT_LEASE_MS, isFinished, type Job, type Run, type RunStatus } from "../domain/jobs.js";
import { compareCodePoints } from "../domain/order.js";
import { intervalOf, nextOccurrence, validateSchedule, type Schedule } from "../domain/schedule.js";
import type { FinishInput, JobInput } from "../backends/contract/jobs.js";
import { checkVersion } from "./sessions.js";
import { clone } from "../domain/clone.js";

const iso = (t: string | number | Date): string => new Date(t).toISOString();
const sameSchedule = (a: Schedule, b: Schedule): boolean =>
  "cron" in a ? "cron" in b && a.cron.trim() === b.cron.trim() : "at" in b && a.at === b.at;

/** The @every anchor: the caller's, else the stored one while the expression is unchanged, else now (to the second) + interval. */
function anchorFor(existing: Job | undefined, input: JobInput, schedule: Schedule, now: Date): string | undefined {
  const interval = intervalOf(schedule);
  if (interval === undefined) {
    if (input.anchorAt !== undefined) throw invalidParams("anchorAt applies only to @every schedules", "/anchorAt");
    return undefined;
  }
  if (input.anchorAt !== undefined) return iso(input.anchorAt);
  if (existing?.anchorAt !== undefined && sameSchedule(existing.schedule, schedule)) return existing.anchorAt;
  return iso(Math.floor(now.getTime() / 1000) * 1000 + interval);
}

function firstRun(existing: Job | undefined, job: Job, now: Date): string | undefined {
  const { schedule } = job;
  if (!job.enabled) return undefined;
  const unchanged =
    existing !== undefined &&
    sameSchedule(existing.schedule, schedule) &&
    existing.timezone === job.timezone &&
    existing.anchorAt === job.anchorAt;
  if (unchanged && existing.enabled) return existing.nextRunAt;
  if ("at" in schedule) {
    const ranForIt = unchanged && existing.lastRunAt !== undefined && existing.lastRunAt >= schedule.at;
    return ranForIt ? undefined : schedule.at;
  }
  const next = nextOccurrence(schedule, job.timezone, now, job.anchorAt === undefined ? undefined : new Date(job.anchorAt));
  return next === null ? undefined : iso(next);
}

/**
 * The job after saving `input` over `existing` (undefined: a new job) at `now`. Throws
 * INVALID_PARAMS for a bad schedule, zone or anchor and CONFLICT on expectedVersion; changes nothing.
 */
export function buildJob(existing: Job | undefined, input: JobInput, now: Date): Job {
  if (existing) checkVersion("job", existing, input.expectedVersion);
  else if (input.expectedVersion !== undefined) {
    throw conflict(`job ${JSON.stringify(input.id)} does not exist, so it is not at version ${input.expectedVersion}`, {
      expectedVersion: input.expectedVersion,
    });
  }
  validateSchedule(input.schedule, input.timezone, now);
  const schedule: Schedule = "at" in input.schedule ? { at: iso(input.schedule.at) } : { cron: input.schedule.cron };
  const at = iso(now);
  const job: Job = {
    id: input.id,
    schedule,
    timezone: input.timezone,
    enabled: input.enabled,
    deleteAfterRun: input.deleteAfterRun,
    action: input.action,
    payload: input.payload,
    misfire: input.misfire,
    noOverlap: input.noOverlap,
    createdAt: existing?.createdAt ?? at,
    updatedAt: at,
    version: (existing?.version ?? 0) + 1,
  };
  if (input.name !== undefined) job.name = input.name;
  if (input.description !== undefined) job.description = input.description;
  const anchorAt = anchorFor(existing, input, schedule, now);
  if (anchorAt !== undefined) job.anchorAt = anchorAt;
  const nextRunAt = firstRun(existing, job, now);
  if (nextRunAt !== undefined) job.nextRunAt = nextRunAt;
  for (const key of ["lastRunAt", "lastStatus", "lastError"] as const) {
    if (existing?.[key] !== undefined) (job as Record<string, unknown>)[key] = existing[key];
  }
  return job;
}

/** True when `candidate` (null: no more runs) is later than the stored nextRunAt, i.e. advancing moves forward. */
export const advancesNextRun = (stored: string | undefined, candidate: string | null): boolean =>
  stored !== undefined && (candidate === null || candidate > stored);

export function newRun(
  fields: { id: string; jobId: string; scheduledFor: string; firedBy: string; status: RunStatus },
  now: string,
): Run {
  const run: Run = { ...fields, scheduledFor: iso(fields.scheduledFor), firedAt: now, attempt: 1 };
  if (isFinished(run.status)) run.finishedAt = now;
  return run;
}

/** The job with lastRunAt/lastStatus/lastError following `run`, if it is the job's newest run; else unchanged. */
export function withRunBookkeeping(job: Job, run: Run): Job {
  if (job.lastRunAt !== undefined && run.firedAt < job.lastRunAt) return job;
  const next: Job = { ...job, lastRunAt: run.firedAt, lastStatus: run.status };
  delete next.lastError;
  if ((run.status === "failed" || run.status === "abandoned") && run.error !== undefined) next.lastError = run.error;
  return next;
}

export function runChange(type: "run.fired" | "run.claimed" | "run.finished", run: Run): ChangeInput {
  const data: Record<string, unknown> = { jobId: run.jobId, status: run.status, scheduledFor: run.scheduledFor, attempt: run.attempt };
  if (type === "run.claimed") data.worker = run.claimedBy;
  return { domain: "runs", type, id: run.id, data };
}

/** Runs sort newest scheduledFor first, ties by id descending (code point order); the cursor is that key. */
export const runSortKey = (r: Run): [string, string] => [r.scheduledFor, r.id];
export const compareRunsDesc = (a: Run, b: Run): number =>
  a.scheduledFor === b.scheduledFor ? compareCodePoints(b.id, a.id) : a.scheduledFor < b.scheduledFor ? 1 : -1;

/**
 * Runs to delete so that a job keeps its newest `keep` runs: `tail` is the job's stored runs
 * beyond its newest `keep - 1` (newest first, as read before this write), `written` the run this
 * write stores, `isNew` whether it is a new run. Only finished runs beyond the window go;
 * unfinished runs are never pruned.
 */
export function runsToPrune(tail: readonly Run[], written: Run, isNew: boolean, keep: number): Run[] {
  const others = tail.filter((r) => r.id !== written.id);
  const inTail = others.length < tail.length;
  let beyond: Run[];
  if (keep <= 0) beyond = [...others, written];
  else if (!isNew && !inTail) beyond = others.slice(1); // changed inside the window: nothing moves
  else if (isNew && others.length > 0 && compareRunsDesc(written, others[0]) < 0) beyond = others; // the tail moves down one place
  else beyond = [...others, written].sort(compareRunsDesc).slice(1);
  return beyond.filter((r) => isFinished(r.status));
}

/** The run claimed by `worker` for `claimant` at `now`, with a lease of `leaseMs`. */
export function claimed(run: Run, worker: string, claimant: Run["claimant"], now: string, leaseMs = DEFAULT_LEASE_MS): Run {
  return { ...run, status: "claimed", claimedBy: worker, claimedAt: now, claimant, leaseExpiresAt: leaseUntil(now, leaseMs) };
}

export const leaseUntil = (now: string, leaseMs: number): string => new Date(Date.parse(now) + leaseMs).toISOString();

/** When the claim on `run` expires: its lease, else (a claim recorded before leases) claimedAt + the default lease. */
export function leaseEnd(run: Run): string | undefined {
  if (run.leaseExpiresAt !== undefined) return run.leaseExpiresAt;
  return run.claimedAt === undefined ? undefined : leaseUntil(run.claimedAt, DEFAULT_LEASE_MS);
}

/** True when `run` is claimed and its lease ended before `now`. */
export const leaseExpired = (run: Run, now: string): boolean => {
  const end = leaseEnd(run);
  return run.status === "claimed" && end !== undefined && end < now;
};

/** `run` without claimant and lease (a claim that ended). */
function unclaimed(run: Run): Run {
  const next = { ...run };
  delete next.claimant;
  delete next.leaseExpiresAt;
  return next;
}

/** INVALID_STATE unless `run` is claimed; CONFLICT when `worker` is given and is not its claimant. */
export function checkClaimed(run: Run, worker: string | undefined): void {
  if (run.status !== "claimed") throw invalidState(`run ${JSON.stringify(run.id)} is ${run.status}, not claimed`, { status: run.status });
  if (worker !== undefined && worker !== run.claimedBy) {
    throw conflict(`run ${JSON.stringify(run.id)} is claimed by ${JSON.stringify(run.claimedBy)}, not ${JSON.stringify(worker)}`, {
      claimedBy: run.claimedBy,
    });
  }
}

export function finished(run: Run, input: FinishInput, now: string): Run {
  const next: Run = { ...unclaimed(run), status: input.status, finishedAt: now };
  if (input.error !== undefined) next.error = input.error;
  if (input.output !== undefined) next.output = clone(input.output);
  return next;
}

/** A claim given back: pending with attempt + 1, or abandoned once it had `maxAttempts` attempts. */
export function released(run: Run, maxAttempts: number, now: string): Run {
  if (run.attempt >= maxAttempts) {
    return { ...unclaimed(run), status: "abandoned", finishedAt: now, error: `abandoned after ${run.attempt} attempts` };
  }
  const next: Run = { ...unclaimed(run), status: "pending", attempt: run.attempt + 1 };
  delete next.claimedBy;
  delete next.claimedAt;
  return next;
}
