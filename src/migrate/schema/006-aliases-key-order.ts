/**
 * Session aliases (SPEC §7: picoclaw aliases find the session) and the order of idempotency keys:
 * `n` numbers a session's keyed appends so the store can keep exactly the newest 1,000 (the one
 * idempotency window of every backend, src/core/conversations.ts). Keys stored before this
 * migration get n = 0 and are the first to go.
 */
import type { Migration } from "./migration.js";

export const aliasesKeyOrder: Migration = {
  version: 6,
  name: "aliases-key-order",
  up: (d) => [
    `CREATE TABLE session_aliases (
      alias TEXT ${d.binary} PRIMARY KEY,
      session_id TEXT ${d.binary} NOT NULL)`,
    "CREATE INDEX session_aliases_session ON session_aliases (session_id)",
    `ALTER TABLE session_appends ADD COLUMN n ${d.bigint} NOT NULL DEFAULT 0`,
    "CREATE INDEX session_appends_order ON session_appends (session_id, n)",
  ],
};
