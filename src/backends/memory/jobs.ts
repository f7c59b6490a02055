/**
 * In-memory jobs and runs. Each method does all its checks first, then mutates and records its
 * changes synchronously, with no await in between: that is what makes it atomic here.
 */
import { conflict, invalidState, notFound } from "../../domain/errors.js";
import { isFinished, type Job, type Run } from "../../domain/jobs.js";
import type {
  AdvanceInput, BackendOptions, ClaimInput, FinishInput, FireSlotInput, JobInput, JobStore,
  ListJobsQuery, ListRunsQuery, Page, ReleaseInput,
} from "../contract.js";
import { retentionOf } from "../contract.js";
import { decodeCursor, firstPage } from "../../core/paging.js";
import {
  advancesNextRun, buildJob, compareRunsAsc, compareRunsDesc, newRun, runChange, runSortKey, runsToPrune, withRunBookkeeping,
} from "../common/jobs.js";
import { checkVersion } from "../../core/sessions.js";
import type { MemoryChangeLog } from "./changes.js";

interface Entry {
  job: Job;
  /** This job's run ids. */
  runIds: Set<string>;
  /** scheduledFor → run id, for runs made by fireSlot: the slot key. */
  slots: Map<string, string>;
}


export class MemoryJobs implements JobStore {
  private readonly entries = new Map<string, Entry>();
  private readonly runs = new Map<string, Run>();

  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}

  private now(): string {
    return this.opts.now().toISOString();
  }

  private entry(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw notFound("job", id);
    return e;
  }

  private run(id: string): Run {
    const r = this.runs.get(id);
    if (!r) throw notFound("run", id);
    return r;
  }

  private hasUnfinished(e: Entry): boolean {
    for (const id of e.runIds) if (!isFinished((this.runs.get(id) as Run).status)) return true;
    return false;
  }

  async saveJob(input: JobInput) {
    const existing = this.entries.get(input.id);
    const job = buildJob(existing?.job, structuredClone(input), this.opts.now());
    if (existing) existing.job = job;
    else this.entries.set(job.id, { job, runIds: new Set(), slots: new Map() });
    this.changes.record({ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { created: !existing } });
    return structuredClone(job);
  }

  async getJob(id: string) {
    return structuredClone(this.entry(id).job);
  }

  async listJobs(q: ListJobsQuery): Promise<Page<Job>> {
    const after = q.cursor === undefined ? undefined : String(decodeCursor(q.cursor, 1)[0]);
    const jobs = [...this.entries.values()]
      .map((e) => e.job)
      .filter((j) => (q.enabled === undefined || j.enabled === q.enabled) && (after === undefined || j.id > after))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return structuredClone(firstPage(jobs, q.limit, (j) => [j.id]));
  }

  async deleteJob(id: string, expectedVersion?: number) {
    const e = this.entry(id);
    checkVersion("job", e.job, expectedVersion);
    this.remove(e, {});
  }

  private remove(e: Entry, data: Record<string, unknown>): void {
    for (const runId of e.runIds) this.runs.delete(runId);
    this.entries.delete(e.job.id);
    this.changes.record({ domain: "jobs", type: "job.deleted", id: e.job.id, version: e.job.version, data: { ...data, runsRemoved: e.runIds.size } });
  }

  /** Stores a new run, updates the job's bookkeeping and prunes; the caller has done every check. */
  private insertRun(e: Entry, run: Run): void {
    this.runs.set(run.id, run);
    e.runIds.add(run.id);
    e.job = withRunBookkeeping(e.job, run);
    this.changes.record(runChange("run.fired", run));
    this.afterRunChange(e, run);
  }

  /** Pruning, or deleteAfterRun once a run finished and none is left unfinished. */
  private afterRunChange(e: Entry, run: Run): void {
    if (isFinished(run.status) && e.job.deleteAfterRun && !this.hasUnfinished(e)) {
      this.remove(e, { afterRun: run.id });
      return;
    }
    for (const id of runsToPrune(this.runsOf(e), retentionOf(this.opts).runsPerJob)) {
      const pruned = this.runs.get(id) as Run;
      this.runs.delete(id);
      e.runIds.delete(id);
      if (e.slots.get(pruned.scheduledFor) === id) e.slots.delete(pruned.scheduledFor);
    }
  }

  private runsOf(e: Entry): Run[] {
    return [...e.runIds].map((id) => this.runs.get(id) as Run);
  }

  async triggerJob(jobId: string, runId: string) {
    const e = this.entry(jobId);
    if (this.runs.has(runId)) throw conflict(`run ${JSON.stringify(runId)} already exists`, { id: runId });
    const status = e.job.noOverlap && this.hasUnfinished(e) ? "skipped" : "pending";
    const now = this.now();
    const run = newRun({ id: runId, jobId, scheduledFor: now, firedBy: this.opts.origin, status }, now);
    this.insertRun(e, run);
    return structuredClone(run);
  }

  async getRun(id: string) {
    return structuredClone(this.run(id));
  }

  async listRuns(q: ListRunsQuery): Promise<Page<Run>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2) as [string, string]);
    const source = q.jobId === undefined ? [...this.runs.values()] : this.entries.has(q.jobId) ? this.runsOf(this.entry(q.jobId)) : [];
    const runs = source
      .filter((r) => q.status === undefined || r.status === q.status)
      .sort(compareRunsDesc)
      .filter((r) => after === undefined || r.scheduledFor < after[0] || (r.scheduledFor === after[0] && r.id < after[1]));
    return structuredClone(firstPage(runs, q.limit, runSortKey));
  }

  async claimRun(input: ClaimInput) {
    let run: Run | undefined;
    if (input.runId !== undefined) {
      const r = this.runs.get(input.runId);
      if (r?.status === "pending" && (input.jobId === undefined || r.jobId === input.jobId)) run = r;
    } else {
      const candidates = input.jobId === undefined ? [...this.entries.values()] : [this.entries.get(input.jobId)];
      run = candidates
        .flatMap((e) => (e && e.job.action.type === "event" ? this.runsOf(e) : []))
        .filter((r) => r.status === "pending")
        .sort(compareRunsAsc)[0];
    }
    if (!run) return null;
    const e = this.entry(run.jobId);
    const claimed: Run = { ...run, status: "claimed", claimedBy: input.worker, claimedAt: this.now() };
    this.replaceRun(e, claimed, "run.claimed");
    return structuredClone(claimed);
  }

  private replaceRun(e: Entry, run: Run, type: "run.fired" | "run.claimed" | "run.finished"): void {
    this.runs.set(run.id, run);
    e.job = withRunBookkeeping(e.job, run);
    this.changes.record(runChange(type, run));
    this.afterRunChange(e, run);
  }

  private claimedRun(runId: string, worker: string | undefined): { e: Entry; run: Run } {
    const run = this.run(runId);
    if (run.status !== "claimed") {
      throw invalidState(`run ${JSON.stringify(runId)} is ${run.status}, not claimed`, { status: run.status });
    }
    if (worker !== undefined && worker !== run.claimedBy) {
      throw conflict(`run ${JSON.stringify(runId)} is claimed by ${JSON.stringify(run.claimedBy)}, not ${JSON.stringify(worker)}`, {
        claimedBy: run.claimedBy,
      });
    }
    return { e: this.entry(run.jobId), run };
  }

  async finishRun(input: FinishInput) {
    const { e, run } = this.claimedRun(input.runId, input.worker);
    const finished: Run = { ...run, status: input.status, finishedAt: this.now() };
    if (input.error !== undefined) finished.error = input.error;
    if (input.output !== undefined) finished.output = structuredClone(input.output);
    this.replaceRun(e, finished, "run.finished");
    return structuredClone(finished);
  }

  async dueJobs(until: Date, limit: number) {
    const cutoff = until.toISOString();
    const due = [...this.entries.values()]
      .map((e) => e.job)
      .filter((j) => j.enabled && j.nextRunAt !== undefined && j.nextRunAt <= cutoff)
      .sort((a, b) => ((a.nextRunAt as string) < (b.nextRunAt as string) ? -1 : a.nextRunAt === b.nextRunAt ? (a.id < b.id ? -1 : 1) : 1));
    return structuredClone(due.slice(0, limit));
  }

  async fireSlot(input: FireSlotInput) {
    const e = this.entry(input.jobId);
    const scheduledFor = new Date(input.scheduledFor).toISOString();
    if (e.slots.has(scheduledFor)) return null;
    if (this.runs.has(input.runId)) throw conflict(`run ${JSON.stringify(input.runId)} already exists`, { id: input.runId });
    const status = input.status === "pending" && e.job.noOverlap && this.hasUnfinished(e) ? "skipped" : input.status;
    const run = newRun({ id: input.runId, jobId: input.jobId, scheduledFor, firedBy: input.firedBy, status }, this.now());
    e.slots.set(scheduledFor, run.id);
    this.insertRun(e, run);
    return structuredClone(run);
  }

  async advanceJob(input: AdvanceInput) {
    const e = this.entry(input.jobId);
    checkVersion("job", e.job, input.version);
    const nextRunAt = input.nextRunAt === null ? null : new Date(input.nextRunAt).toISOString();
    if (advancesNextRun(e.job.nextRunAt, nextRunAt)) {
      const job: Job = { ...e.job };
      if (nextRunAt === null) delete job.nextRunAt;
      else job.nextRunAt = nextRunAt;
      e.job = job;
      this.changes.record({ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { nextRunAt } });
    }
    return structuredClone(e.job);
  }

  async releaseClaim(input: ReleaseInput) {
    const { e, run } = this.claimedRun(input.runId, input.worker);
    let released: Run;
    if (run.attempt >= input.maxAttempts) {
      released = { ...run, status: "abandoned", finishedAt: this.now(), error: `abandoned after ${run.attempt} attempts` };
      this.replaceRun(e, released, "run.finished");
    } else {
      released = { ...run, status: "pending", attempt: run.attempt + 1 };
      delete released.claimedBy;
      delete released.claimedAt;
      this.replaceRun(e, released, "run.fired");
    }
    return structuredClone(released);
  }
}
