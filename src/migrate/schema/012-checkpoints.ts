/**
 * Graph checkpoints (SPEC §3.8; src/backends/sql/checkpoints.ts): checkpoint records, channel
 * values once per (channel, version), pending writes, and one row per thread that every write to
 * the thread locks and rewrites. Version 12 (7–10 belong to the domains moved to the core at the
 * same time). Bytes are kept as the canonical base64 text the daemon checked.
 */
import type { Migration } from "./migration.js";

export const checkpoints: Migration = {
  version: 12,
  name: "checkpoints",
  up: (d) => [
    `CREATE TABLE checkpoint_threads (
      scope TEXT ${d.binary} NOT NULL,
      thread_id TEXT ${d.binary} NOT NULL,
      rev ${d.bigint} NOT NULL,
      PRIMARY KEY (scope, thread_id))`,
    `CREATE TABLE checkpoints (
      scope TEXT ${d.binary} NOT NULL,
      thread_id TEXT ${d.binary} NOT NULL,
      ns TEXT ${d.binary} NOT NULL,
      id TEXT ${d.binary} NOT NULL,
      parent_id TEXT,
      type TEXT,
      checkpoint TEXT NOT NULL,
      metadata TEXT NOT NULL,
      channel_versions TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (scope, thread_id, ns, id))`,
    "CREATE INDEX checkpoints_scope ON checkpoints (scope, id, thread_id, ns)",
    "CREATE INDEX checkpoints_thread ON checkpoints (scope, thread_id, id, ns)",
    `CREATE TABLE checkpoint_values (
      scope TEXT ${d.binary} NOT NULL,
      thread_id TEXT ${d.binary} NOT NULL,
      ns TEXT ${d.binary} NOT NULL,
      channel TEXT ${d.binary} NOT NULL,
      version TEXT ${d.binary} NOT NULL,
      type TEXT NOT NULL,
      value TEXT,
      PRIMARY KEY (scope, thread_id, ns, channel, version))`,
    `CREATE TABLE checkpoint_writes (
      scope TEXT ${d.binary} NOT NULL,
      thread_id TEXT ${d.binary} NOT NULL,
      ns TEXT ${d.binary} NOT NULL,
      checkpoint_id TEXT ${d.binary} NOT NULL,
      task_id TEXT ${d.binary} NOT NULL,
      idx ${d.bigint} NOT NULL,
      channel TEXT NOT NULL,
      type TEXT,
      value TEXT NOT NULL,
      task_path TEXT,
      PRIMARY KEY (scope, thread_id, ns, checkpoint_id, task_id, idx))`,
  ],
};
