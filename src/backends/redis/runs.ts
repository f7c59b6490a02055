/**
 * Runs on Redis for RedisJobs: reading a job with its run state, the index entries of a run, and
 * the composition every run write shares (bookkeeping, change, pruning, deleteAfterRun).
 *
 * The per-job string `jr:<jobId>` ("<rev>,<unfinished>") plays the part of the SQL job row lock:
 * every write to a job's runs bumps `rev` and is guarded by the value it read, and it is read before
 * any run index of the job. So whatever a run write decided from the job's runs (noOverlap, the
 * unfinished count for deleteAfterRun, which runs to prune or delete, which slots to free) is exact
 * across daemons, and the write is retried from fresh reads when another write came first.
 */
import type { ChangeInput } from "../../domain/changes.js";
import { isFinished, RUN_STATUSES, type Job, type Run } from "../../domain/jobs.js";
import type { BackendOptions, ListRunsQuery, Page } from "../contract.js";
import { retentionOf } from "../contract.js";
import { decodeCursor } from "../../core/paging.js";
import { runChange, runSortKey, runsToPrune, withRunBookkeeping } from "../common/jobs.js";
import type { Command, Guard, RedisClient } from "./client.js";
import { lexId, lexMember, type Keys } from "./keys.js";
import { lexPage } from "./pages.js";
import type { WritePlan } from "./write.js";

/** A job as a run write reads it: the record, and the run state string, both as read (the guards). */
export interface JobCtx {
  job: Job;
  raw: string;
  stateRaw: string | null;
  rev: number;
  unfinished: number;
}

export type RunChangeType = "run.fired" | "run.claimed" | "run.finished";

const member = (r: Run) => lexMember(r.scheduledFor, r.id);

export class RedisRuns {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly opts: BackendOptions,
  ) {}

  /** The job and its run state, read in one MGET; undefined when the job does not exist. */
  async readJob(jobId: string): Promise<JobCtx | undefined> {
    const [raw, stateRaw] = await this.client.call((r) => r.mget(this.keys.job(jobId), this.keys.jobRuns(jobId)));
    if (raw === null) return undefined;
    const [rev, unfinished] = (stateRaw ?? "0,0").split(",").map(Number);
    return { job: JSON.parse(raw) as Job, raw, stateRaw, rev, unfinished };
  }

  async readRun(runId: string): Promise<{ raw: string; run: Run } | undefined> {
    const raw = await this.client.call((r) => r.get(this.keys.run(runId)));
    return raw === null ? undefined : { raw, run: JSON.parse(raw) as Run };
  }

  guards(ctx: JobCtx): Guard[] {
    return [
      { key: this.keys.job(ctx.job.id), expect: ctx.raw },
      { key: this.keys.jobRuns(ctx.job.id), expect: ctx.stateRaw },
    ];
  }

  /** The indexes a run is in: all, per job, per status, per job and status, and pending runs of event jobs. */
  private places(r: Run, eventJob: boolean): string[] {
    const k = this.keys;
    const at = [k.runs(), k.runsOfJob(r.jobId), k.runsByStatus(r.status), k.runsOfJobByStatus(r.status, r.jobId)];
    if (eventJob && r.status === "pending") at.push(k.pendingEventRuns());
    return at;
  }

  /** Moves a run's index entries from `old` to `next` (either may be absent); the member never changes. */
  index(old: Run | undefined, next: Run | undefined, eventJob: boolean): Command[] {
    const before = new Set(old ? this.places(old, eventJob) : []);
    const after = new Set(next ? this.places(next, eventJob) : []);
    const cmds: Command[] = [];
    for (const key of before) if (!after.has(key)) cmds.push(["ZREM", key, member(old as Run)]);
    for (const key of after) if (!before.has(key)) cmds.push(["ZADD", key, 0, member(next as Run)]);
    return cmds;
  }

  /**
   * The write of `next` (old: the run as stored; undefined for a new run) for the job in `ctx`:
   * the record and its indexes, the job's bookkeeping and run state, the run's change, then (for a
   * new or finished run) deleteAfterRun or pruning. `slot`: the slot key a new fireSlot run takes.
   */
  async write(ctx: JobCtx, old: Run | undefined, next: Run, type: RunChangeType, addedOrFinished: boolean, slot?: string): Promise<WritePlan<Run>> {
    const k = this.keys;
    const eventJob = ctx.job.action.type === "event";
    const unfinished = ctx.unfinished - (old && !isFinished(old.status) ? 1 : 0) + (isFinished(next.status) ? 0 : 1);
    const job = withRunBookkeeping(ctx.job, next);
    const commands: Command[] = [["SET", k.run(next.id), JSON.stringify(next)], ...this.index(old, next, eventJob)];
    if (slot !== undefined) commands.push(["SET", slot, next.id]);
    const changes: ChangeInput[] = [runChange(type, next)];
    const plan = { guards: this.guards(ctx), changes, commands, result: next };
    if (addedOrFinished && isFinished(next.status) && job.deleteAfterRun && unfinished === 0) {
      const removal = await this.removal(job, next, slot, { afterRun: next.id });
      commands.push(...removal.commands);
      changes.push(removal.change);
      return plan;
    }
    if (job !== ctx.job) commands.push(["SET", k.job(job.id), JSON.stringify(job)]);
    commands.push(["SET", k.jobRuns(job.id), `${ctx.rev + 1},${unfinished}`]);
    if (addedOrFinished) commands.push(...(await this.prune(job, next, old === undefined)));
    return plan;
  }

  /**
   * Deletes the job, its run state and every run with their indexes and slots. `written`: a run
   * this same write stores (it may not be in the index yet); `slot`: a slot key this write sets.
   * The caller guards the job's run state, which was read before the index read here.
   */
  async removal(job: Job, written: Run | undefined, slot: string | undefined, data: Record<string, unknown>): Promise<{ commands: Command[]; change: ChangeInput }> {
    const k = this.keys;
    const ids = new Set((await this.client.call((r) => r.zrange(k.runsOfJob(job.id), 0, -1))).map(lexId));
    if (written) ids.delete(written.id);
    const runs = [...(await this.loadRuns([...ids])), ...(written ? [written] : [])];
    const commands: Command[] = [...(await this.dropRuns(runs, job.action.type === "event", slot))];
    commands.push(
      ["DEL", k.job(job.id), k.jobRuns(job.id), k.runsOfJob(job.id), ...RUN_STATUSES.map((s) => k.runsOfJobByStatus(s, job.id))],
      ["ZREM", k.jobs(), job.id],
      ["ZREM", k.jobs(job.enabled ? "on" : "off"), job.id],
      ["ZREM", k.jobs("due"), job.id],
    );
    return { commands, change: { domain: "jobs", type: "job.deleted", id: job.id, version: job.version, data: { ...data, runsRemoved: runs.length } } };
  }

  /**
   * Deletes finished runs beyond the job's newest `runsPerJob`. Only the index from rank
   * runsPerJob − 1 on is read: every member above it stays in the window whatever this write adds,
   * so the runs beyond the window are those candidates after the newest one (runsToPrune's rule).
   */
  private async prune(job: Job, next: Run, added: boolean): Promise<Command[]> {
    const keep = retentionOf(this.opts).runsPerJob;
    const skip = Math.max(keep - 1, 0);
    const tail = (await this.client.call((r) => r.zrevrangebylex(this.keys.runsOfJob(job.id), "+", "-", "LIMIT", skip, -1))).map(lexId);
    const others = tail.filter((id) => id !== next.id);
    const inWindow = keep >= 1 ? 1 : 0;
    if (others.length + (added || tail.length > others.length ? 1 : 0) <= inWindow) return [];
    const candidates = [...(await this.loadRuns(others)), ...(added || tail.length > others.length ? [next] : [])];
    const doomed = new Set(runsToPrune(candidates, inWindow));
    return doomed.size === 0 ? [] : this.dropRuns(candidates.filter((r) => doomed.has(r.id)), job.action.type === "event", undefined);
  }

  private async loadRuns(ids: string[]): Promise<Run[]> {
    if (ids.length === 0) return [];
    const raws = await this.client.call((r) => r.mget(...ids.map((id) => this.keys.run(id))));
    return raws.flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as Run]));
  }

  /** Deletes runs with their index entries and the slot keys they hold (plus `slot`, set by this write). */
  private async dropRuns(runs: Run[], eventJob: boolean, slot: string | undefined): Promise<Command[]> {
    if (runs.length === 0) return [];
    const k = this.keys;
    const slotKeys = runs.map((r) => k.slot(r.scheduledFor, r.jobId));
    const holders = await this.client.call((r) => r.mget(...slotKeys));
    const freed = slotKeys.filter((key, i) => holders[i] === runs[i].id || key === slot);
    const commands: Command[] = runs.flatMap((r) => this.index(r, undefined, eventJob));
    commands.push(["DEL", ...runs.map((r) => k.run(r.id)), ...new Set(freed)]);
    return commands;
  }

  /** Newest scheduledFor first, ties by id descending, through the narrowest index the filters name. */
  async list(q: ListRunsQuery): Promise<Page<Run>> {
    const k = this.keys;
    const index =
      q.jobId !== undefined
        ? q.status !== undefined ? k.runsOfJobByStatus(q.status, q.jobId) : k.runsOfJob(q.jobId)
        : q.status !== undefined ? k.runsByStatus(q.status) : k.runs();
    const after = q.cursor === undefined ? undefined : lexMember(...(decodeCursor(q.cursor, 2).map(String) as [string, string]));
    return lexPage(this.client, {
      index, order: "desc", after, limit: q.limit, recordKey: (m) => k.run(lexId(m)), parse: (raw) => JSON.parse(raw) as Run, cursorOf: runSortKey,
    });
  }
}
