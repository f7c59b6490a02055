/**
 * jsonl jobs and runs (files and ops in jobs-model.ts, YAML in job-file.ts). Each method checks
 * against memory and builds its ops with no `await` before `engine.tx`, as memory/jobs.ts does
 * with its mutations; the record logic is shared (common/jobs.ts).
 *
 * Hand edits of schedules/*.yaml: a watcher reconciles a changed file with memory. Content the
 * daemon wrote or accepted is recognised by its hash and ignored. Otherwise the file is validated
 * as jobs.save would validate it and becomes the job's next version (nextRunAt recomputed when the
 * schedule changed) with job.saved; the person's file is not rewritten. A deleted file deletes the
 * job (job.deleted). A file that does not parse or validate is a warning until fixed, and the last
 * good version stays in effect.
 */
import type { ChangeInput } from "../../domain/changes.js";
import { conflict, invalidState, isAgentStateError, notFound } from "../../domain/errors.js";
import { isFinished, type Job, type Run } from "../../domain/jobs.js";
import type {
  AdvanceInput, BackendOptions, ClaimInput, FinishInput, FireSlotInput, JobInput, JobStore, ListJobsQuery, ListRunsQuery, Page, ReleaseInput,
} from "../contract.js";
import { retentionOf } from "../contract.js";
import { decodeCursor, firstPage } from "../../core/paging.js";
import {
  advancesNextRun, buildJob, compareRunsAsc, compareRunsDesc, newRun, runChange, runSortKey, runsToPrune, withRunBookkeeping,
} from "../common/jobs.js";
import { checkVersion } from "../../core/sessions.js";
import type { JsonlChangeLog } from "./changes.js";
import type { JsonlDomain } from "./domain.js";
import type { Engine } from "./engine.js";
import { hashText, idForFile } from "./hand-edited.js";
import { JobFileError, jobInputFromFile, parseJobFile, serializeJob } from "./job-file.js";
import { JobsModel, readOrUndefined, YAML, type Entry, type JobOp } from "./jobs-model.js";
import type { Op } from "./journal.js";
import { DirWatcher } from "./plans-watch.js";


export class JsonlJobs implements JobStore, JsonlDomain {
  private readonly m: JobsModel;
  private readonly watcher: DirWatcher;

  constructor(
    protected readonly engine: Engine,
    protected readonly opts: BackendOptions,
    protected readonly changes: JsonlChangeLog,
  ) {
    this.m = new JobsModel(engine, opts);
    this.watcher = new DirWatcher(engine.path("schedules"), YAML, (name) => this.reconcile(name), (err) => {
      this.opts.log?.warn("jsonl jobs: watching schedules/ failed", { error: String(err) });
    });
  }

  private now = () => this.opts.now().toISOString();

  /** The change op and, for the record op of the same write, its cursor as `n`. */
  private change(input: ChangeInput): [Op, number] {
    const c = this.changes.op(input);
    return [c, Number(c.c.cursor)];
  }

  private tx(ops: JobOp[], changes: Op[]): Promise<void> {
    return this.engine.tx([...(ops as Op[]), ...changes]);
  }

  async load(): Promise<void> {
    await this.m.load();
  }

  async afterReplay(): Promise<void> {
    this.m.opening = false;
    await this.watcher.start();
    for (const name of [...this.m.pendingAtStart]) await this.reconcile(name);
    this.m.pendingAtStart.clear();
  }

  async beforeClose(): Promise<void> {
    await this.watcher.stop();
  }

  warnings(): string[] {
    return this.m.edits.warnings();
  }

  /** Brings memory in line with what `schedules/<name>` now holds (see the file comment). */
  private async reconcile(name: string): Promise<void> {
    await this.engine.settled();
    const { edits, names, entries } = this.m;
    const text = await readOrUndefined(this.engine.path("schedules", name));
    if (text === undefined) {
      edits.clear(name);
      const id = names.get(name);
      const e = id === undefined ? undefined : entries.get(id);
      if (!e || edits.busy(e.job.id)) return;
      names.delete(name);
      const [c, n] = this.change({ domain: "jobs", type: "job.deleted", id: e.job.id, version: e.job.version, data: { runsRemoved: e.runIds.size } });
      await this.tx([{ k: "rmjob", id: e.job.id, n }], [c]);
      return;
    }
    let job: Job;
    let existing: Job | undefined;
    try {
      const parsed = parseJobFile(text);
      const id = idForFile(name, YAML, parsed.id);
      if (typeof id !== "string") throw new JobFileError(id.error);
      // No await from here to the tx: the checks and the write are one atomic step.
      if (edits.busy(id)) return; // the daemon's own write is on its way; its event comes next
      if (edits.knows(id, hashText(text))) return edits.clear(name);
      existing = entries.get(id)?.job;
      job = buildJob(existing, jobInputFromFile(id, parsed, existing), this.opts.now());
      if (!existing) {
        if (parsed.createdAt !== undefined) job.createdAt = new Date(parsed.createdAt).toISOString();
        if (parsed.version !== undefined) job.version = parsed.version;
      }
    } catch (err) {
      if (!(err instanceof JobFileError) && !isAgentStateError(err)) throw err;
      edits.warn(name, err.message);
      return;
    }
    edits.clear(name);
    const [c, n] = this.change({ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { created: !existing } });
    await this.tx([{ k: "job", j: job, n, h: hashText(text), c: text }], [c]);
  }

  private entry(id: string): Entry {
    const e = this.m.entries.get(id);
    if (!e) throw notFound("job", id);
    return e;
  }

  private run(id: string): Run {
    const r = this.m.runs.get(id);
    if (!r) throw notFound("run", id);
    return r;
  }

  private runsOf(e: Entry): Run[] {
    return [...e.runIds].map((id) => this.m.runs.get(id) as Run);
  }

  private hasUnfinished(e: Entry): boolean {
    return this.runsOf(e).some((r) => !isFinished(r.status));
  }

  /** A bookkeeping-only write of the job: the YAML stays, the state gets a line. */
  private bookkeeping(job: Job, n: number): JobOp {
    return { k: "job", j: job, n, h: this.m.edits.latest(job.id) ?? "" };
  }

  async saveJob(input: JobInput) {
    const existing = this.m.entries.get(input.id);
    const job = buildJob(existing?.job, structuredClone(input), this.opts.now());
    const [c, n] = this.change({ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { created: !existing } });
    await this.tx([{ k: "job", j: job, n, h: hashText(serializeJob(job)), y: true }], [c]);
    return structuredClone(job);
  }

  async getJob(id: string) {
    return structuredClone(this.entry(id).job);
  }

  async listJobs(q: ListJobsQuery): Promise<Page<Job>> {
    const after = q.cursor === undefined ? undefined : String(decodeCursor(q.cursor, 1)[0]);
    const jobs = [...this.m.entries.values()]
      .map((e) => e.job)
      .filter((j) => (q.enabled === undefined || j.enabled === q.enabled) && (after === undefined || j.id > after))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return structuredClone(firstPage(jobs, q.limit, (j) => [j.id]));
  }

  async deleteJob(id: string, expectedVersion?: number) {
    const e = this.entry(id);
    checkVersion("job", e.job, expectedVersion);
    const [ops, changes] = this.removal(e, {});
    await this.tx(ops, changes);
  }

  private removal(e: Entry, data: Record<string, unknown>): [JobOp[], Op[]] {
    const [c, n] = this.change({ domain: "jobs", type: "job.deleted", id: e.job.id, version: e.job.version, data: { ...data, runsRemoved: e.runIds.size } });
    return [[{ k: "rmjob", id: e.job.id, n, rm: true }], [c]];
  }

  /**
   * The write of a run's new state: the run (with the runs it prunes), the job's bookkeeping, or —
   * a deleteAfterRun job whose last unfinished run finished — the job's removal. Decided on memory
   * as it is now, so the caller must not await between its checks and this.
   */
  private runWrite(e: Entry, run: Run, type: "run.fired" | "run.claimed" | "run.finished", slot: boolean): Promise<void> {
    const [c, n] = this.change(runChange(type, run));
    const others = this.runsOf(e).filter((r) => r.id !== run.id);
    const job = withRunBookkeeping(e.job, run);
    if (isFinished(run.status) && job.deleteAfterRun && others.every((r) => isFinished(r.status))) {
      const [ops, changes] = this.removal({ ...e, runIds: new Set([...e.runIds, run.id]) }, { afterRun: run.id });
      return this.tx(ops, [c, ...changes]);
    }
    const gone = runsToPrune([...others, run], retentionOf(this.opts).runsPerJob);
    const op: JobOp = { k: "run", r: run, n, ...(slot ? { slot: true as const } : {}), ...(gone.length > 0 ? { gone } : {}) };
    return this.tx(job === e.job ? [op] : [op, this.bookkeeping(job, n)], [c]);
  }

  async triggerJob(jobId: string, runId: string) {
    const e = this.entry(jobId);
    if (this.m.runs.has(runId)) throw conflict(`run ${JSON.stringify(runId)} already exists`, { id: runId });
    const status = e.job.noOverlap && this.hasUnfinished(e) ? "skipped" : "pending";
    const now = this.now();
    const run = newRun({ id: runId, jobId, scheduledFor: now, firedBy: this.opts.origin, status }, now);
    await this.runWrite(e, run, "run.fired", false);
    return structuredClone(run);
  }

  async getRun(id: string) {
    return structuredClone(this.run(id));
  }

  async listRuns(q: ListRunsQuery): Promise<Page<Run>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2) as [string, string]);
    const e = q.jobId === undefined ? undefined : this.m.entries.get(q.jobId);
    const source = q.jobId === undefined ? [...this.m.runs.values()] : e ? this.runsOf(e) : [];
    const runs = source
      .filter((r) => q.status === undefined || r.status === q.status)
      .sort(compareRunsDesc)
      .filter((r) => after === undefined || r.scheduledFor < after[0] || (r.scheduledFor === after[0] && r.id < after[1]));
    return structuredClone(firstPage(runs, q.limit, runSortKey));
  }

  async claimRun(input: ClaimInput) {
    let run: Run | undefined;
    if (input.runId !== undefined) {
      const r = this.m.runs.get(input.runId);
      if (r?.status === "pending" && (input.jobId === undefined || r.jobId === input.jobId)) run = r;
    } else {
      const candidates = input.jobId === undefined ? [...this.m.entries.values()] : [this.m.entries.get(input.jobId)];
      run = candidates
        .flatMap((e) => (e && e.job.action.type === "event" ? this.runsOf(e) : []))
        .filter((r) => r.status === "pending")
        .sort(compareRunsAsc)[0];
    }
    if (!run) return null;
    const claimed: Run = { ...run, status: "claimed", claimedBy: input.worker, claimedAt: this.now() };
    await this.replaceRun(claimed, "run.claimed");
    return structuredClone(claimed);
  }

  private replaceRun(run: Run, type: "run.fired" | "run.claimed" | "run.finished"): Promise<void> {
    const e = this.entry(run.jobId);
    return this.runWrite(e, run, type, e.slots.get(run.scheduledFor) === run.id);
  }

  private claimedRun(runId: string, worker: string | undefined): Run {
    const run = this.run(runId);
    if (run.status !== "claimed") throw invalidState(`run ${JSON.stringify(runId)} is ${run.status}, not claimed`, { status: run.status });
    if (worker !== undefined && worker !== run.claimedBy) {
      throw conflict(`run ${JSON.stringify(runId)} is claimed by ${JSON.stringify(run.claimedBy)}, not ${JSON.stringify(worker)}`, {
        claimedBy: run.claimedBy,
      });
    }
    return run;
  }

  async finishRun(input: FinishInput) {
    const run = this.claimedRun(input.runId, input.worker);
    const finished: Run = { ...run, status: input.status, finishedAt: this.now() };
    if (input.error !== undefined) finished.error = input.error;
    if (input.output !== undefined) finished.output = structuredClone(input.output);
    await this.replaceRun(finished, "run.finished");
    return structuredClone(finished);
  }

  async dueJobs(until: Date, limit: number) {
    const cutoff = until.toISOString();
    const due = [...this.m.entries.values()]
      .map((e) => e.job)
      .filter((j) => j.enabled && j.nextRunAt !== undefined && j.nextRunAt <= cutoff)
      .sort((a, b) => ((a.nextRunAt as string) < (b.nextRunAt as string) ? -1 : a.nextRunAt === b.nextRunAt ? (a.id < b.id ? -1 : 1) : 1));
    return structuredClone(due.slice(0, limit));
  }

  async fireSlot(input: FireSlotInput) {
    const e = this.entry(input.jobId);
    const scheduledFor = new Date(input.scheduledFor).toISOString();
    if (e.slots.has(scheduledFor)) return null;
    if (this.m.runs.has(input.runId)) throw conflict(`run ${JSON.stringify(input.runId)} already exists`, { id: input.runId });
    const status = input.status === "pending" && e.job.noOverlap && this.hasUnfinished(e) ? "skipped" : input.status;
    const run = newRun({ id: input.runId, jobId: input.jobId, scheduledFor, firedBy: input.firedBy, status }, this.now());
    await this.runWrite(e, run, "run.fired", true);
    return structuredClone(run);
  }

  async advanceJob(input: AdvanceInput) {
    const e = this.entry(input.jobId);
    checkVersion("job", e.job, input.version);
    const nextRunAt = input.nextRunAt === null ? null : new Date(input.nextRunAt).toISOString();
    if (!advancesNextRun(e.job.nextRunAt, nextRunAt)) return structuredClone(e.job);
    const job: Job = { ...e.job };
    if (nextRunAt === null) delete job.nextRunAt;
    else job.nextRunAt = nextRunAt;
    const [c, n] = this.change({ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { nextRunAt } });
    await this.tx([this.bookkeeping(job, n)], [c]);
    return structuredClone(job);
  }

  async releaseClaim(input: ReleaseInput) {
    const run = this.claimedRun(input.runId, input.worker);
    let released: Run;
    if (run.attempt >= input.maxAttempts) {
      released = { ...run, status: "abandoned", finishedAt: this.now(), error: `abandoned after ${run.attempt} attempts` };
      await this.replaceRun(released, "run.finished");
    } else {
      released = { ...run, status: "pending", attempt: run.attempt + 1 };
      delete released.claimedBy;
      delete released.claimedAt;
      await this.replaceRun(released, "run.fired");
    }
    return structuredClone(released);
  }
}
