/** The sqlite backend: one database file (default `<dataDir>/agentstate.sqlite`). */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Backend, BackendOptions, BackendProbe } from "../contract.js";
import { SqlStores } from "../sql/index.js";
import { migrate } from "../../migrate/schema/run.js";
import { SqliteDb } from "./db.js";

export interface SqliteOptions extends BackendOptions {
  path: string;
}

/** How often watch() polls for other processes' changes (SPEC §4: ≤ 250 ms). */
const POLL_MS = 100;

export class SqliteBackend extends SqlStores implements Backend {
  readonly name = "sqlite" as const;
  readonly db: SqliteDb;
  private opened?: Promise<void>;
  private closed?: Promise<void>;

  constructor(readonly opts: SqliteOptions) {
    mkdirSync(dirname(opts.path), { recursive: true, mode: 0o700 });
    const db = new SqliteDb(opts.path);
    super(db, opts, POLL_MS);
    this.db = db;
  }

  open(): Promise<void> {
    this.opened ??= migrate(this.db, { onMigration: this.opts.onMigration }).then(() => undefined);
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

  async probe(): Promise<BackendProbe> {
    const t0 = performance.now();
    try {
      await this.db.ping();
      return { ok: true, latencyMs: performance.now() - t0, details: { path: this.opts.path, commits: this.db.commits, transactions: this.db.transactions } };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - t0, error: (err as Error).message };
    }
  }
}
