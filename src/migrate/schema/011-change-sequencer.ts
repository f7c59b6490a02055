/**
 * The change log without a global write lock (docs/decisions/postgres-change-order.md). Version 11
 * (7–10 belong to the domains moved to the core at the same time; versions need not be contiguous). The old
 * serial cursor column becomes the row id (`id`, assigned at insert, not in commit order on
 * Postgres); `cur` is a new nullable column holding the cursor, unique, set after commit:
 * - Postgres: by `sequence_changes()`, one autocommit call under an advisory lock, in commit order;
 * - SQLite: by a trigger at insert (one writer: row id order is commit order).
 * Existing rows keep their cursor (cur = id): they were numbered in commit order under the old lock.
 */
import type { Dialect } from "../../backends/sql/db.js";
import type { Migration } from "./migration.js";

/** Serializes sequencer runs of one schema (two-int advisory key space: "agst", hash of the schema). */
const SEQUENCER = `
CREATE FUNCTION sequence_changes() RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  top bigint;
  n integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM changes WHERE cur IS NULL) THEN
    RETURN 0;
  END IF;
  -- Waits (at most the session's lock_timeout) for a run in progress, never for a write.
  PERFORM pg_advisory_xact_lock(1634169716, hashtext(current_schema()));
  -- Each statement below takes a fresh snapshot, after the lock: it sees every earlier run's commit.
  SELECT GREATEST(COALESCE(MAX(cur), 0), COALESCE((SELECT value::bigint FROM kv WHERE key = 'changes.prunedThrough'), 0))
    INTO top FROM changes;
  WITH pending AS (
    SELECT id, top + row_number() OVER (ORDER BY id) AS c
    FROM (SELECT id FROM changes WHERE cur IS NULL ORDER BY id LIMIT 5000) p
  )
  UPDATE changes SET cur = pending.c FROM pending WHERE changes.id = pending.id;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    PERFORM pg_notify('agentstate_changes', current_schema());
  END IF;
  RETURN n;
END
$fn$`;

const SQLITE_CURSOR = `
CREATE TRIGGER changes_cursor AFTER INSERT ON changes FOR EACH ROW WHEN NEW.cur IS NULL
BEGIN
  UPDATE changes SET cur = NEW.id WHERE id = NEW.id;
END`;

export const changeSequencer: Migration = {
  version: 11,
  name: "change-sequencer",
  up: (d: Dialect) => [
    "ALTER TABLE changes RENAME COLUMN cur TO id",
    `ALTER TABLE changes ADD COLUMN cur ${d.bigint}`,
    "UPDATE changes SET cur = id",
    "CREATE UNIQUE INDEX changes_cur ON changes (cur)",
    "CREATE INDEX changes_unsequenced ON changes (id) WHERE cur IS NULL",
    d.name === "postgres" ? SEQUENCER : SQLITE_CURSOR,
  ],
};
