/**
 * Jobs and runs on SQL (SPEC §3.3): `jobs` and `runs` hold each record as JSON plus the columns the
 * queries need (migration 003). Every write is one transaction with its change records. Row access
 * and the locking discipline are in ./runs.ts; docs/decisions/sql-jobs.md explains the choices.
 */
import { conflict, invalidState, notFound } from "../../domain/errors.js";
import { isFinished, type Job, type Run } from "../../domain/jobs.js";
import type {
  AdvanceInput, BackendOptions, ClaimInput, FinishInput, FireSlotInput, JobInput, JobStore,
  ListJobsQuery, ListRunsQuery, Page, ReleaseInput,
} from "../contract.js";
import { retentionOf } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { advancesNextRun, buildJob, newRun, runChange, withRunBookkeeping } from "../common/jobs.js";
import { checkVersion } from "../../core/sessions.js";
import { SqlStore } from "./store.js";
import type { Param, SqlDb, TxSql } from "./db.js";
import { parseJob, parseRun, RunRows } from "./runs.js";

type RunChangeType = "run.fired" | "run.claimed" | "run.finished";

/** Each lost claim race means another claimer took a run, so this bound is never reached in practice. */
const MAX_CLAIM_TRIES = 1000;
const RETRY = Symbol("retry");

export class SqlJobs extends SqlStore implements JobStore {
  private readonly rows: RunRows;

  constructor(db: SqlDb, opts: BackendOptions, committed: () => void) {
    super(db, opts, committed);
    this.rows = new RunRows(db);
  }

  private async mustLockJob(q: TxSql, id: string): Promise<Job> {
    const job = await this.rows.lockJob(q, id);
    if (!job) throw notFound("job", id);
    return job;
  }

  private async mustLockRun(q: TxSql, runId: string): Promise<{ job: Job; run: Run }> {
    const found = await this.rows.lockRun(q, runId);
    if (!found) throw notFound("run", runId);
    return found;
  }

  saveJob(input: JobInput) {
    return this.tx(async (q) => {
      // A concurrent create of the same id makes the insert a no-op; the next pass sees that job.
      for (let pass = 0; pass < 3; pass++) {
        const existing = await this.rows.lockJob(q, input.id);
        const job = buildJob(existing, structuredClone(input), this.opts.now());
        if (existing) await this.rows.updateJob(q, job);
        else if (!(await this.rows.insertJob(q, job))) continue;
        await this.change(q, { domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { created: !existing } });
        return job;
      }
      throw conflict(`job ${JSON.stringify(input.id)} is being changed concurrently; try again`, { id: input.id });
    });
  }

  async getJob(id: string) {
    const row = await this.db.read.get<{ data: string }>("SELECT data FROM jobs WHERE id = ?", [id]);
    if (!row) throw notFound("job", id);
    return parseJob(row);
  }

  async listJobs(query: ListJobsQuery): Promise<Page<Job>> {
    const where: string[] = [];
    const params: Param[] = [];
    if (query.enabled !== undefined) {
      where.push("enabled = ?");
      params.push(query.enabled ? 1 : 0);
    }
    if (query.cursor !== undefined) {
      where.push("id > ?");
      params.push(String(decodeCursor(query.cursor, 1)[0]));
    }
    const sql = `SELECT data FROM jobs ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id LIMIT ?`;
    const rows = await this.db.read.all<{ data: string }>(sql, [...params, query.limit + 1]);
    const items = rows.slice(0, query.limit).map(parseJob);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? encodeCursor([last.id]) : null };
  }

  deleteJob(id: string, expectedVersion?: number) {
    return this.tx(async (q) => {
      const job = await this.mustLockJob(q, id);
      checkVersion("job", job, expectedVersion);
      await this.removeJob(q, job, {});
    });
  }

  private async removeJob(q: TxSql, job: Job, data: Record<string, unknown>): Promise<void> {
    const runsRemoved = await this.rows.deleteJob(q, job.id);
    await this.change(q, { domain: "jobs", type: "job.deleted", id: job.id, version: job.version, data: { ...data, runsRemoved } });
  }

  /**
   * What follows a run write, with the job row locked: the job's bookkeeping, the run's change, then
   * (for a new or finished run) deleteAfterRun or pruning.
   */
  private async afterRunWrite(q: TxSql, job: Job, run: Run, type: RunChangeType, addedOrFinished: boolean): Promise<void> {
    const next = withRunBookkeeping(job, run);
    if (next !== job) await this.rows.updateJob(q, next);
    await this.change(q, runChange(type, run));
    if (!addedOrFinished) return;
    if (isFinished(run.status) && next.deleteAfterRun && !(await this.rows.hasUnfinished(q, job.id))) {
      await this.removeJob(q, next, { afterRun: run.id });
      return;
    }
    await this.rows.prune(q, job.id, retentionOf(this.opts).runsPerJob);
  }

  /** Inserts a new run for the locked job; false when its id or slot is taken. */
  private async addRun(q: TxSql, job: Job, run: Run, slot: string | null): Promise<boolean> {
    if (!(await this.rows.insertRun(q, run, slot))) return false;
    await this.afterRunWrite(q, job, run, "run.fired", true);
    return true;
  }

  private async statusFor(q: TxSql, job: Job, requested: Run["status"]): Promise<Run["status"]> {
    return requested === "pending" && job.noOverlap && (await this.rows.hasUnfinished(q, job.id)) ? "skipped" : requested;
  }

  triggerJob(jobId: string, runId: string) {
    return this.tx(async (q) => {
      const job = await this.mustLockJob(q, jobId);
      const now = this.now();
      const status = await this.statusFor(q, job, "pending");
      const run = newRun({ id: runId, jobId, scheduledFor: now, firedBy: this.opts.origin, status }, now);
      if (!(await this.addRun(q, job, run, null))) throw conflict(`run ${JSON.stringify(runId)} already exists`, { id: runId });
      return run;
    });
  }

  async getRun(id: string) {
    const row = await this.db.read.get<{ data: string }>("SELECT data FROM runs WHERE id = ?", [id]);
    if (!row) throw notFound("run", id);
    return parseRun(row);
  }

  listRuns(query: ListRunsQuery): Promise<Page<Run>> {
    return this.rows.list(query);
  }

  async claimRun(input: ClaimInput) {
    if (input.runId !== undefined) {
      const runId = input.runId;
      return this.tx(async (q) => (await this.claimIn(q, runId, input, true)) ?? null);
    }
    // The candidate is read without a lock; after the job lock it is checked again. Losing it to
    // another claimer (on this host or another) means trying the next oldest in a new transaction,
    // so this transaction never holds two job locks.
    for (let i = 0; i < MAX_CLAIM_TRIES; i++) {
      const result = await this.tx(async (q) => {
        const candidate = await this.rows.claimCandidate(q, input.jobId);
        if (candidate === undefined) return null;
        return (await this.claimIn(q, candidate, input, false)) ?? RETRY;
      });
      if (result !== RETRY) return result;
    }
    return null;
  }

  /** Claims `runId` if it still qualifies once its job is locked; undefined when it does not. */
  private async claimIn(q: TxSql, runId: string, input: ClaimInput, anyAction: boolean): Promise<Run | undefined> {
    const found = await this.rows.lockRun(q, runId);
    if (!found) return undefined;
    const { job, run } = found;
    if (run.status !== "pending" || (input.jobId !== undefined && run.jobId !== input.jobId)) return undefined;
    if (!anyAction && job.action.type !== "event") return undefined;
    const claimed: Run = { ...run, status: "claimed", claimedBy: input.worker, claimedAt: this.now() };
    await this.rows.updateRun(q, claimed);
    await this.afterRunWrite(q, job, claimed, "run.claimed", false);
    return claimed;
  }

  private claimedRun(found: { job: Job; run: Run }, worker: string | undefined): { job: Job; run: Run } {
    const { run } = found;
    if (run.status !== "claimed") throw invalidState(`run ${JSON.stringify(run.id)} is ${run.status}, not claimed`, { status: run.status });
    if (worker !== undefined && worker !== run.claimedBy) {
      throw conflict(`run ${JSON.stringify(run.id)} is claimed by ${JSON.stringify(run.claimedBy)}, not ${JSON.stringify(worker)}`, {
        claimedBy: run.claimedBy,
      });
    }
    return found;
  }

  finishRun(input: FinishInput) {
    return this.tx(async (q) => {
      const { job, run } = this.claimedRun(await this.mustLockRun(q, input.runId), input.worker);
      const finished: Run = { ...run, status: input.status, finishedAt: this.now() };
      if (input.error !== undefined) finished.error = input.error;
      if (input.output !== undefined) finished.output = structuredClone(input.output);
      await this.rows.updateRun(q, finished);
      await this.afterRunWrite(q, job, finished, "run.finished", true);
      return finished;
    });
  }

  async dueJobs(until: Date, limit: number) {
    const rows = await this.db.read.all<{ data: string }>(
      "SELECT data FROM jobs WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at, id LIMIT ?",
      [until.toISOString(), limit],
    );
    return rows.map(parseJob);
  }

  fireSlot(input: FireSlotInput) {
    return this.tx(async (q) => {
      // The job lock makes the noOverlap check and the bookkeeping race-free; the slot's unique key
      // (runs_slot) decides which of several concurrent daemons inserts the run.
      const job = await this.mustLockJob(q, input.jobId);
      const scheduledFor = new Date(input.scheduledFor).toISOString();
      const status = await this.statusFor(q, job, input.status);
      const run = newRun({ id: input.runId, jobId: job.id, scheduledFor, firedBy: input.firedBy, status }, this.now());
      if (await this.addRun(q, job, run, scheduledFor)) return run;
      if (await this.rows.slotTaken(q, job.id, scheduledFor)) return null;
      throw conflict(`run ${JSON.stringify(input.runId)} already exists`, { id: input.runId });
    });
  }

  advanceJob(input: AdvanceInput) {
    return this.tx(async (q) => {
      const job = await this.mustLockJob(q, input.jobId);
      checkVersion("job", job, input.version);
      const nextRunAt = input.nextRunAt === null ? null : new Date(input.nextRunAt).toISOString();
      if (!advancesNextRun(job.nextRunAt, nextRunAt)) return job;
      const moved: Job = { ...job };
      if (nextRunAt === null) delete moved.nextRunAt;
      else moved.nextRunAt = nextRunAt;
      await this.rows.updateJob(q, moved);
      await this.change(q, { domain: "jobs", type: "job.saved", id: moved.id, version: moved.version, data: { nextRunAt } });
      return moved;
    });
  }

  releaseClaim(input: ReleaseInput) {
    return this.tx(async (q) => {
      const { job, run } = this.claimedRun(await this.mustLockRun(q, input.runId), input.worker);
      let released: Run;
      if (run.attempt >= input.maxAttempts) {
        released = { ...run, status: "abandoned", finishedAt: this.now(), error: `abandoned after ${run.attempt} attempts` };
      } else {
        released = { ...run, status: "pending", attempt: run.attempt + 1 };
        delete released.claimedBy;
        delete released.claimedAt;
      }
      await this.rows.updateRun(q, released);
      const abandoned = released.status === "abandoned";
      await this.afterRunWrite(q, job, released, abandoned ? "run.finished" : "run.fired", abandoned);
      return released;
    });
  }
}
