/** Job and run record logic every backend shares: building a saved job, run bookkeeping, ordering. */
import type { ChangeInput } from "../../domain/changes.js";
import { conflict, invalidParams } from "../../domain/errors.js";
import { isFinished, type Job, type Run, type RunStatus } from "../../domain/jobs.js";
import { intervalOf, nextOccurrence, validateSchedule, type Schedule } from "../../domain/schedule.js";
import type { JobInput } from "../contract/jobs.js";
import { checkVersion } from "../../core/sessions.js";

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

/** Runs sort newest scheduledFor first, ties by id descending; the cursor is that key. */
export const runSortKey = (r: Run): [string, string] => [r.scheduledFor, r.id];
export const compareRunsDesc = (a: Run, b: Run): number =>
  a.scheduledFor === b.scheduledFor ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.scheduledFor < b.scheduledFor ? 1 : -1;
export const compareRunsAsc = (a: Run, b: Run): number => -compareRunsDesc(a, b);

/** Ids of the finished runs beyond the newest `keep` of one job's runs (which may come in any order). */
export function runsToPrune(runs: Iterable<Run>, keep: number): string[] {
  return [...runs]
    .sort(compareRunsDesc)
    .slice(keep)
    .filter((r) => isFinished(r.status))
    .map((r) => r.id);
}
