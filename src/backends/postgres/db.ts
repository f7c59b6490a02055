/**
 * PostgreSQL through pg: a bounded pool whose sessions use the configured schema, transactions in
 * as few round trips as they allow (docs/decisions/postgres-round-trips.md), and bounded waits
 * everywhere (docs/operations.md "Postgres timeouts"):
 *
 * - every daemon session starts with server-side `statement_timeout`, `lock_timeout` and
 *   `idle_in_transaction_session_timeout` (sent in the startup packet: no extra round trip), so no
 *   daemon — even one cut off mid-transaction — holds a lock others wait on for longer than
 *   statement + idle-in-transaction timeout;
 * - every statement has a client-side reply timeout; a connection that times out is destroyed, never
 *   returned to the pool, so a dead TCP connection is used once at most;
 * - TCP keepalives on every socket;
 * - a write whose COMMIT was sent but not answered is OUTCOME_UNKNOWN (its statements travel with
 *   the COMMIT); any other failure of a write is BACKEND_UNAVAILABLE (or the domain error) and
 *   nothing was stored.
 */
import pg from "pg";
import { outcomeUnknown } from "../../domain/errors.js";
import type { Param, Row, Sql, SqlDb, TxOptions, TxSql } from "../sql/db.js";
import { postgresDialect } from "./dialect.js";
import { isConnectionLoss, isContention, mapPgError, PgNoReplyError } from "./errors.js";
import { queryWithin, type Patience } from "./query.js";
import { PgTx } from "./tx.js";

export { CHANGES_CHANNEL, MIGRATION_LOCK, postgresDialect } from "./dialect.js";
export { mapPgError } from "./errors.js";

/** Every bound the postgres backend keeps; defaults in PG_TIMEOUTS, documented in docs/operations.md. */
export interface PgTimeouts {
  /** Server: a statement running longer is cancelled (statement_timeout). */
  statementMs: number;
  /** Server: waiting longer for a lock gives up (lock_timeout). */
  lockMs: number;
  /** Server: a session idle inside a transaction longer is ended and rolled back. */
  idleInTransactionMs: number;
  /** Client: a statement with no reply after this fails and its connection is destroyed. */
  replyMs: number;
  /** Client: opening a connection. */
  connectMs: number;
  /**
   * Client: waiting for a free pool connection. Long, since a burst on busy rows queues legitimately;
   * it does not delay failure on a dead network, where every connection in use is freed within
   * `replyMs` and each new one fails within `connectMs`.
   */
  poolWaitMs: number;
  /** TCP keepalive: idle time before the first probe. */
  keepAliveMs: number;
}

export const PG_TIMEOUTS: PgTimeouts = {
  statementMs: 2500,
  lockMs: 2000,
  idleInTransactionMs: 2000,
  replyMs: 3000,
  connectMs: 1500,
  poolWaitMs: 10_000,
  keepAliveMs: 5000,
};

/** A transaction that lost to another (lock_timeout, deadlock, serialization) runs again this often at most… */
const CONTENTION_RETRIES = 3;
/** …and not after this long since it first started. */
const CONTENTION_BUDGET_MS = 10_000;

/** `?` → `$1, $2, …` (our statements never hold a literal question mark). */
const numbered = new Map<string, string>();
export function toNumbered(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let i = 0;
    out = sql.replace(/\?/g, () => `$${++i}`);
    numbered.set(sql, out);
  }
  return out;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Extra statements a message's wait grows by, at most: a message of 500 INSERTs must not hold a
 * connection for 20 minutes behind a server that answers SELECT 1 but not it (a stuck WAL flush).
 */
const PATIENT_STATEMENTS = 3;

export interface PostgresDbOptions {
  url: string;
  schema: string;
  poolSize: number;
  timeouts?: Partial<PgTimeouts>;
}

/** A checked-out client; `broken` ones are destroyed on release instead of going back to the pool. */
interface Lease {
  client: pg.PoolClient;
  broken: boolean;
  /** It had served someone before (a fresh connection failing is the server's doing, not staleness). */
  reused: boolean;
  release(): void;
}

export class PostgresDb implements SqlDb {
  readonly dialect = postgresDialect;
  readonly read: Sql;
  readonly pool: pg.Pool;
  readonly timeouts: PgTimeouts;
  /**
   * Whether the server answers on another connection (set by the backend to its LISTEN connection's
   * state): a transaction message of several statements waits past the reply timeout while it does.
   */
  serverAnswering?: () => boolean;
  private readonly used = new WeakSet<pg.PoolClient>();

  constructor(readonly opts: PostgresDbOptions) {
    this.timeouts = { ...PG_TIMEOUTS, ...opts.timeouts };
    // pg-pool uses one timeout for the queue and for connecting; the client class keeps its own, short.
    const connectMs = this.timeouts.connectMs;
    class DaemonClient extends pg.Client {
      constructor(config?: string | pg.ClientConfig) {
        super({ ...(typeof config === "string" ? { connectionString: config } : config), connectionTimeoutMillis: connectMs });
      }
    }
    this.pool = new pg.Pool({ ...this.clientConfig(), Client: DaemonClient, connectionTimeoutMillis: this.timeouts.poolWaitMs, max: opts.poolSize, idleTimeoutMillis: 30_000 });
    this.pool.on("error", () => undefined); // an idle client died; the pool replaces it
    const rows = async <T>(sql: string, params?: readonly Param[]) => (await this.readResult(sql, params)).rows as T[];
    this.read = {
      all: rows,
      get: async <T = Row>(sql: string, params?: readonly Param[]) => (await rows<T>(sql, params))[0],
      run: async (sql, params) => (await this.readResult(sql, params)).rowCount ?? 0,
    };
  }

  /** The settings of every daemon session: schema, server-side timeouts, keepalive, connect timeout. */
  clientConfig(): pg.ClientConfig {
    const t = this.timeouts;
    return {
      connectionString: this.opts.url,
      connectionTimeoutMillis: t.connectMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: t.keepAliveMs,
      statement_timeout: t.statementMs,
      lock_timeout: t.lockMs,
      idle_in_transaction_session_timeout: t.idleInTransactionMs,
      types: { getTypeParser: (oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text")) },
      options: `-c search_path=${quoteIdent(this.opts.schema)}`,
    };
  }

  get schemaIdent(): string {
    return quoteIdent(this.opts.schema);
  }

  private async lease(): Promise<Lease> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw mapPgError(err);
    }
    // pg-pool listens for errors only on idle clients; a checked-out client whose server goes away
    // emits 'error' (even when a query also fails with it), which unheard would kill the daemon.
    const onError = () => {
      lease.broken = true;
    };
    const lease: Lease = {
      client,
      broken: false,
      reused: this.used.has(client),
      release: () => {
        client.removeListener("error", onError);
        client.release(lease.broken);
      },
    };
    this.used.add(client);
    client.on("error", onError);
    return lease;
  }

  /** One statement on a pooled connection; a stale connection (reset at once) is retried once on another. */
  private async readResult(sql: string, params: readonly Param[] = []): Promise<pg.QueryResult> {
    for (let attempt = 0; ; attempt++) {
      const lease = await this.lease();
      try {
        return await queryWithin(lease.client, toNumbered(sql), params as unknown[], this.timeouts.replyMs);
      } catch (err) {
        if (isConnectionLoss(err)) lease.broken = true;
        if (attempt === 0 && lease.reused && isConnectionLoss(err) && !(err instanceof PgNoReplyError)) continue;
        throw mapPgError(err);
      } finally {
        lease.release();
      }
    }
  }

  /**
   * A transaction in as few round trips as it allows (PgTx): BEGIN travels with the first statement,
   * queued writes with the next statement or the COMMIT. An append is two: BEGIN with its locking
   * read, then its writes with the COMMIT.
   */
  async tx<T>(fn: (q: TxSql) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    const replyMs = opts.unbounded ? 0 : this.timeouts.replyMs;
    const started = performance.now();
    let contended = 0;
    for (let attempt = 0; ; attempt++) {
      const lease = await this.lease();
      const q = new PgTx(lease.client, replyMs, this.patience(opts));
      let again = false;
      try {
        const result = await fn(q);
        for (const hook of q.hooks) await hook();
        await q.commit();
        return result;
      } catch (err) {
        if (isConnectionLoss(err)) {
          lease.broken = true;
          // COMMIT went out and nothing came back: the server may have committed.
          if (q.commitSent) throw outcomeUnknown(`postgres did not confirm the commit (${err instanceof PgNoReplyError ? "no reply" : "connection lost"})`);
          // A pooled connection the server had already dropped: its first message (no COMMIT in it) got no answer.
          again = !q.answered && attempt === 0 && lease.reused && !(err instanceof PgNoReplyError);
        } else {
          // The server answered (a failed statement or a refused COMMIT): the transaction is void.
          if (q.begun) {
            await queryWithin(lease.client, "ROLLBACK", undefined, replyMs).catch(() => {
              lease.broken = true;
            });
          }
          // Lost to another transaction (lock wait too long, deadlock, serialization): nothing was
          // stored and the function only computes from what it reads, so it runs again, a few times
          // within a budget. A cut-off daemon's locks go within idle_in_transaction_session_timeout.
          again = isContention(err) && contended++ < CONTENTION_RETRIES && performance.now() - started < CONTENTION_BUDGET_MS && !opts.unbounded;
        }
        if (!again) throw mapPgError(err);
      } finally {
        lease.release();
      }
      if (contended > 0) await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * contended));
    }
  }

  /** How long a message of `statements` statements may wait while the server answers elsewhere. */
  private patience(opts: TxOptions): ((statements: number) => Patience | undefined) | undefined {
    const serverAnswering = this.serverAnswering;
    if (opts.unbounded || serverAnswering === undefined) return undefined;
    const { replyMs, statementMs } = this.timeouts;
    return (statements) => (statements > 1 ? { maxMs: replyMs + Math.min(statements - 1, PATIENT_STATEMENTS) * statementMs, serverAnswering } : undefined);
  }

  /** A cheap round trip, for health; fails within `ms`, waiting for a connection included. */
  async ping(ms = this.timeouts.replyMs): Promise<void> {
    const t0 = performance.now();
    const leasing = this.lease();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    });
    const lease = await Promise.race([leasing, late]).finally(() => clearTimeout(timer));
    if (lease === undefined) {
      void leasing.then((l) => l.release(), () => undefined); // arrives later: straight back to the pool
      throw mapPgError(new PgNoReplyError(ms));
    }
    try {
      await queryWithin(lease.client, "SELECT 1", undefined, Math.max(1, ms - (performance.now() - t0)));
    } catch (err) {
      lease.broken = true;
      throw mapPgError(err);
    } finally {
      lease.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
