/**
 * A read-only connection to the sqlite file, for the daemon's thread while the writer runs on a
 * worker (threaded.ts): the change log is read here. It never writes.
 */
import Database from "better-sqlite3";
import type { Sql, SqlDb } from "../sql/db.js";
import { sqliteDialect, SqliteExecutor } from "./db.js";

const BUSY_TIMEOUT_MS = 5000;

export class SqliteReader implements SqlDb {
  readonly dialect = sqliteDialect;
  private db?: Database.Database;
  private exec?: SqliteExecutor;

  constructor(private readonly path: string) {}

  /** After the writer created and migrated the file. */
  async open(): Promise<void> {
    this.db = new Database(this.path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    this.exec = new SqliteExecutor(this.db);
  }

  get read(): Sql {
    if (!this.exec) throw new Error("the sqlite reader is not open");
    return this.exec;
  }

  tx<T>(): Promise<T> {
    return Promise.reject(new Error("the sqlite reader does not write"));
  }

  async ping(): Promise<void> {
    await this.read.get("SELECT 1");
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}
