/** The write half of a SQL unit of work: statements decided on, run in order before COMMIT. */
import type { Param, TxSql } from "./db.js";

/** Statements a unit of work decided on, run in order before COMMIT. */
export class SqlWrites {
  private readonly statements: Array<[string, readonly Param[]]> = [];

  run(sql: string, params: readonly Param[]): void {
    this.statements.push([sql, params]);
  }

  /** Runs them, or queues them to travel with the COMMIT where the engine can. */
  async flush(q: TxSql): Promise<void> {
    for (const [sql, params] of this.statements) await write(q, sql, params);
  }
}

/** A statement whose answer nobody needs: queued to travel with the COMMIT where the engine can (TxSql.queue), else run now. */
export async function write(q: TxSql, sql: string, params: readonly Param[]): Promise<void> {
  if (q.queue) q.queue(sql, params);
  else await q.run(sql, params);
}

/** Read ports never write: a write method reached from `read` is a bug. */
export const READ_ONLY = new Proxy({} as SqlWrites, {
  get: () => () => {
    throw new Error("a write through a read-only SQL port");
  },
});
