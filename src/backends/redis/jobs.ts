/**
 * Jobs and runs on Redis (layout in keys.ts). Inside a unit of work, reading a job guards its
 * record `j:<id>` and its run revision `jr:<jobId>`; every write to the job's runs (records,
 * indexes, slot keys) also sets a fresh revision, so that one guard covers everything the unit read
 * about the job's runs through the indexes. Reading a run record guards it too.
 */
import { randomUUID } from "node:crypto";
import { RUN_STATUSES, type Job, type Run } from "../../domain/jobs.js";
import type { JobsReadPort, JobsWritePort, RunFilter, RunKey } from "../contract.js";
import type { Command } from "./client.js";
import { lexId, lexMember } from "./keys.js";
import { RedisPort } from "./port.js";

const member = (r: Run) => lexMember(r.scheduledFor, r.id);
const PAGE = 200;

export class RedisJobsPort extends RedisPort implements JobsReadPort, JobsWritePort {

  /**
   * Records named by the members of a lex index, in index order from `from` (exclusive form
   * "(m" or "-"/"+"), skipping `skip` members first and members whose record is gone, keeping
   * those `keep` accepts, until `limit` are kept.
   */
  private async walk<T>(index: string, asc: boolean, from: string, parse: (raw: string) => T, keep: (item: T) => boolean, limit: number, skip = 0): Promise<T[]> {
    const out: T[] = [];
    let offset = skip;
    for (;;) {
      const end = asc ? "+" : "-";
      const members = await this.client.call((r) => (asc ? r.zrangebylex(index, from, end, "LIMIT", offset, PAGE) : r.zrevrangebylex(index, from, end, "LIMIT", offset, PAGE)));
      offset = 0;
      if (members.length === 0) return out;
      const raws = await this.client.call((r) => r.mget(...members.map((m) => this.k.run(lexId(m)))));
      for (const raw of raws) {
        if (raw === null) continue;
        const item = parse(raw);
        if (keep(item)) out.push(item);
        if (out.length >= limit) return out;
      }
      if (members.length < PAGE) return out;
      from = "(" + members[members.length - 1];
    }
  }

  private parseRun = (raw: string) => JSON.parse(raw) as Run;

  async job(id: string) {
    const raw = await this.get(this.k.job(id));
    if (this.unit) await this.unit.guarded(this.k.jobRuns(id));
    return raw === null ? undefined : (JSON.parse(raw) as Job);
  }

  async listJobs(enabled: boolean | undefined, after: string | undefined, limit: number) {
    const index = enabled === undefined ? this.k.jobs() : this.k.jobs(enabled ? "on" : "off");
    const out: Job[] = [];
    let from = after === undefined ? "-" : "(" + after;
    while (out.length < limit) {
      const ids = await this.client.call((r) => r.zrangebylex(index, from, "+", "LIMIT", 0, limit));
      if (ids.length === 0) break;
      const raws = await this.client.call((r) => r.mget(...ids.map(this.k.job)));
      for (const raw of raws) if (raw !== null && out.length < limit) out.push(JSON.parse(raw) as Job);
      if (ids.length < limit) break;
      from = "(" + ids[ids.length - 1];
    }
    return out;
  }

  async dueJobs(until: string, limit: number) {
    const ids = await this.client.call((r) => r.zrangebyscore(this.k.jobs("due"), "-inf", Date.parse(until), "LIMIT", 0, limit));
    if (ids.length === 0) return [];
    const raws = await this.client.call((r) => r.mget(...ids.map(this.k.job)));
    return raws.flatMap((raw) => {
      const job = raw === null ? undefined : (JSON.parse(raw) as Job);
      return job?.enabled && job.nextRunAt !== undefined && job.nextRunAt <= until ? [job] : [];
    });
  }

  /**
   * Inside a unit an absent run id is guarded as absent: "this id is free" is a decision (trigger,
   * fireSlot, restore), and a run of another job — whose guard does not cover it — could take it.
   */
  async jobOfRun(runId: string) {
    const key = this.k.run(runId);
    const raw = await this.client.call((r) => r.get(key));
    if (raw === null) {
      this.unit?.guardAbsent(key);
      return undefined;
    }
    return (JSON.parse(raw) as Run).jobId;
  }

  async run(id: string) {
    const raw = await this.get(this.k.run(id));
    return raw === null ? undefined : this.parseRun(raw);
  }

  async slot(jobId: string, scheduledFor: string) {
    return (await this.client.call((r) => r.get(this.k.slot(scheduledFor, jobId)))) ?? undefined;
  }

  async listRuns(filter: RunFilter, after: RunKey | undefined, limit: number) {
    const k = this.k;
    const index =
      filter.jobId !== undefined
        ? filter.status !== undefined ? k.runsOfJobByStatus(filter.status, filter.jobId) : k.runsOfJob(filter.jobId)
        : filter.status !== undefined ? k.runsByStatus(filter.status) : k.runs();
    const from = after === undefined ? "+" : "(" + lexMember(after[0], after[1]);
    return this.walk(index, false, from, this.parseRun, (r) => filter.status === undefined || r.status === filter.status, limit);
  }

  async pendingRuns(jobId: string | undefined, actionType: string | undefined, after: RunKey | undefined, limit: number) {
    const index = jobId === undefined ? this.k.runsByStatus("pending") : this.k.runsOfJobByStatus("pending", jobId);
    const from = after === undefined ? "-" : "(" + lexMember(after[0], after[1]);
    const actions = new Map<string, string | undefined>();
    const out: Run[] = [];
    let cursor = from;
    while (out.length < limit) {
      const page = await this.walk(index, true, cursor, this.parseRun, (r) => r.status === "pending", PAGE);
      if (page.length === 0) break;
      const unknown = [...new Set(page.map((r) => r.jobId).filter((id) => !actions.has(id)))];
      if (actionType !== undefined && unknown.length > 0) {
        const raws = await this.client.call((r) => r.mget(...unknown.map(this.k.job)));
        unknown.forEach((id, i) => actions.set(id, raws[i] === null ? undefined : (JSON.parse(raws[i]) as Job).action.type));
      }
      for (const r of page) if (out.length < limit && (actionType === undefined || actions.get(r.jobId) === actionType)) out.push(r);
      if (page.length < PAGE) break;
      cursor = "(" + member(page[page.length - 1]);
    }
    return out;
  }

  async unfinishedRuns(jobId: string, limit: number) {
    const out: Run[] = [];
    for (const status of ["claimed", "pending"] as const) {
      if (out.length >= limit) break;
      out.push(...(await this.walk(this.k.runsOfJobByStatus(status, jobId), true, "-", this.parseRun, (r) => r.status === status, limit - out.length)));
    }
    return out;
  }

  async runsOfJob(jobId: string, skip: number) {
    return this.walk(this.k.runsOfJob(jobId), false, "+", this.parseRun, () => true, Number.MAX_SAFE_INTEGER, skip);
  }

  /** The indexes a run is in: all, per job, per status, per job and status. */
  private places(r: Run): string[] {
    const k = this.k;
    return [k.runs(), k.runsOfJob(r.jobId), k.runsByStatus(r.status), k.runsOfJobByStatus(r.status, r.jobId)];
  }

  /** Moves a run's index entries from `old` to `next` (either may be absent). */
  private index(old: Run | undefined, next: Run | undefined): Command[] {
    const before = new Set(old ? this.places(old) : []);
    const after = new Set(next ? this.places(next) : []);
    const cmds: Command[] = [];
    if (old && next && member(old) !== member(next)) {
      for (const key of before) cmds.push(["ZREM", key, member(old)]);
      for (const key of after) cmds.push(["ZADD", key, 0, member(next)]);
      return cmds;
    }
    for (const key of before) if (!after.has(key)) cmds.push(["ZREM", key, member(old as Run)]);
    for (const key of after) if (!before.has(key)) cmds.push(["ZADD", key, 0, member(next as Run)]);
    return cmds;
  }

  private bump(jobId: string): Command {
    return ["SET", this.k.jobRuns(jobId), randomUUID()];
  }

  private drop(runs: readonly Run[]): Command[] {
    return runs.flatMap((r): Command[] => [...this.index(r, undefined), ["DEL", this.k.run(r.id)], ["DELIFEQ", this.k.slot(r.scheduledFor, r.jobId), r.id]]);
  }

  putJob(next: Job, prev: Job | undefined): void {
    const k = this.k;
    const cmds: Command[] = [["SET", k.job(next.id), JSON.stringify(next)]];
    if (!prev) cmds.push(["ZADD", k.jobs(), 0, next.id]);
    if (prev && prev.enabled !== next.enabled) cmds.push(["ZREM", k.jobs(prev.enabled ? "on" : "off"), next.id]);
    if (!prev || prev.enabled !== next.enabled) cmds.push(["ZADD", k.jobs(next.enabled ? "on" : "off"), 0, next.id]);
    if (next.nextRunAt === undefined) cmds.push(["ZREM", k.jobs("due"), next.id]);
    else cmds.push(["ZADD", k.jobs("due"), Date.parse(next.nextRunAt), next.id]);
    this.writes.command(...cmds);
  }

  deleteJob(job: Job, runs: readonly Run[]): void {
    const k = this.k;
    this.writes.command(
      ...this.drop(runs),
      ["DEL", k.job(job.id), k.jobRuns(job.id), k.runsOfJob(job.id), ...RUN_STATUSES.map((s) => k.runsOfJobByStatus(s, job.id))],
      ["ZREM", k.jobs(), job.id],
      ["ZREM", k.jobs("on"), job.id],
      ["ZREM", k.jobs("off"), job.id],
      ["ZREM", k.jobs("due"), job.id],
    );
  }

  putRun(next: Run, prev: Run | undefined, slot?: boolean): void {
    const cmds: Command[] = [["SET", this.k.run(next.id), JSON.stringify(next)], ...this.index(prev, next)];
    if (slot) cmds.push(["SET", this.k.slot(next.scheduledFor, next.jobId), next.id]);
    cmds.push(this.bump(next.jobId));
    this.writes.command(...cmds);
  }

  deleteRuns(runs: readonly Run[]): void {
    if (runs.length === 0) return;
    this.writes.command(...this.drop(runs), ...[...new Set(runs.map((r) => r.jobId))].map((id) => this.bump(id)));
  }
}
