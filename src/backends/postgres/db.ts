/**
 * PostgreSQL through pg: a bounded pool whose connections use the configured schema, parameterized
 * statements only, and fast failure (BACKEND_UNAVAILABLE) when the server cannot be reached; the
 * pool makes new connections by itself when the server returns.
 */
import pg from "pg";
import { AgentStateError, backendUnavailable, invalidParams } from "../../domain/errors.js";
import type { Dialect, Param, Row, Sql, SqlDb, TxSql } from "../sql/db.js";

/** Advisory lock keys (arbitrary constants, "agst" in ASCII plus a number). */
export const CHANGES_LOCK = 0x61677374_01;
export const MIGRATION_LOCK = 0x61677374_02;
/** The NOTIFY channel of change-log writes; the payload is the schema written to. */
export const CHANGES_CHANNEL = "agentstate_changes";

export const postgresDialect: Dialect = {
  name: "postgres",
  bigint: "BIGINT",
  serial: "BIGSERIAL PRIMARY KEY",
  forUpdate: " FOR UPDATE",
  binary: 'COLLATE "C"',
  async orderChanges(q) {
    // Sequence values are not committed in order; holding this lock from the first change insert to
    // commit makes cursor order equal commit order, so a reader never sees cursor 6 before 5.
    if (q.state.has("ordered")) return;
    q.state.set("ordered", true);
    await q.get("SELECT pg_advisory_xact_lock(?::bigint)", [CHANGES_LOCK]);
  },
  async announceChanges(q) {
    // NOTIFY is delivered at commit, and not at all on rollback; once per transaction is enough.
    if (q.state.has("announced")) return;
    q.state.set("announced", true);
    await q.get("SELECT pg_notify(?, current_schema())", [CHANGES_CHANNEL]);
  },
};

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

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"]);

/** Text PostgreSQL refuses to store: a NUL character (22021), or one the encoding lacks (22P05). */
const UNSTORABLE_TEXT = new Set(["22021", "22P05"]);

/** Driver errors become AgentStateErrors; a caller never sees driver text. */
export function mapPgError(err: unknown): unknown {
  if (err instanceof AgentStateError) return err;
  const code = (err as { code?: string }).code;
  if (code !== undefined && UNSTORABLE_TEXT.has(code)) {
    return invalidParams("a string holds a NUL character, which PostgreSQL cannot store in a text field");
  }
  const message = (err as Error).message ?? "";
  if ((code !== undefined && CONNECTION_CODES.has(code)) || /Connection terminated|timeout exceeded when trying to connect|not queryable/i.test(message)) {
    return backendUnavailable(`postgres is unreachable (${code ?? "connection lost"})`);
  }
  return err;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

class PgExecutor implements Sql {
  constructor(protected readonly runner: { query: (text: string, values?: unknown[]) => Promise<pg.QueryResult> }) {}
  async all<T = Row>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    try {
      return (await this.runner.query(toNumbered(sql), params as unknown[])).rows as T[];
    } catch (err) {
      throw mapPgError(err);
    }
  }
  async get<T = Row>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    try {
      return (await this.runner.query(toNumbered(sql), params as unknown[])).rowCount ?? 0;
    } catch (err) {
      throw mapPgError(err);
    }
  }
}

export interface PostgresDbOptions {
  url: string;
  schema: string;
  poolSize: number;
  connectTimeoutMs: number;
}

export class PostgresDb implements SqlDb {
  readonly dialect = postgresDialect;
  readonly read: Sql;
  readonly pool: pg.Pool;

  constructor(readonly opts: PostgresDbOptions) {
    const types = {
      getTypeParser: (oid: number, format?: string) =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text"),
    };
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize,
      connectionTimeoutMillis: opts.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      types: types,
      options: `-c search_path=${quoteIdent(opts.schema)}`,
    });
    this.pool.on("error", () => undefined); // an idle client died; the pool replaces it
    this.read = new PgExecutor(this.pool);
  }

  get schemaIdent(): string {
    return quoteIdent(this.opts.schema);
  }

  async tx<T>(fn: (q: TxSql) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw mapPgError(err);
    }
    let broken = false;
    // pg-pool listens for errors only on idle clients; a checked-out client whose server goes away
    // emits 'error' (even when a query also fails with it), which unheard would kill the daemon.
    const onError = () => {
      broken = true;
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const q = Object.assign(new PgExecutor(client), { state: new Map<string, unknown>() });
      const result = await fn(q);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw mapPgError(err);
    } finally {
      client.removeListener("error", onError);
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.read.get("SELECT 1");
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
