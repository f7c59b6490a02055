/**
 * The small surface the shared SQL stores run on. Statements use `?` placeholders; the dialect
 * rewrites them where the engine wants `$n`. Rows come back as plain objects.
 */
export type Row = Record<string, unknown>;
export type Param = string | number | null;

export interface Sql {
  all<T = Row>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
}

/** The connection a transaction function receives; `state` lives as long as the transaction. */
export interface TxSql extends Sql {
  readonly state: Map<string, unknown>;
  /**
   * Runs `hook` after the transaction function returned and before COMMIT, in registration order
   * (where the engine has it; absent on SQLite, whose single writer needs no deferral).
   */
  beforeCommit?(hook: () => Promise<void>): void;
  /**
   * Queues a statement whose answer nobody needs; it is sent, in order, with the next statement or
   * with the COMMIT, in one round trip (where the engine has it: Postgres; SQLite runs in process).
   * A failure surfaces from that statement or from the commit.
   */
  queue?(sql: string, params?: readonly Param[]): void;
}

export interface TxOptions {
  /** No client-side reply timeout and no deadline (schema migrations, which may rewrite big tables). */
  unbounded?: boolean;
}

export interface Dialect {
  readonly name: "sqlite" | "postgres";
  /** Column types. */
  readonly bigint: string;
  readonly serial: string;
  /** Appended to SELECTs that read a row the transaction will write (a no-op where writes are serialized). */
  readonly forUpdate: string;
  /** Byte-order collation for ids and sort keys. */
  readonly binary: string;
  /**
   * True where change rows are inserted just before COMMIT (TxSql.beforeCommit), after every row lock
   * the write takes, so that a later conflicting write's change row always has a higher row id.
   */
  readonly deferChanges?: boolean;
  /**
   * Where the one writer numbers change rows at insert (SQLite): a query inside the write
   * transaction answering `top`, the largest change row id ever assigned (pruned rows included, so
   * a cursor is never reused); the rows get id = cur = top + 1, top + 2, … in insert order, which is
   * commit order. Without it (Postgres) rows are inserted with cur NULL and sequenced after commit.
   */
  readonly changeTop?: string;
  /**
   * Where cursors are not assigned inside the write (Postgres, with many concurrent writers): gives
   * committed change rows their cursors, in one autocommit statement. Returns how many rows got one
   * (at most a batch: call again while it returns a full batch), or -1 when it could not take the
   * sequencer lock (a run already going may not have seen our rows: call again).
   * Absent on SQLite, whose single writer assigns cursor = row id at insert, in commit order.
   * See docs/decisions/postgres-change-order.md.
   */
  sequence?(read: Sql): Promise<number>;
}

export interface SqlDb {
  readonly dialect: Dialect;
  /** Reads outside any write transaction; they see committed data only. */
  readonly read: Sql;
  /**
   * Runs `fn` in a transaction: all of its statements commit together or none do. Throws
   * BACKEND_UNAVAILABLE when it surely did not commit, OUTCOME_UNKNOWN when the COMMIT was sent and
   * its answer lost.
   */
  tx<T>(fn: (q: TxSql) => Promise<T>, opts?: TxOptions): Promise<T>;
  /** A cheap round trip, for health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** 1 for true, 0 for false: both engines store booleans as integers here. */
export const bool = (v: boolean): number => (v ? 1 : 0);
