/**
 * Job and run storage primitives (the domain rules are in src/core/jobs.ts).
 *
 * Records: jobs by id, runs by id (each knows its jobId), and slot keys: (jobId, scheduledFor) →
 * the id of the run that holds the slot. A backend keeps these and answers the reads below; it
 * decides nothing (no noOverlap, retention, claim or lease rule lives in a backend).
 *
 * Concurrency: every write to a job's runs happens in a unit of work that read the job first
 * (`job(id)`), and a backend makes that read cover the job's runs: SQL locks the job row, Redis
 * guards the job record and the job's run revision (bumped by every run write), memory and jsonl
 * run units one at a time. Reads of runs through listings are therefore exact inside such a unit.
 */
import type { Job, Run, RunStatus } from "../../../domain/jobs.js";

/** The sort key of a run in listings: scheduledFor, then id. */
export type RunKey = readonly [scheduledFor: string, id: string];

export interface RunFilter {
  jobId?: string;
  status?: RunStatus;
}

export interface JobsReadPort {
  /** The stored job, or undefined. Inside a unit of work it is locked/guarded with its runs until the end. */
  job(id: string): Promise<Job | undefined>;
  /** Jobs (only those with `enabled` equal to it, when given) with id after `after`, id ascending in code point order, at most `limit`. */
  listJobs(enabled: boolean | undefined, after: string | undefined, limit: number): Promise<Job[]>;
  /** Enabled jobs with nextRunAt <= `until`, nextRunAt ascending, then id; at most `limit`. */
  dueJobs(until: string, limit: number): Promise<Job[]>;
  /** The id of the job a run belongs to (it never changes), without locking anything; undefined if no such run. */
  jobOfRun(runId: string): Promise<string | undefined>;
  /** The stored run, or undefined. Inside a unit of work it is locked/guarded until the end. */
  run(id: string): Promise<Run | undefined>;
  /** The id of the run holding the slot (jobId, scheduledFor), or undefined. */
  slot(jobId: string, scheduledFor: string): Promise<string | undefined>;
  /** Runs matching `filter`, newest first (scheduledFor descending, then id descending, code point order), after `after`, at most `limit`. */
  listRuns(filter: RunFilter, after: RunKey | undefined, limit: number): Promise<Run[]>;
  /**
   * Pending runs, oldest first (scheduledFor ascending, then id), after `after`, at most `limit`:
   * of `jobId` when given, and only of jobs whose action type is `actionType` when given.
   */
  pendingRuns(jobId: string | undefined, actionType: string | undefined, after: RunKey | undefined, limit: number): Promise<Run[]>;
  /** Runs of the job that are pending or claimed, at most `limit`, any order. */
  unfinishedRuns(jobId: string, limit: number): Promise<Run[]>;
  /** The job's runs newest first (as listRuns orders them), skipping the newest `skip`. */
  runsOfJob(jobId: string, skip: number): Promise<Run[]>;
}

export interface JobsWritePort {
  /** Stores `next` whole; `prev` is the stored record it replaces (undefined: a new job), so indexes can move without a read. */
  putJob(next: Job, prev: Job | undefined): void;
  /** Removes the job, its stored runs `runs` (every one: read in the same unit) and their slot keys. */
  deleteJob(job: Job, runs: readonly Run[]): void;
  /**
   * Stores the run whole; `prev` is the stored record it replaces (undefined: a new run). With
   * `slot`, the run also takes the slot key (jobId, scheduledFor) (the caller checked it is free).
   */
  putRun(next: Run, prev: Run | undefined, slot?: boolean): void;
  /** Removes these stored runs, and the slot keys they hold. */
  deleteRuns(runs: readonly Run[]): void;
}
