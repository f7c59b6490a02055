/**
 * Scheduled jobs and runs on Redis (layout in keys.ts; docs/decisions/redis-jobs.md). Job writes
 * are guarded by the job record they read; run writes also by the job's run state `jr:<jobId>`
 * (see runs.ts), and by the run record or the slot and run keys (expect: null) they decide on.
 */
import { conflict, invalidState, notFound } from "../../domain/errors.js";
import type { Job, Run } from "../../domain/jobs.js";
import type {
  AdvanceInput, BackendOptions, ClaimInput, FinishInput, FireSlotInput, JobInput, JobStore, ListJobsQuery, ListRunsQuery, Page, ReleaseInput,
} from "../contract.js";
import { decodeCursor } from "../../core/paging.js";
import { advancesNextRun, buildJob, newRun } from "../common/jobs.js";
import { checkVersion } from "../../core/sessions.js";
import type { Command, Guard, RedisClient } from "./client.js";
import type { Keys } from "./keys.js";
import { lexPage } from "./pages.js";
import { RedisRuns, type JobCtx } from "./runs.js";
import type { WritePlan, Writer } from "./write.js";

const NONE = { guards: [], changes: [], commands: [] };
/** Claim candidates re-read within one attempt when the index moved on between two reads. */
const MAX_CANDIDATES = 100;

export class RedisJobs implements JobStore {
  private readonly runs: RedisRuns;

  constructor(
    protected readonly client: RedisClient,
    protected readonly keys: Keys,
    protected readonly writer: Writer,
    protected readonly opts: BackendOptions,
  ) {
    this.runs = new RedisRuns(client, keys, opts);
  }

  private now = () => this.opts.now().toISOString();

  private async mustReadJob(id: string): Promise<JobCtx> {
    const ctx = await this.runs.readJob(id);
    if (!ctx) throw notFound("job", id);
    return ctx;
  }

  /** The job's own indexes: all jobs, per enabled flag, and due (when it has a nextRunAt). */
  private jobIndex(old: Job | undefined, next: Job): Command[] {
    const k = this.keys;
    const cmds: Command[] = [];
    if (!old) cmds.push(["ZADD", k.jobs(), 0, next.id]);
    if (old && old.enabled !== next.enabled) cmds.push(["ZREM", k.jobs(old.enabled ? "on" : "off"), next.id]);
    if (!old || old.enabled !== next.enabled) cmds.push(["ZADD", k.jobs(next.enabled ? "on" : "off"), 0, next.id]);
    if (next.nextRunAt === undefined) cmds.push(["ZREM", k.jobs("due"), next.id]);
    else cmds.push(["ZADD", k.jobs("due"), Date.parse(next.nextRunAt), next.id]);
    return cmds;
  }

  saveJob(input: JobInput) {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<Job>> => {
      const [raw, stateRaw] = await this.client.call((r) => r.mget(k.job(input.id), k.jobRuns(input.id)));
      const existing = raw === null ? undefined : (JSON.parse(raw) as Job);
      const job = buildJob(existing, structuredClone(input), this.opts.now());
      const guards: Guard[] = [{ key: k.job(job.id), expect: raw }];
      const commands: Command[] = [["SET", k.job(job.id), JSON.stringify(job)], ...this.jobIndex(existing, job)];
      if (existing && existing.action.type !== job.action.type) {
        // Pending runs are listed for claims of "the oldest event run" only while their job is an event job.
        const pending = await this.client.call((r) => r.zrange(k.runsOfJobByStatus("pending", job.id), 0, -1));
        guards.push({ key: k.jobRuns(job.id), expect: stateRaw });
        if (pending.length > 0) {
          commands.push(job.action.type === "event" ? ["ZADD", k.pendingEventRuns(), ...pending.flatMap((m) => [0, m])] : ["ZREM", k.pendingEventRuns(), ...pending]);
        }
      }
      return {
        guards,
        changes: [{ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { created: !existing } }],
        commands,
        result: job,
      };
    });
  }

  async getJob(id: string) {
    return (await this.mustReadJob(id)).job;
  }

  async listJobs(q: ListJobsQuery): Promise<Page<Job>> {
    const k = this.keys;
    const after = q.cursor === undefined ? undefined : String(decodeCursor(q.cursor, 1)[0]);
    const index = q.enabled === undefined ? k.jobs() : k.jobs(q.enabled ? "on" : "off");
    return lexPage(this.client, { index, order: "asc", after, limit: q.limit, recordKey: k.job, parse: (raw) => JSON.parse(raw) as Job, cursorOf: (j) => [j.id] });
  }

  async deleteJob(id: string, expectedVersion?: number) {
    await this.writer.write(async () => {
      const ctx = await this.mustReadJob(id);
      checkVersion("job", ctx.job, expectedVersion);
      const removal = await this.runs.removal(ctx.job, undefined, undefined, {});
      return { guards: this.runs.guards(ctx), changes: [removal.change], commands: removal.commands, result: undefined };
    });
  }

  triggerJob(jobId: string, runId: string) {
    return this.writer.write(async (): Promise<WritePlan<Run>> => {
      const ctx = await this.mustReadJob(jobId);
      if ((await this.client.call((r) => r.exists(this.keys.run(runId)))) > 0) throw conflict(`run ${JSON.stringify(runId)} already exists`, { id: runId });
      const now = this.now();
      const status = ctx.job.noOverlap && ctx.unfinished > 0 ? "skipped" : "pending";
      const run = newRun({ id: runId, jobId, scheduledFor: now, firedBy: this.opts.origin, status }, now);
      const plan = await this.runs.write(ctx, undefined, run, "run.fired", true);
      plan.guards.push({ key: this.keys.run(runId), expect: null });
      return plan;
    });
  }

  async getRun(id: string) {
    const found = await this.runs.readRun(id);
    if (!found) throw notFound("run", id);
    return found.run;
  }

  listRuns(q: ListRunsQuery): Promise<Page<Run>> {
    return this.runs.list(q);
  }

  claimRun(input: ClaimInput): Promise<Run | null> {
    return this.writer.write(async (): Promise<WritePlan<Run | null>> => {
      for (let i = 0; i < MAX_CANDIDATES; i++) {
        const runId = input.runId ?? (await this.oldestPending(input.jobId));
        if (runId === undefined) break;
        const found = await this.runs.readRun(runId);
        const ctx = found && (await this.runs.readJob(found.run.jobId));
        const verdict = this.verdict(input, found?.run, ctx?.job);
        if (verdict === "stale") continue;
        if (verdict === "none" || !found || !ctx) break;
        const claimed: Run = { ...found.run, status: "claimed", claimedBy: input.worker, claimedAt: this.now() };
        const plan = await this.runs.write(ctx, found.run, claimed, "run.claimed", false);
        plan.guards.push({ key: this.keys.run(runId), expect: found.raw });
        return plan;
      }
      return { ...NONE, result: null };
    });
  }

  /**
   * Whether `run` may be claimed: "yes"; "none" (nothing qualifies: null); or "stale", when the
   * index named a run that the later reads saw change (claimed, deleted, job now exec): look again.
   */
  private verdict(input: ClaimInput, run: Run | undefined, job: Job | undefined): "yes" | "none" | "stale" {
    const named = input.runId !== undefined;
    if (!run || !job || run.status !== "pending" || (input.jobId !== undefined && run.jobId !== input.jobId)) return named ? "none" : "stale";
    if (named || job.action.type === "event") return "yes";
    return input.jobId !== undefined ? "none" : "stale"; // an exec job's runs are claimed by runId only
  }

  /** The oldest pending run of `jobId` (if it is an event job), else of every event job. */
  private async oldestPending(jobId: string | undefined): Promise<string | undefined> {
    const k = this.keys;
    const index = jobId === undefined ? k.pendingEventRuns() : k.runsOfJobByStatus("pending", jobId);
    const [first] = await this.client.call((r) => r.zrangebylex(index, "-", "+", "LIMIT", 0, 1));
    return first === undefined ? undefined : first.slice(first.indexOf("\0") + 1);
  }

  /** The claimed run and its job; NOT_FOUND, INVALID_STATE unless claimed, CONFLICT on a worker mismatch. */
  private async claimed(runId: string, worker: string | undefined): Promise<{ raw: string; run: Run; ctx: JobCtx }> {
    const found = await this.runs.readRun(runId);
    const ctx = found && (await this.runs.readJob(found.run.jobId));
    if (!found || !ctx) throw notFound("run", runId);
    const { run } = found;
    if (run.status !== "claimed") throw invalidState(`run ${JSON.stringify(run.id)} is ${run.status}, not claimed`, { status: run.status });
    if (worker !== undefined && worker !== run.claimedBy) {
      throw conflict(`run ${JSON.stringify(run.id)} is claimed by ${JSON.stringify(run.claimedBy)}, not ${JSON.stringify(worker)}`, { claimedBy: run.claimedBy });
    }
    return { raw: found.raw, run, ctx };
  }

  finishRun(input: FinishInput) {
    return this.writer.write(async (): Promise<WritePlan<Run>> => {
      const { raw, run, ctx } = await this.claimed(input.runId, input.worker);
      const finished: Run = { ...run, status: input.status, finishedAt: this.now() };
      if (input.error !== undefined) finished.error = input.error;
      if (input.output !== undefined) finished.output = structuredClone(input.output);
      const plan = await this.runs.write(ctx, run, finished, "run.finished", true);
      plan.guards.push({ key: this.keys.run(run.id), expect: raw });
      return plan;
    });
  }

  async dueJobs(until: Date, limit: number) {
    const k = this.keys;
    const ids = await this.client.call((r) => r.zrangebyscore(k.jobs("due"), "-inf", until.getTime(), "LIMIT", 0, limit));
    if (ids.length === 0) return [];
    const raws = await this.client.call((r) => r.mget(...ids.map(k.job)));
    const cutoff = until.toISOString();
    return raws.flatMap((raw) => {
      const job = raw === null ? undefined : (JSON.parse(raw) as Job);
      return job?.enabled && job.nextRunAt !== undefined && job.nextRunAt <= cutoff ? [job] : [];
    });
  }

  fireSlot(input: FireSlotInput) {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<Run | null>> => {
      const ctx = await this.mustReadJob(input.jobId);
      const scheduledFor = new Date(input.scheduledFor).toISOString();
      const slot = k.slot(scheduledFor, ctx.job.id);
      const [holder, taken] = await this.client.call((r) => r.mget(slot, k.run(input.runId)));
      // A slot is freed only with its run, which nextRunAt has moved past: a taken slot is final.
      if (holder !== null) return { ...NONE, result: null };
      if (taken !== null) throw conflict(`run ${JSON.stringify(input.runId)} already exists`, { id: input.runId });
      const status = input.status === "pending" && ctx.job.noOverlap && ctx.unfinished > 0 ? "skipped" : input.status;
      const run = newRun({ id: input.runId, jobId: ctx.job.id, scheduledFor, firedBy: input.firedBy, status }, this.now());
      const plan: WritePlan<Run | null> = await this.runs.write(ctx, undefined, run, "run.fired", true, slot);
      plan.guards.push({ key: slot, expect: null }, { key: k.run(run.id), expect: null });
      return plan;
    });
  }

  advanceJob(input: AdvanceInput) {
    return this.writer.write(async (): Promise<WritePlan<Job>> => {
      const ctx = await this.mustReadJob(input.jobId);
      const { job } = ctx;
      checkVersion("job", job, input.version);
      const nextRunAt = input.nextRunAt === null ? null : new Date(input.nextRunAt).toISOString();
      if (!advancesNextRun(job.nextRunAt, nextRunAt)) return { ...NONE, result: job };
      const moved: Job = { ...job };
      if (nextRunAt === null) delete moved.nextRunAt;
      else moved.nextRunAt = nextRunAt;
      return {
        guards: [{ key: this.keys.job(job.id), expect: ctx.raw }],
        changes: [{ domain: "jobs", type: "job.saved", id: job.id, version: job.version, data: { nextRunAt } }],
        commands: [["SET", this.keys.job(job.id), JSON.stringify(moved)], ...this.jobIndex(job, moved)],
        result: moved,
      };
    });
  }

  releaseClaim(input: ReleaseInput) {
    return this.writer.write(async (): Promise<WritePlan<Run>> => {
      const { raw, run, ctx } = await this.claimed(input.runId, input.worker);
      let released: Run;
      if (run.attempt >= input.maxAttempts) {
        released = { ...run, status: "abandoned", finishedAt: this.now(), error: `abandoned after ${run.attempt} attempts` };
      } else {
        released = { ...run, status: "pending", attempt: run.attempt + 1 };
        delete released.claimedBy;
        delete released.claimedAt;
      }
      const abandoned = released.status === "abandoned";
      const plan = await this.runs.write(ctx, run, released, abandoned ? "run.finished" : "run.fired", abandoned);
      plan.guards.push({ key: this.keys.run(run.id), expect: raw });
      return plan;
    });
  }
}
