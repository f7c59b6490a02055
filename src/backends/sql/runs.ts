/**
 * Row-level access to the `jobs` and `runs` tables for SqlJobs. Every run write happens while its
 * transaction holds the job row's lock (see `lockJob`): that lock, not the run row, is what orders
 * writers of one job across daemons, so noOverlap checks, bookkeeping and pruning never race.
 * Locks are always taken job first, then runs, so two writers never wait on each other in a cycle.
 */
import type { Job, Run } from "../../domain/jobs.js";
import type { ListRunsQuery, Page } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { runSortKey } from "../common/jobs.js";
import { bool, type Param, type Sql, type SqlDb, type TxSql } from "./db.js";

/** The unfinished states as a constant SQL list (never user text). */
const UNFINISHED = "('pending', 'claimed')";

export const parseJob = (r: { data: string }): Job => JSON.parse(r.data) as Job;
export const parseRun = (r: { data: string }): Run => JSON.parse(r.data) as Run;

export class RunRows {
  constructor(private readonly db: SqlDb) {}

  /** The job, its row locked until commit (FOR UPDATE on Postgres; SQLite serializes writers). */
  async lockJob(q: TxSql, id: string): Promise<Job | undefined> {
    const row = await q.get<{ data: string }>(`SELECT data FROM jobs WHERE id = ?${this.db.dialect.forUpdate}`, [id]);
    return row ? parseJob(row) : undefined;
  }

  /** Inserts a new job unless its id exists (a concurrent create won): false then. */
  async insertJob(q: TxSql, job: Job): Promise<boolean> {
    const n = await q.run(
      "INSERT INTO jobs (enabled, next_run_at, action_type, data, id) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      jobParams(job),
    );
    return n === 1;
  }

  async updateJob(q: TxSql, job: Job): Promise<void> {
    await q.run("UPDATE jobs SET enabled = ?, next_run_at = ?, action_type = ?, data = ? WHERE id = ?", jobParams(job));
  }

  /** Deletes the job and all its runs; returns how many runs went. */
  async deleteJob(q: TxSql, id: string): Promise<number> {
    const runs = await q.run("DELETE FROM runs WHERE job_id = ?", [id]);
    await q.run("DELETE FROM jobs WHERE id = ?", [id]);
    return runs;
  }

  /**
   * The run and its job, with the job row locked. The run's job_id never changes, so reading it
   * before taking the lock is safe; the run itself is read after, so its state is current.
   */
  async lockRun(q: TxSql, runId: string): Promise<{ job: Job; run: Run } | undefined> {
    const ref = await q.get<{ job_id: string }>("SELECT job_id FROM runs WHERE id = ?", [runId]);
    if (!ref) return undefined;
    const job = await this.lockJob(q, ref.job_id);
    if (!job) return undefined;
    const row = await q.get<{ data: string }>("SELECT data FROM runs WHERE id = ?", [runId]);
    return row ? { job, run: parseRun(row) } : undefined;
  }

  /**
   * Inserts a run unless its id or its slot (job_id, slot) is taken — the unique keys decide, so
   * concurrent daemons cannot both insert. `slot` is null for triggered runs (NULLs never collide).
   */
  async insertRun(q: TxSql, run: Run, slot: string | null): Promise<boolean> {
    const n = await q.run(
      "INSERT INTO runs (id, job_id, slot, scheduled_for, status, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      [run.id, run.jobId, slot, run.scheduledFor, run.status, JSON.stringify(run)],
    );
    return n === 1;
  }

  async slotTaken(q: TxSql, jobId: string, slot: string): Promise<boolean> {
    return (await q.get("SELECT 1 AS x FROM runs WHERE job_id = ? AND slot = ?", [jobId, slot])) !== undefined;
  }

  async updateRun(q: TxSql, run: Run): Promise<void> {
    await q.run("UPDATE runs SET status = ?, data = ? WHERE id = ?", [run.status, JSON.stringify(run), run.id]);
  }

  /** Served by runs_job_status: two index seeks. */
  async hasUnfinished(q: TxSql, jobId: string): Promise<boolean> {
    return (await q.get(`SELECT 1 AS x FROM runs WHERE job_id = ? AND status IN ${UNFINISHED} LIMIT 1`, [jobId])) !== undefined;
  }

  /**
   * Deletes the finished runs beyond the job's newest `keep` (by scheduledFor, then id; unfinished
   * runs count toward the window but are never deleted). Walks at most `keep` entries of runs_job.
   */
  async prune(q: TxSql, jobId: string, keep: number): Promise<void> {
    const edge = await q.get<{ scheduled_for: string; id: string }>(
      "SELECT scheduled_for, id FROM runs WHERE job_id = ? ORDER BY scheduled_for DESC, id DESC LIMIT 1 OFFSET ?",
      [jobId, keep],
    );
    if (!edge) return;
    await q.run(
      `DELETE FROM runs WHERE job_id = ? AND status NOT IN ${UNFINISHED} AND (scheduled_for, id) <= (?, ?)`,
      [jobId, edge.scheduled_for, edge.id],
    );
  }

  /**
   * The oldest pending run that a claim without runId may take: of `jobId`, else of any job, and
   * only of "event" jobs. Served by runs_job_status / runs_status, joined to jobs by primary key.
   */
  async claimCandidate(q: Sql, jobId: string | undefined): Promise<string | undefined> {
    const byJob = jobId === undefined ? "" : "r.job_id = ? AND ";
    const row = await q.get<{ id: string }>(
      `SELECT r.id FROM runs r JOIN jobs j ON j.id = r.job_id WHERE ${byJob}r.status = 'pending' AND j.action_type = 'event' ORDER BY r.scheduled_for, r.id LIMIT 1`,
      jobId === undefined ? [] : [jobId],
    );
    return row?.id;
  }

  /** Newest scheduledFor first, ties by id descending; keyset-paged on (scheduled_for, id). */
  async list(query: ListRunsQuery): Promise<Page<Run>> {
    const where: string[] = [];
    const params: Param[] = [];
    const filter = (sql: string, ...values: Param[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (query.jobId !== undefined) filter("job_id = ?", query.jobId);
    if (query.status !== undefined) filter("status = ?", query.status);
    if (query.cursor !== undefined) {
      const [scheduledFor, id] = decodeCursor(query.cursor, 2).map(String) as [string, string];
      filter("(scheduled_for, id) < (?, ?)", scheduledFor, id);
    }
    const sql = `SELECT data FROM runs ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY scheduled_for DESC, id DESC LIMIT ?`;
    const rows = await this.db.read.all<{ data: string }>(sql, [...params, query.limit + 1]);
    const items = rows.slice(0, query.limit).map(parseRun);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(runSortKey(last)) : null };
  }
}

const jobParams = (job: Job): Param[] => [bool(job.enabled), job.nextRunAt ?? null, job.action.type, JSON.stringify(job), job.id];
