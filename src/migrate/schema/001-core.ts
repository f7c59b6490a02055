/** Sessions, messages, idempotency keys, the change log, and a key-value table for bookkeeping. */
import type { Migration } from "./migration.js";

export const core: Migration = {
  version: 1,
  name: "core",
  up: (d) => [
    `CREATE TABLE sessions (
      id TEXT ${d.binary} PRIMARY KEY,
      updated_at TEXT NOT NULL,
      group_id TEXT ${d.binary},
      data TEXT NOT NULL)`,
    "CREATE INDEX sessions_updated ON sessions (updated_at, id)",
    "CREATE INDEX sessions_group ON sessions (group_id, updated_at, id)",
    `CREATE TABLE session_tags (
      session_id TEXT ${d.binary} NOT NULL,
      tag TEXT ${d.binary} NOT NULL,
      PRIMARY KEY (session_id, tag))`,
    "CREATE INDEX session_tags_tag ON session_tags (tag, session_id)",
    `CREATE TABLE messages (
      session_id TEXT ${d.binary} NOT NULL,
      seq ${d.bigint} NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (session_id, seq))`,
    `CREATE TABLE session_appends (
      session_id TEXT ${d.binary} NOT NULL,
      idem_key TEXT ${d.binary} NOT NULL,
      first_seq ${d.bigint} NOT NULL,
      last_seq ${d.bigint} NOT NULL,
      PRIMARY KEY (session_id, idem_key))`,
    `CREATE TABLE changes (
      cur ${d.serial},
      at TEXT NOT NULL,
      origin TEXT NOT NULL,
      domain TEXT NOT NULL,
      type TEXT NOT NULL,
      record_id TEXT NOT NULL,
      version ${d.bigint},
      data TEXT)`,
    "CREATE INDEX changes_at ON changes (at)",
    "CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
  ],
};
