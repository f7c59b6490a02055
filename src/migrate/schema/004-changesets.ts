/**
 * Changesets, their entries, and tool invocations. Each record is JSON in `data`; the columns beside
 * it are what the stores look up, sort or page on. See docs/decisions/sql-changesets.md.
 */
import type { Migration } from "./migration.js";

export const changesets: Migration = {
  version: 4,
  name: "changesets",
  up: (d) => [
    // last_seq: the newest entry's seq; record() locks this row and counts on from it.
    `CREATE TABLE changesets (
      id TEXT ${d.binary} PRIMARY KEY,
      plan_id TEXT ${d.binary} NOT NULL,
      created_at TEXT ${d.binary} NOT NULL,
      last_seq ${d.bigint} NOT NULL,
      data TEXT NOT NULL)`,
    // listForPlan and deleteForPlan
    "CREATE INDEX changesets_plan ON changesets (plan_id, created_at, id)",
    // get (by the primary key prefix), record, deleteForPlan
    `CREATE TABLE changeset_entries (
      changeset_id TEXT ${d.binary} NOT NULL,
      seq ${d.bigint} NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (changeset_id, seq))`,
    `CREATE TABLE tool_invocations (
      id TEXT ${d.binary} PRIMARY KEY,
      plan_id TEXT ${d.binary} NOT NULL,
      started_at TEXT ${d.binary} NOT NULL,
      data TEXT NOT NULL)`,
    // listInvocationsForPlan and deleteInvocationsForPlan
    "CREATE INDEX tool_invocations_plan ON tool_invocations (plan_id, started_at, id)",
  ],
};
