/** A Postgres transaction, in as few messages as it allows (docs/decisions/postgres-round-trips.md). */
import pg from "pg";
import type { Param, Row, TxSql } from "../sql/db.js";
import { isConnectionLoss, isContention, mapPgError, wasNeverSent } from "./errors.js";
import { withLiterals } from "./literals.js";
import { queryWithin, type Patience } from "./query.js";

/**
 * One transaction's statements, sent as simple queries with their parameters written in as
 * literals (literals.ts), so that several travel in one message: BEGIN goes with the first
 * statement, and queued statements with the next one or with the COMMIT. A failure anywhere in a
 * message ends it there: the server skips the rest, COMMIT included, and the transaction is void.
 */
export class PgTx implements TxSql {
  readonly state = new Map<string, unknown>();
  readonly hooks: (() => Promise<void>)[] = [];
  /** Statements waiting for the next message (BEGIN goes first until it has gone out). */
  private queued: string[] = [];
  /** BEGIN has been sent: a failure needs a ROLLBACK. */
  begun = false;
  /** The server has answered a message of this transaction. */
  answered = false;
  /** A message holding COMMIT has been sent: losing its answer leaves the outcome unknown. */
  commitSent = false;

  constructor(
    private readonly client: pg.Client,
    private readonly replyMs: number,
    private readonly patience?: (statements: number) => Patience | undefined,
  ) {}

  beforeCommit(hook: () => Promise<void>): void {
    this.hooks.push(hook);
  }

  queue(sql: string, params?: readonly Param[]): void {
    this.queued.push(withLiterals(sql, params));
  }

  /** Sends BEGIN (the first time), the queued statements and `last` in one message; answers with `last`'s result. */
  private async send(last: string): Promise<pg.QueryResult> {
    const statements = this.queued.length + (last === "COMMIT" ? 0 : 1);
    const text = [...(this.begun ? [] : ["BEGIN"]), ...this.queued, last].join(";\n");
    this.queued = [];
    this.begun = true;
    try {
      const res = (await queryWithin(this.client, text, undefined, this.replyMs, this.patience?.(statements))) as pg.QueryResult | pg.QueryResult[];
      this.answered = true;
      return Array.isArray(res) ? res[res.length - 1] : res;
    } catch (err) {
      // Connection losses and contention stay raw: tx() tells a lost COMMIT from a lost statement,
      // and runs a transaction that lost a lock race again.
      throw isConnectionLoss(err) || isContention(err) ? err : mapPgError(err);
    }
  }

  /** Sends what is queued with COMMIT; nothing at all when the transaction neither read nor wrote. */
  async commit(): Promise<void> {
    if (!this.begun && this.queued.length === 0) return;
    this.commitSent = true;
    try {
      await this.send("COMMIT");
    } catch (err) {
      if (wasNeverSent(err)) this.commitSent = false;
      throw err;
    }
  }

  async all<T = Row>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return (await this.send(withLiterals(sql, params))).rows as T[];
  }
  async get<T = Row>(sql: string, params?: readonly Param[]): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async run(sql: string, params?: readonly Param[]): Promise<number> {
    return (await this.send(withLiterals(sql, params))).rowCount ?? 0;
  }
}
