/**
 * Jobs and runs held in process: jobs by id, runs by id, each job's run ids, and slot keys
 * ((jobId, scheduledFor) → run id). The jsonl port extends this model and keeps it in files too.
 */
import type { Job, Run } from "../../domain/jobs.js";
import { compareCodePoints, compareKeys } from "../../domain/order.js";
import type { JobsReadPort, JobsWritePort, RunFilter, RunKey } from "../contract.js";
import { clone } from "../../domain/clone.js";

const runKey = (r: Run): RunKey => [r.scheduledFor, r.id];
const slotKey = (jobId: string, scheduledFor: string) => `${jobId}\0${scheduledFor}`;
const newestFirst = (a: Run, b: Run) => compareKeys(runKey(b), runKey(a));
const unfinished = (r: Run) => r.status === "pending" || r.status === "claimed";

export const JOB_WRITES: ReadonlySet<string> = new Set<keyof JobsWritePort>(["putJob", "deleteJob", "putRun", "deleteRuns"]);

export class MemoryJobsPort implements JobsReadPort, JobsWritePort {
  protected readonly jobs = new Map<string, Job>();
  protected readonly runs = new Map<string, Run>();
  /** jobId → its run ids. */
  protected readonly runIds = new Map<string, Set<string>>();
  /** slotKey → run id. */
  protected readonly slots = new Map<string, string>();

  private runsOf(jobId: string): Run[] {
    return [...(this.runIds.get(jobId) ?? [])].map((id) => this.runs.get(id) as Run);
  }

  async job(id: string) {
    const j = this.jobs.get(id);
    return j && clone(j);
  }

  async listJobs(enabled: boolean | undefined, after: string | undefined, limit: number) {
    const rows = [...this.jobs.values()]
      .filter((j) => (enabled === undefined || j.enabled === enabled) && (after === undefined || compareCodePoints(j.id, after) > 0))
      .sort((a, b) => compareCodePoints(a.id, b.id));
    return clone(rows.slice(0, limit));
  }

  async dueJobs(until: string, limit: number) {
    const rows = [...this.jobs.values()]
      .filter((j) => j.enabled && j.nextRunAt !== undefined && j.nextRunAt <= until)
      .sort((a, b) => compareKeys([a.nextRunAt as string, a.id], [b.nextRunAt as string, b.id]));
    return clone(rows.slice(0, limit));
  }

  async jobOfRun(runId: string) {
    return this.runs.get(runId)?.jobId;
  }

  async run(id: string) {
    const r = this.runs.get(id);
    return r && clone(r);
  }

  async slot(jobId: string, scheduledFor: string) {
    return this.slots.get(slotKey(jobId, scheduledFor));
  }

  async listRuns(filter: RunFilter, after: RunKey | undefined, limit: number) {
    const source = filter.jobId === undefined ? [...this.runs.values()] : this.runsOf(filter.jobId);
    const rows = source
      .filter((r) => (filter.status === undefined || r.status === filter.status) && (after === undefined || compareKeys(runKey(r), after) < 0))
      .sort(newestFirst);
    return clone(rows.slice(0, limit));
  }

  async pendingRuns(jobId: string | undefined, actionType: string | undefined, after: RunKey | undefined, limit: number) {
    const source = jobId === undefined ? [...this.runs.values()] : this.runsOf(jobId);
    const rows = source
      .filter((r) => r.status === "pending" && (after === undefined || compareKeys(runKey(r), after) > 0))
      .filter((r) => actionType === undefined || this.jobs.get(r.jobId)?.action.type === actionType)
      .sort((a, b) => newestFirst(b, a));
    return clone(rows.slice(0, limit));
  }

  async unfinishedRuns(jobId: string, limit: number) {
    return clone(this.runsOf(jobId).filter(unfinished).slice(0, limit));
  }

  async runsOfJob(jobId: string, skip: number) {
    return clone(this.runsOf(jobId).sort(newestFirst).slice(skip));
  }

  putJob(next: Job, _prev: Job | undefined): void {
    this.jobs.set(next.id, clone(next));
  }

  deleteJob(job: Job, runs: readonly Run[]): void {
    this.dropRuns([...runs, ...this.runsOf(job.id)]);
    this.jobs.delete(job.id);
    this.runIds.delete(job.id);
  }

  putRun(next: Run, _prev: Run | undefined, slot?: boolean): void {
    this.runs.set(next.id, clone(next));
    let ids = this.runIds.get(next.jobId);
    if (!ids) this.runIds.set(next.jobId, (ids = new Set()));
    ids.add(next.id);
    if (slot) this.slots.set(slotKey(next.jobId, next.scheduledFor), next.id);
  }

  deleteRuns(runs: readonly Run[]): void {
    this.dropRuns(runs);
  }

  private dropRuns(runs: readonly Run[]): void {
    for (const r of runs) {
      this.runs.delete(r.id);
      this.runIds.get(r.jobId)?.delete(r.id);
      const key = slotKey(r.jobId, r.scheduledFor);
      if (this.slots.get(key) === r.id) this.slots.delete(key);
    }
  }
}
