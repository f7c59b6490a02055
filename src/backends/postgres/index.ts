/** The postgres backend: a pool, a configurable schema, migrations under an advisory lock. */
import type { Backend, BackendOptions, BackendProbe } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { SqlStorage } from "../sql/storage.js";
import { migrate } from "../../migrate/schema/run.js";
import { invalidParams } from "../../domain/errors.js";
import { MIGRATION_LOCK, PostgresDb, type PgTimeouts } from "./db.js";
import { ChangeListener } from "./listen.js";

export interface PostgresOptions extends BackendOptions {
  url: string;
  /** Schema holding every table (default "agentstate"). */
  schema?: string;
  /** Pool size (default 10). */
  poolSize?: number;
  /** Server- and client-side bounds (defaults: PG_TIMEOUTS in db.ts, documented in docs/operations.md). */
  timeouts?: Partial<PgTimeouts>;
}

/** How long a health probe waits for its round trip. */
const PROBE_MS = 1000;

const POLL_MS = 250;

export class PostgresStorage extends SqlStorage {
  readonly name = "postgres" as const;
  declare readonly db: PostgresDb;
  /** Wakes the change-log watcher on NOTIFY (polling stays as the fallback). */
  readonly listener: ChangeListener;
  private opened?: Promise<void>;
  private closed?: Promise<void>;

  constructor(readonly options: PostgresOptions) {
    const schema = options.schema ?? "agentstate";
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema) || /^pg_/i.test(schema)) {
      throw invalidParams(`postgres schema name ${JSON.stringify(schema)} must be a plain identifier not starting with pg_ (reserved)`);
    }
    const db = new PostgresDb({ url: options.url, schema, poolSize: options.poolSize ?? 10, timeouts: options.timeouts });
    super(db, options, POLL_MS);
    this.listener = new ChangeListener({ config: () => db.clientConfig(), schema, onWake: () => this.changes.nudge(), log: options.log });
    db.serverAnswering = () => this.listener.connected;
  }

  open(): Promise<void> {
    this.opened ??= migrate(this.db, {
      onMigration: this.options.onMigration,
      prepare: async (q) => {
        // A migration may wait for another daemon's, and may rewrite big tables: no server-side bounds.
        await q.run("SET LOCAL statement_timeout = 0");
        await q.run("SET LOCAL lock_timeout = 0");
        await q.run("SET LOCAL idle_in_transaction_session_timeout = 0");
        await q.get("SELECT pg_advisory_xact_lock(?::bigint)", [MIGRATION_LOCK]);
        await q.run(`CREATE SCHEMA IF NOT EXISTS ${this.db.schemaIdent}`);
      },
    }).then(async () => {
      this.changes.startSequencing();
      await this.listener.start();
    });
    return this.opened;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.opened?.catch(() => undefined);
      await this.listener.stop();
      await this.changes.stopSequencing();
      this.changes.close();
      await this.db.close();
    })();
    return this.closed;
  }

  async probe(): Promise<BackendProbe> {
    const t0 = performance.now();
    try {
      await this.db.ping(PROBE_MS);
      const pool = this.db.pool;
      const listen = { connected: this.listener.connected, reconnects: this.listener.reconnects };
      const warnings = this.listener.connected ? undefined : ["the LISTEN connection is down: other daemons' changes arrive by polling (≤ 250 ms) until it is back"];
      return {
        ok: true,
        latencyMs: performance.now() - t0,
        details: { schema: this.db.opts.schema, pool: { size: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }, listen },
        ...(warnings ? { warnings } : {}),
      };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - t0, error: (err as Error).message };
    }
  }
}

export class PostgresBackend extends CoreBackend implements Backend {
  declare readonly storage: PostgresStorage;

  constructor(opts: PostgresOptions) {
    const storage = new PostgresStorage(opts);
    super(storage, opts);
      }

  get db(): PostgresDb {
    return this.storage.db;
  }

  get listener(): ChangeListener {
    return this.storage.listener;
  }
}
