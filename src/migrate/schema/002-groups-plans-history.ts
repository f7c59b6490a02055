/**
 * Session groups, plans and shell history. Records are JSON text (returned unchanged); the columns
 * beside them exist only for lookups, ordering and filtering. See docs/decisions/sql-groups-plans-history.md.
 */
import type { Migration } from "./migration.js";

export const groupsPlansHistory: Migration = {
  version: 2,
  name: "groups-plans-history",
  up: (d) => [
    // groups.get / groups.list (id order in byte order = code point order) both walk the primary key.
    `CREATE TABLE session_groups (
      id TEXT ${d.binary} PRIMARY KEY,
      data TEXT NOT NULL)`,
    // `data` is the plan without its body (what lists return); `body` is the body as a JSON string
    // literal, so any string (NUL included, which Postgres TEXT refuses) comes back byte for byte.
    `CREATE TABLE plans (
      id TEXT ${d.binary} PRIMARY KEY,
      created_at TEXT ${d.binary} NOT NULL,
      session_id TEXT ${d.binary},
      status TEXT ${d.binary} NOT NULL,
      data TEXT NOT NULL,
      body TEXT NOT NULL)`,
    "CREATE INDEX plans_created ON plans (created_at, id)",
    "CREATE INDEX plans_session ON plans (session_id, created_at, id)",
    "CREATE INDEX plans_status ON plans (status, created_at, id)",
    "CREATE INDEX plans_session_status ON plans (session_id, status, created_at, id)",
    // `cmd` is the command for `contains` (NUL mapped to U+FFFD); `data` is the entry as returned.
    `CREATE TABLE history_entries (
      seq ${d.bigint} PRIMARY KEY,
      cmd TEXT NOT NULL,
      data TEXT NOT NULL)`,
    // One row: the last seq ever assigned (survives pruning) and the count of keyed appends.
    `CREATE TABLE history_counter (
      id INTEGER PRIMARY KEY,
      last_seq ${d.bigint} NOT NULL,
      keyed ${d.bigint} NOT NULL)`,
    "INSERT INTO history_counter (id, last_seq, keyed) VALUES (1, 0, 0)",
    // Idempotency keys: looked up by key; the oldest pruned by `n` (the keyed-append number).
    `CREATE TABLE history_appends (
      idem_key TEXT ${d.binary} PRIMARY KEY,
      n ${d.bigint} NOT NULL UNIQUE,
      first_seq ${d.bigint} NOT NULL,
      last_seq ${d.bigint} NOT NULL)`,
  ],
};
