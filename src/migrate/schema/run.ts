/**
 * Runs pending schema migrations in one transaction. On Postgres the transaction first takes an
 * advisory lock, so daemons starting together migrate once; a database whose schema is newer than
 * this code is refused with a clear error instead of being used.
 */
import { AgentStateError } from "../../domain/errors.js";
import type { SqlDb, TxSql } from "../../backends/sql/db.js";
import { MIGRATIONS, type Migration } from "./index.js";

export class SchemaTooNewError extends AgentStateError {
  constructor(found: number, known: number) {
    super("INVALID_STATE", `the database schema is at version ${found}, newer than this agentstate knows (${known}); upgrade agentstate`, { found, known });
  }
}

export interface MigrateHooks {
  /** Runs first inside the transaction (Postgres: advisory lock, CREATE SCHEMA). */
  prepare?(q: TxSql): Promise<void>;
  /** Called before each migration (progress; systemd EXTEND_TIMEOUT_USEC). */
  onMigration?(m: Migration): void;
}

export async function migrate(db: SqlDb, hooks: MigrateHooks = {}, migrations: readonly Migration[] = MIGRATIONS): Promise<{ from: number; to: number }> {
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  // Unbounded: a migration may rewrite a big table; daemons starting meanwhile wait on its lock.
  return db.tx(async (q) => {
    await hooks.prepare?.(q);
    await q.run("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
    const row = await q.get<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_migrations");
    const from = Number(row?.v ?? 0);
    if (from > known) throw new SchemaTooNewError(from, known);
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= from) continue;
      hooks.onMigration?.(m);
      for (const statement of m.up(db.dialect)) await q.run(statement);
      await q.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [m.version, m.name, new Date().toISOString()]);
    }
    return { from, to: Math.max(from, known) };
  }, { unbounded: true });
}
