/**
 * SQLite through better-sqlite3: WAL, synchronous=FULL, a busy timeout. Concurrent write
 * transactions are batched into one SQLite transaction (group commit): each runs inside its own
 * SAVEPOINT, so one failing rolls back only itself, and one COMMIT (one fsync) covers the batch.
 * Reads use a second connection and see committed data only.
 */
import Database from "better-sqlite3";
import { Cohort } from "../common/cohort.js";
import { backendUnavailable } from "../../domain/errors.js";
import type { Dialect, Param, Row, Sql, SqlDb, TxSql } from "../sql/db.js";

const BUSY_TIMEOUT_MS = 5000;
const MAX_BATCH = 512;

export const sqliteDialect: Dialect = {
  name: "sqlite",
  bigint: "INTEGER",
  serial: "INTEGER PRIMARY KEY AUTOINCREMENT",
  forUpdate: "",
  binary: "COLLATE BINARY",
  // One writer at a time (BEGIN IMMEDIATE): it numbers change rows at insert, in commit order.
  // AUTOINCREMENT keeps the largest id ever used in sqlite_sequence. (The trigger of migration 011,
  // cur = id for a row inserted without one, stays for rows written by earlier versions' code.)
  changeTop: "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0) AS top",
};

/** SQLite result codes that mean the storage refused the write, not that the request was wrong. */
const STORAGE_CODES = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|NOMEM|CANTOPEN|READONLY|PROTOCOL|CORRUPT|NOTADB)/;

/** Storage failures become BACKEND_UNAVAILABLE (nothing was stored); anything else passes through. */
export function mapSqliteError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && STORAGE_CODES.test(code)) return unavailable(err);
  return err;
}

export class SqliteExecutor implements Sql {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  private call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw mapSqliteError(err);
    }
  }

  async all<T = Row>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.call(() => this.stmt(sql).all(...params) as T[]);
  }
  async get<T = Row>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return this.call(() => this.stmt(sql).get(...params) as T | undefined);
  }
  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    return this.call(() => this.stmt(sql).run(...params).changes);
  }
}

/** One unit of a batch: the writer's statements, and state that lives as long as the unit. */
class SqliteTx implements TxSql {
  private map?: Map<string, unknown>;
  constructor(private readonly exec: SqliteExecutor) {}
  get state(): Map<string, unknown> {
    return (this.map ??= new Map());
  }
  all<T = Row>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.exec.all<T>(sql, params);
  }
  get<T = Row>(sql: string, params?: readonly Param[]): Promise<T | undefined> {
    return this.exec.get<T>(sql, params);
  }
  run(sql: string, params?: readonly Param[]): Promise<number> {
    return this.exec.run(sql, params);
  }
}

interface Job {
  fn: (q: TxSql) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SqliteDb implements SqlDb {
  readonly dialect = sqliteDialect;
  readonly read: Sql;
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly exec: SqliteExecutor;
  private readonly control: Record<"begin" | "savepoint" | "release" | "rollbackTo" | "commit" | "rollback", Database.Statement>;
  private queue: Job[] = [];
  private readonly cohort = new Cohort();
  private draining?: Promise<void>;
  /** fsyncs (COMMITs) and transactions, to show group commit in stats. */
  commits = 0;
  /** Why the last write batch failed, until one commits again. */
  writeError?: { code: string; at: number };
  transactions = 0;

  constructor(path: string) {
    this.writer = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    this.writer.pragma("journal_mode = WAL");
    this.writer.pragma("synchronous = FULL");
    this.writer.pragma("foreign_keys = ON");
    // Each unit of a batch runs in a SAVEPOINT; its sub-journal in memory spares a temp-file write
    // for every page a unit touches first (about 10 µs of CPU per append).
    this.writer.pragma("temp_store = MEMORY");
    this.reader = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    this.reader.pragma("synchronous = FULL");
    this.exec = new SqliteExecutor(this.writer);
    // Prepared once: exec() would parse these again for every unit of work.
    const ctl = (sql: string) => this.writer.prepare(sql);
    this.control = {
      begin: ctl("BEGIN IMMEDIATE"),
      savepoint: ctl("SAVEPOINT tx"),
      release: ctl("RELEASE tx"),
      rollbackTo: ctl("ROLLBACK TO tx"),
      commit: ctl("COMMIT"),
      rollback: ctl("ROLLBACK"),
    };
    this.read = new SqliteExecutor(this.reader);
  }

  tx<T>(fn: (q: TxSql) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.cohort.arrived(this.queue.length);
      this.kick();
    });
  }

  /**
   * Starts the batch on the next turn of the event loop, not now: better-sqlite3's COMMIT (the
   * fsync) blocks the loop, so the requests that arrived meanwhile are read from their sockets in
   * the next poll phase; starting on setImmediate lets them join one batch and share one fsync.
   * A transaction queued after drain() finished its loop but before `draining` was cleared would be
   * stranded, so the runner looks at the queue again when it ends.
   */
  private kick(): void {
    this.draining ??= new Promise<void>((r) => setImmediate(r))
      .then(() => this.cohort.gather(() => this.queue.length))
      .then(() => this.drain())
      .finally(() => {
        this.draining = undefined;
        if (this.queue.length > 0) this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      const t0 = performance.now();
      try {
        this.control.begin.run();
      } catch (err) {
        this.failed(err);
        for (const job of batch) job.reject(unavailable(err));
        continue;
      }
      const done: Array<[Job, unknown]> = [];
      let lost: unknown;
      for (const [i, job] of batch.entries()) {
        const q = new SqliteTx(this.exec);
        this.control.savepoint.run();
        try {
          const result = await job.fn(q);
          this.control.release.run();
          done.push([job, result]);
        } catch (err) {
          if (this.writer.inTransaction) {
            this.control.rollbackTo.run();
            this.control.release.run();
            job.reject(err);
            continue;
          }
          // SQLite rolled the whole transaction back (SQLITE_FULL, an I/O error): every unit of
          // this batch is gone, the ones that finished included, and none was acknowledged.
          lost = err;
          job.reject(mapSqliteError(err));
          for (const later of batch.slice(i + 1)) later.reject(unavailable(err));
          break;
        }
      }
      if (lost !== undefined) {
        this.failed(lost);
        for (const [job] of done) job.reject(unavailable(lost));
        continue;
      }
      try {
        this.control.commit.run();
        this.cohort.flushed(done.length, this.queue.length, performance.now() - t0);
        this.commits++;
        this.transactions += done.length;
        this.writeError = undefined;
      } catch (err) {
        if (this.writer.inTransaction) {
          try {
            this.control.rollback.run();
          } catch {
            // the connection already rolled back: nothing of the batch is stored either way
          }
        }
        this.failed(err);
        for (const [job] of done) job.reject(unavailable(err));
        continue;
      }
      for (const [job, result] of done) job.resolve(result);
    }
  }

  /** Remembers why writes are refused, for health; the next commit that succeeds clears it. */
  private failed(err: unknown): void {
    this.writeError = { code: sqliteCode(err), at: Date.now() };
  }

  async ping(): Promise<void> {
    this.reader.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining; // a drain may re-kick itself once more
    this.reader.close();
    this.writer.close();
  }
}

/** The SQLite result code behind an error (also through the BACKEND_UNAVAILABLE it was mapped to). */
const sqliteCode = (err: unknown): string => {
  const e = err as { code?: unknown; cause?: unknown };
  if (typeof e.code === "string" && e.code.startsWith("SQLITE_")) return e.code;
  return typeof e.cause === "string" ? e.cause : "SQLITE_ERROR";
};

function unavailable(err: unknown) {
  const code = sqliteCode(err);
  const why = code.startsWith("SQLITE_FULL") ? "the database or its disk is full" : `sqlite could not write (${code})`;
  const mapped = backendUnavailable(`${why}; nothing of this request was stored, and a retry is safe once the cause is gone`);
  mapped.cause = code;
  return mapped;
}
