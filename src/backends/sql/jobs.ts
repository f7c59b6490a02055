/**
 * Jobs and runs on SQL (migration 003): `jobs` and `runs` hold each record as JSON in `data`, plus
 * the columns the queries filter, sort, page or lock on. A run's slot key is its `slot` column
 * (unique with job_id; NULL for runs that hold none), so it lives and goes with the run.
 *
 * Inside a unit of work `job(id)` locks the job row (FOR UPDATE on Postgres; SQLite has one
 * writer); every run write of the core happens after that read, so the job row orders the writers
 * of a job's runs across daemons and listings of its runs are exact within the unit.
 */
import type { Job, Run } from "../../domain/jobs.js";
import type { JobsReadPort, JobsWritePort, RunFilter, RunKey } from "../contract.js";
import { bool, type Param, type Sql } from "./db.js";
import type { SqlWrites } from "./writes.js";

const parseJob = (r: { data: string }): Job => JSON.parse(r.data) as Job;
const parseRun = (r: { data: string }): Run => JSON.parse(r.data) as Run;
const ALL = 2_147_483_647;

export class SqlJobsPort implements JobsReadPort, JobsWritePort {
  /** `lock` is the dialect's FOR UPDATE inside a unit of work, "" for plain reads. */
  constructor(
    private readonly q: Sql,
    private readonly lock: string,
    private readonly w: SqlWrites,
  ) {}

  async job(id: string) {
    const row = await this.q.get<{ data: string }>(`SELECT data FROM jobs WHERE id = ?${this.lock}`, [id]);
    return row && parseJob(row);
  }

  async listJobs(enabled: boolean | undefined, after: string | undefined, limit: number) {
    const where: string[] = [];
    const params: Param[] = [];
    if (enabled !== undefined) {
      where.push("enabled = ?");
      params.push(bool(enabled));
    }
    if (after !== undefined) {
      where.push("id > ?");
      params.push(after);
    }
    const sql = `SELECT data FROM jobs ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id LIMIT ?`;
    return (await this.q.all<{ data: string }>(sql, [...params, limit])).map(parseJob);
  }

  async dueJobs(until: string, limit: number) {
    const rows = await this.q.all<{ data: string }>("SELECT data FROM jobs WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at, id LIMIT ?", [until, limit]);
    return rows.map(parseJob);
  }

  async jobOfRun(runId: string) {
    return (await this.q.get<{ job_id: string }>("SELECT job_id FROM runs WHERE id = ?", [runId]))?.job_id;
  }

  async run(id: string) {
    const row = await this.q.get<{ data: string }>(`SELECT data FROM runs WHERE id = ?${this.lock}`, [id]);
    return row && parseRun(row);
  }

  async slot(jobId: string, scheduledFor: string) {
    return (await this.q.get<{ id: string }>("SELECT id FROM runs WHERE job_id = ? AND slot = ?", [jobId, scheduledFor]))?.id;
  }

  async listRuns(filter: RunFilter, after: RunKey | undefined, limit: number) {
    const where: string[] = [];
    const params: Param[] = [];
    if (filter.jobId !== undefined) {
      where.push("job_id = ?");
      params.push(filter.jobId);
    }
    if (filter.status !== undefined) {
      where.push("status = ?");
      params.push(filter.status);
    }
    if (after !== undefined) {
      where.push("(scheduled_for, id) < (?, ?)");
      params.push(after[0], after[1]);
    }
    const sql = `SELECT data FROM runs ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY scheduled_for DESC, id DESC LIMIT ?`;
    return (await this.q.all<{ data: string }>(sql, [...params, limit])).map(parseRun);
  }

  async pendingRuns(jobId: string | undefined, actionType: string | undefined, after: RunKey | undefined, limit: number) {
    const where = ["r.status = 'pending'"];
    const params: Param[] = [];
    if (jobId !== undefined) {
      where.push("r.job_id = ?");
      params.push(jobId);
    }
    if (actionType !== undefined) {
      where.push("j.action_type = ?");
      params.push(actionType);
    }
    if (after !== undefined) {
      where.push("(r.scheduled_for, r.id) > (?, ?)");
      params.push(after[0], after[1]);
    }
    const rows = await this.q.all<{ data: string }>(
      `SELECT r.data FROM runs r JOIN jobs j ON j.id = r.job_id WHERE ${where.join(" AND ")} ORDER BY r.scheduled_for, r.id LIMIT ?`,
      [...params, limit],
    );
    return rows.map(parseRun);
  }

  async unfinishedRuns(jobId: string, limit: number) {
    const rows = await this.q.all<{ data: string }>("SELECT data FROM runs WHERE job_id = ? AND status IN ('pending', 'claimed') LIMIT ?", [jobId, limit]);
    return rows.map(parseRun);
  }

  async runsOfJob(jobId: string, skip: number) {
    const rows = await this.q.all<{ data: string }>(
      "SELECT data FROM runs WHERE job_id = ? ORDER BY scheduled_for DESC, id DESC LIMIT ? OFFSET ?",
      [jobId, ALL, skip],
    );
    return rows.map(parseRun);
  }

  putJob(next: Job, prev: Job | undefined): void {
    const params = [bool(next.enabled), next.nextRunAt ?? null, next.action.type, JSON.stringify(next), next.id];
    if (prev) this.w.run("UPDATE jobs SET enabled = ?, next_run_at = ?, action_type = ?, data = ? WHERE id = ?", params);
    else this.w.run("INSERT INTO jobs (enabled, next_run_at, action_type, data, id) VALUES (?, ?, ?, ?, ?)", params);
  }

  deleteJob(job: Job, _runs: readonly Run[]): void {
    this.w.run("DELETE FROM runs WHERE job_id = ?", [job.id]);
    this.w.run("DELETE FROM jobs WHERE id = ?", [job.id]);
  }

  putRun(next: Run, prev: Run | undefined, slot?: boolean): void {
    if (!prev) {
      this.w.run("INSERT INTO runs (id, job_id, slot, scheduled_for, status, data) VALUES (?, ?, ?, ?, ?, ?)", [
        next.id, next.jobId, slot ? next.scheduledFor : null, next.scheduledFor, next.status, JSON.stringify(next),
      ]);
    } else if (slot) {
      this.w.run("UPDATE runs SET slot = ?, scheduled_for = ?, status = ?, data = ? WHERE id = ?", [next.scheduledFor, next.scheduledFor, next.status, JSON.stringify(next), next.id]);
    } else {
      this.w.run("UPDATE runs SET scheduled_for = ?, status = ?, data = ? WHERE id = ?", [next.scheduledFor, next.status, JSON.stringify(next), next.id]);
    }
  }

  deleteRuns(runs: readonly Run[]): void {
    for (const r of runs) this.w.run("DELETE FROM runs WHERE id = ?", [r.id]);
  }
}
