/**
 * Scheduled jobs and their runs: each record as JSON in `data`, plus real columns for everything the
 * stores filter, sort, page or lock on. docs/decisions/sql-jobs.md says which query each index serves.
 */
import type { Migration } from "./migration.js";

export const jobsRuns: Migration = {
  version: 3,
  name: "jobs-runs",
  up: (d) => [
    `CREATE TABLE jobs (
      id TEXT ${d.binary} PRIMARY KEY,
      enabled INTEGER NOT NULL,
      next_run_at TEXT ${d.binary},
      action_type TEXT NOT NULL,
      data TEXT NOT NULL)`,
    "CREATE INDEX jobs_due ON jobs (enabled, next_run_at, id)",
    "CREATE INDEX jobs_enabled ON jobs (enabled, id)",
    `CREATE TABLE runs (
      id TEXT ${d.binary} PRIMARY KEY,
      job_id TEXT ${d.binary} NOT NULL,
      slot TEXT ${d.binary},
      scheduled_for TEXT ${d.binary} NOT NULL,
      status TEXT ${d.binary} NOT NULL,
      data TEXT NOT NULL)`,
    "CREATE UNIQUE INDEX runs_slot ON runs (job_id, slot)",
    "CREATE INDEX runs_job ON runs (job_id, scheduled_for, id)",
    "CREATE INDEX runs_job_status ON runs (job_id, status, scheduled_for, id)",
    "CREATE INDEX runs_status ON runs (status, scheduled_for, id)",
    "CREATE INDEX runs_order ON runs (scheduled_for, id)",
  ],
};
