/**
 * Jobs and runs (SPEC §3.3), written once over the storage primitives
 * (src/backends/contract/ports/jobs.ts). Every write reads the job first (which, on every backend,
 * covers the job's runs: see the port), reads what it decides on, then writes the records and their
 * change entries in one unit of work. Record rules are in ./job-rules.ts.
 */
import { conflict, invalidParams, notFound } from "../domain/errors.js";
import { isFinished, type Job, type Run } from "../domain/jobs.js";
import { STORE_DEFAULTS, type BackendOptions } from "../backends/contract/common.js";
import type {
  AdvanceInput, ClaimInput, ExpireInput, FinishInput, FireSlotInput, JobInput, JobStore, ListJobsQuery, ListRunsQuery, Page,
  ReleaseInput, RenewInput, Storage, UnitOfWork,
} from "../backends/contract.js";
import { decodeCursor, pageOf } from "./paging.js";
import {
  advancesNextRun, buildJob, checkClaimed, claimed, finished, leaseExpired, leaseUntil, newRun, released, runChange, runSortKey,
  runsToPrune, withRunBookkeeping,
} from "./job-rules.js";
import { checkVersion } from "./sessions.js";
import { clone } from "../domain/clone.js";

type Jobs = UnitOfWork["jobs"];
type RunChangeType = "run.fired" | "run.claimed" | "run.finished";

/** A claim without runId lost its candidate to another claimer: look again in a new unit. */
const AGAIN = Symbol("again");
/** Each lost race means another claimer took a run, so this bound is not reached in practice. */
const MAX_CLAIM_TRIES = 1000;

async function mustJob(j: Pick<Jobs, "job">, id: string): Promise<Job> {
  const job = await j.job(id);
  if (!job) throw notFound("job", id);
  return job;
}

/** The run and its job, the job read (locked) first; NOT_FOUND when either is gone. */
async function runWithJob(j: Jobs, runId: string): Promise<{ job: Job; run: Run } | undefined> {
  const jobId = await j.jobOfRun(runId);
  const job = jobId === undefined ? undefined : await j.job(jobId);
  const run = job && (await j.run(runId));
  return job && run && run.jobId === job.id ? { job, run } : undefined;
}

async function mustRunWithJob(j: Jobs, runId: string): Promise<{ job: Job; run: Run }> {
  const found = await runWithJob(j, runId);
  if (!found) throw notFound("run", runId);
  return found;
}

export class CoreJobs implements JobStore {
  /** Runs kept per job (retentionOf(opts).runsPerJob). */
  private readonly runsPerJob: number;

  constructor(
    private readonly storage: Storage,
    private readonly opts: Pick<BackendOptions, "now" | "retention">,
  ) {
    this.runsPerJob = opts.retention?.runsPerJob ?? STORE_DEFAULTS.runsPerJob;
  }

  /**
   * The write of run `next` (`prev`: as stored; undefined for a new run) of the locked `job`: the
   * record, the job's bookkeeping, the run's change, then — for a run added or finished —
   * deleteAfterRun or pruning. Reads everything first.
   */
  private async writeRun(u: UnitOfWork, job: Job, prev: Run | undefined, next: Run, type: RunChangeType, slot = false): Promise<void> {
    const j = u.jobs;
    const finishedNow = isFinished(next.status) && (prev === undefined || !isFinished(prev.status));
    let all: Run[] | undefined;
    if (finishedNow && job.deleteAfterRun && (await j.unfinishedRuns(job.id, 2)).every((r) => r.id === next.id)) {
      all = await j.runsOfJob(job.id, 0);
    }
    const tail = all === undefined && (prev === undefined || finishedNow) ? await j.runsOfJob(job.id, Math.max(this.runsPerJob - 1, 0)) : [];
    u.change(runChange(type, next));
    if (all !== undefined) {
      j.deleteJob(job, all);
      u.change({ domain: "jobs", type: "job.deleted", id: job.id, version: job.version, data: { afterRun: next.id } });
      return;
    }
    j.putRun(next, prev, slot);
    const booked = withRunBookkeeping(job, next);
    if (booked !== job) j.putJob(booked, job);
    const doomed = prev === undefined || finishedNow ? runsToPrune(tail, next, prev === undefined, this.runsPerJob) : [];
    if (doomed.length > 0) j.deleteRuns(doomed);
  }

  /** "skipped" for a requested "pending" when the job has noOverlap and an unfinished run. */
  private async statusFor(j: Jobs, job: Job, requested: Run["status"]): Promise<Run["status"]> {
    return requested === "pending" && job.noOverlap && (await j.unfinishedRuns(job.id, 1)).length > 0 ? "skipped" : requested;
  }

  async saveJob(input: JobInput): Promise<Job> {
    return this.storage.write(async (u) => {
      const existing = await u.jobs.job(input.id);
      const job = buildJob(existing, clone(input), new Date(u.now));
      u.jobs.putJob(job, existing);
      u.change({ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { created: !existing } });
      return job;
    });
  }

  async getJob(id: string): Promise<Job> {
    return this.storage.read((r) => mustJob(r.jobs, id));
  }

  async listJobs(q: ListJobsQuery): Promise<Page<Job>> {
    const after = q.cursor === undefined ? undefined : String(decodeCursor(q.cursor, 1, ["string"])[0]);
    return this.storage.read(async (r) => pageOf(await r.jobs.listJobs(q.enabled, after, q.limit + 1), q.limit, (j) => [j.id]));
  }

  async deleteJob(id: string, expectedVersion?: number): Promise<void> {
    return this.storage.write(async (u) => {
      const job = await mustJob(u.jobs, id);
      checkVersion("job", job, expectedVersion);
      const runs = await u.jobs.runsOfJob(id, 0);
      u.jobs.deleteJob(job, runs);
      u.change({ domain: "jobs", type: "job.deleted", id, version: job.version, data: { runsRemoved: runs.length } });
    });
  }

  async triggerJob(jobId: string, runId: string): Promise<Run> {
    return this.storage.write(async (u) => {
      const job = await mustJob(u.jobs, jobId);
      if ((await u.jobs.jobOfRun(runId)) !== undefined) throw conflict(`run ${JSON.stringify(runId)} already exists`, { id: runId });
      const status = await this.statusFor(u.jobs, job, "pending");
      const run = newRun({ id: runId, jobId, scheduledFor: u.now, firedBy: u.origin, status }, u.now);
      await this.writeRun(u, job, undefined, run, "run.fired");
      return run;
    });
  }

  async getRun(id: string): Promise<Run> {
    return this.storage.read(async (r) => {
      const run = await r.jobs.run(id);
      if (!run) throw notFound("run", id);
      return run;
    });
  }

  async listRuns(q: ListRunsQuery): Promise<Page<Run>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2, ["string", "string"]) as [string, string]);
    return this.storage.read(async (r) =>
      pageOf(await r.jobs.listRuns({ jobId: q.jobId, status: q.status }, after, q.limit + 1), q.limit, runSortKey),
    );
  }

  async claimRun(input: ClaimInput): Promise<Run | null> {
    if (input.leaseMs !== undefined && !(input.leaseMs > 0)) throw invalidParams("leaseMs must be positive", "/leaseMs");
    if (input.runId !== undefined) {
      const runId = input.runId;
      return this.storage.write(async (u) => (await this.claimIn(u, runId, input, true)) ?? null);
    }
    // The candidate is read without a lock, then checked again once its job is locked; a candidate
    // lost to another claimer means looking again in a new unit, so no unit holds two job locks.
    for (let i = 0; i < MAX_CLAIM_TRIES; i++) {
      const result = await this.storage.write(async (u) => {
        const [candidate] = await u.jobs.pendingRuns(input.jobId, "event", undefined, 1);
        if (candidate === undefined) return null;
        return (await this.claimIn(u, candidate.id, input, false)) ?? AGAIN;
      });
      if (result !== AGAIN) return result;
    }
    return null;
  }

  /** Claims `runId` if it still qualifies once its job is locked; undefined when it does not. */
  private async claimIn(u: UnitOfWork, runId: string, input: ClaimInput, anyAction: boolean): Promise<Run | undefined> {
    const found = await runWithJob(u.jobs, runId);
    if (!found) return undefined;
    const { job, run } = found;
    if (run.status !== "pending" || (input.jobId !== undefined && run.jobId !== input.jobId)) return undefined;
    if (!anyAction && job.action.type !== "event") return undefined;
    const claimant: Run["claimant"] = input.connection === undefined ? { origin: u.origin } : { origin: u.origin, connection: input.connection };
    const next = claimed(run, input.worker, claimant, u.now, input.leaseMs);
    await this.writeRun(u, job, run, next, "run.claimed");
    return next;
  }

  async finishRun(input: FinishInput): Promise<Run> {
    return this.storage.write(async (u) => {
      const { job, run } = await mustRunWithJob(u.jobs, input.runId);
      checkClaimed(run, input.worker);
      const next = finished(run, input, u.now);
      await this.writeRun(u, job, run, next, "run.finished");
      return next;
    });
  }

  async releaseClaim(input: ReleaseInput): Promise<Run> {
    return this.storage.write(async (u) => {
      const { job, run } = await mustRunWithJob(u.jobs, input.runId);
      checkClaimed(run, input.worker);
      return this.release(u, job, run, input.maxAttempts);
    });
  }

  private async release(u: UnitOfWork, job: Job, run: Run, maxAttempts: number): Promise<Run> {
    const next = released(run, maxAttempts, u.now);
    await this.writeRun(u, job, run, next, next.status === "abandoned" ? "run.finished" : "run.fired");
    return next;
  }

  async renewLeases(input: RenewInput): Promise<number> {
    let renewed = 0;
    for (const runId of input.runIds) {
      const ok = await this.storage.write(async (u) => {
        const found = await runWithJob(u.jobs, runId);
        if (!found || found.run.status !== "claimed" || found.run.claimant?.origin !== u.origin) return false;
        u.jobs.putRun({ ...found.run, leaseExpiresAt: leaseUntil(u.now, input.leaseMs) }, found.run);
        return true;
      });
      if (ok) renewed++;
    }
    return renewed;
  }

  async expireLeases(input: ExpireInput): Promise<Run[]> {
    // A prefilter by the store's clock; each unit decides again by its own `now`.
    const now = this.opts.now().toISOString();
    const claimedRuns = await this.storage.read(async (r) => {
      const out: Run[] = [];
      let after: [string, string] | undefined;
      for (;;) {
        const page = await r.jobs.listRuns({ status: "claimed" }, after, 1000);
        out.push(...page);
        if (page.length < 1000) return out;
        const last = page[page.length - 1];
        after = [last.scheduledFor, last.id];
      }
    });
    const done: Run[] = [];
    for (const candidate of claimedRuns.filter((r) => leaseExpired(r, now))) {
      if (done.length >= input.limit) break;
      const run = await this.storage.write(async (u) => {
        const found = await runWithJob(u.jobs, candidate.id);
        if (!found || !leaseExpired(found.run, u.now)) return undefined;
        return this.release(u, found.job, found.run, input.maxAttempts);
      });
      if (run) done.push(run);
    }
    return done;
  }

  async dueJobs(until: Date, limit: number): Promise<Job[]> {
    return this.storage.read((r) => r.jobs.dueJobs(until.toISOString(), limit));
  }

  async fireSlot(input: FireSlotInput): Promise<Run | null> {
    return this.storage.write(async (u) => {
      const j = u.jobs;
      const job = await mustJob(j, input.jobId);
      const scheduledFor = new Date(input.scheduledFor).toISOString();
      // A slot is freed only with its run, which nextRunAt has moved past: a taken slot is final.
      if ((await j.slot(job.id, scheduledFor)) !== undefined) return null;
      if ((await j.jobOfRun(input.runId)) !== undefined) throw conflict(`run ${JSON.stringify(input.runId)} already exists`, { id: input.runId });
      const status = await this.statusFor(j, job, input.status);
      const run = newRun({ id: input.runId, jobId: job.id, scheduledFor, firedBy: input.firedBy, status }, u.now);
      await this.writeRun(u, job, undefined, run, "run.fired", true);
      return run;
    });
  }

  async advanceJob(input: AdvanceInput): Promise<Job> {
    return this.storage.write(async (u) => {
      const job = await mustJob(u.jobs, input.jobId);
      checkVersion("job", job, input.version);
      const nextRunAt = input.nextRunAt === null ? null : new Date(input.nextRunAt).toISOString();
      if (!advancesNextRun(job.nextRunAt, nextRunAt)) return job;
      const moved: Job = { ...job };
      if (nextRunAt === null) delete moved.nextRunAt;
      else moved.nextRunAt = nextRunAt;
      u.jobs.putJob(moved, job);
      u.change({ domain: "jobs", type: "job.saved", id: moved.id, version: moved.version, data: { nextRunAt } });
      return moved;
    });
  }

  /** The restore path for jobs (RestoreStore.job): the record as given, bookkeeping included, no schedule arithmetic. */
  async restoreJob(job: Job): Promise<void> {
    return this.storage.write(async (u) => {
      const stored = await u.jobs.job(job.id);
      u.jobs.putJob(clone(job), stored);
      u.change({ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { restored: true } });
    });
  }

  /**
   * The restore path for runs (RestoreStore.runs): each run as given, replacing a stored one of the
   * same id. A restored run holds its (jobId, scheduledFor) slot unless another run does, so a slot
   * that already ran does not fire again. NOT_FOUND for a run whose job was not restored first.
   */
  async restoreRuns(runs: Run[]): Promise<void> {
    const byJob = new Map<string, Run[]>();
    for (const run of runs) byJob.set(run.jobId, [...(byJob.get(run.jobId) ?? []), run]);
    for (const [jobId, list] of byJob) {
      await this.storage.write(async (u) => {
        const j = u.jobs;
        await mustJob(j, jobId);
        const plans: Array<{ run: Run; prev: Run | undefined; slot: boolean }> = [];
        const slots = new Set<string>();
        for (const run of list) {
          const otherJob = await j.jobOfRun(run.id);
          if (otherJob !== undefined && otherJob !== jobId) throw conflict(`run ${JSON.stringify(run.id)} belongs to job ${JSON.stringify(otherJob)}`, { id: run.id });
          const prev = otherJob === undefined ? undefined : await j.run(run.id);
          const holder = await j.slot(jobId, run.scheduledFor);
          const slot = holder === undefined && !slots.has(run.scheduledFor);
          if (slot) slots.add(run.scheduledFor);
          plans.push({ run: clone(run), prev, slot });
        }
        for (const { run, prev, slot } of plans) {
          j.putRun(run, prev, slot);
          const type: RunChangeType = isFinished(run.status) ? "run.finished" : run.status === "claimed" ? "run.claimed" : "run.fired";
          const change = runChange(type, run);
          u.change({ ...change, data: { ...(change.data as object), restored: true } });
        }
      });
    }
  }
}
