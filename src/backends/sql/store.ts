/** What every SQL store shares: the database, the clock, and transactions that record changes. */
import type { ChangeInput } from "../../domain/changes.js";
import type { BackendOptions } from "../contract.js";
import { recordChanges } from "./changes.js";
import type { SqlDb, TxSql } from "./db.js";

export abstract class SqlStore {
  constructor(
    protected readonly db: SqlDb,
    protected readonly opts: BackendOptions,
    /** Called after each committed write so change-log watchers look at once. */
    protected readonly committed: () => void,
  ) {}

  protected now(): string {
    return this.opts.now().toISOString();
  }

  /** A write transaction; the change log is told to look once it has committed. */
  protected async tx<T>(fn: (q: TxSql) => Promise<T>): Promise<T> {
    const result = await this.db.tx(fn);
    this.committed();
    return result;
  }

  /** Records change-log entries inside the write's transaction. */
  protected change(q: TxSql, ...inputs: ChangeInput[]): Promise<void> {
    return recordChanges(q, this.db, this.opts.origin, this.now(), inputs);
  }
}
