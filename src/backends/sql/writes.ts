/** The write half of a SQL unit of work: statements decided on, run in order before COMMIT. */
import type { Param, Sql } from "./db.js";

/** Statements a unit of work decided on, run in order before COMMIT. */
export class SqlWrites {
  private readonly statements: Array<[string, readonly Param[]]> = [];

  run(sql: string, params: readonly Param[]): void {
    this.statements.push([sql, params]);
  }

  async flush(q: Sql): Promise<void> {
    for (const [sql, params] of this.statements) await q.run(sql, params);
  }
}

/** Read ports never write: a write method reached from `read` is a bug. */
export const READ_ONLY = new Proxy({} as SqlWrites, {
  get: () => () => {
    throw new Error("a write through a read-only SQL port");
  },
});
