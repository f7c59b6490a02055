/** The sqlite backend: one database file (default `<dataDir>/agentstate.sqlite`). */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Backend, BackendOptions, BackendProbe } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { SqlStorage } from "../sql/storage.js";
import { migrate } from "../../migrate/schema/run.js";
import type { TxSql } from "../sql/db.js";
import { SqliteDb } from "./db.js";

export interface SqliteOptions extends BackendOptions {
  path: string;
}

const PROBE_BYTES = 64 * 1024;

async function probeWrite(q: TxSql): Promise<void> {
  await q.run("INSERT INTO kv (key, value) VALUES ('health.probe', CAST(zeroblob(?) AS TEXT)) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [PROBE_BYTES]);
  await q.run("DELETE FROM kv WHERE key = 'health.probe'");
}

/** How often watch() polls for other processes' changes (SPEC §4: ≤ 250 ms). */
const POLL_MS = 100;

export class SqliteStorage extends SqlStorage {
  readonly name = "sqlite" as const;
  declare readonly db: SqliteDb;
  private opened?: Promise<void>;
  private closed?: Promise<void>;

  constructor(readonly options: SqliteOptions) {
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    super(new SqliteDb(options.path), options, POLL_MS);
  }

  open(): Promise<void> {
    this.opened ??= migrate(this.db, { onMigration: this.options.onMigration }).then(() => undefined);
    return this.opened;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.opened?.catch(() => undefined);
      this.changes.close();
      await this.db.close();
    })();
    return this.closed;
  }

  /**
   * A read round trip, and whether writes are being refused: after a failed commit the probe tries
   * a write of its own (PROBE_BYTES, written and removed in one transaction), so health turns back
   * to pass once the disk has room again even if no client writes meanwhile — and not while only
   * tiny writes fit.
   */
  async probe(): Promise<BackendProbe> {
    const t0 = performance.now();
    const details = { path: this.options.path, commits: this.db.commits, transactions: this.db.transactions };
    try {
      await this.db.ping();
      if (this.db.writeError) await this.db.tx(probeWrite).catch(() => undefined);
      const refused = this.db.writeError;
      if (refused) {
        const why = refused.code.startsWith("SQLITE_FULL") ? "the database or its disk is full" : `sqlite cannot write (${refused.code})`;
        return { ok: false, latencyMs: performance.now() - t0, error: `writes are refused: ${why}`, details };
      }
      return { ok: true, latencyMs: performance.now() - t0, details };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - t0, error: (err as Error).message };
    }
  }
}

export class SqliteBackend extends CoreBackend implements Backend {
  declare readonly storage: SqliteStorage;

  constructor(opts: SqliteOptions) {
    const storage = new SqliteStorage(opts);
    super(storage, opts);
      }

  get db(): SqliteDb {
    return this.storage.db;
  }
}
