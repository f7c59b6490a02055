/**
 * The Postgres dialect of the shared SQL stores. Change rows are inserted without a cursor; the
 * sequencer function (migration 007, docs/decisions/postgres-change-order.md) gives committed rows
 * their cursors in one autocommit statement, so no write holds a lock shared by every writer.
 */
import type { Dialect, Sql } from "../sql/db.js";

/** Advisory lock key of schema migrations (arbitrary: "agst" in ASCII plus a number). */
export const MIGRATION_LOCK = 0x61677374_02;
/** The NOTIFY channel of newly sequenced changes; the payload is the schema written to. */
export const CHANGES_CHANNEL = "agentstate_changes";

export const postgresDialect: Dialect = {
  name: "postgres",
  bigint: "BIGINT",
  serial: "BIGSERIAL PRIMARY KEY",
  forUpdate: " FOR UPDATE",
  binary: 'COLLATE "C"',
  deferChanges: true,
  async sequence(read: Sql): Promise<number> {
    const row = await read.get<{ n: number }>("SELECT sequence_changes() AS n");
    return Number(row?.n ?? 0);
  },
};
