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
  /** Called at the start of a transaction's first change-log insert: makes cursor order commit order. */
  orderChanges(q: TxSql): Promise<void>;
  /** Where other processes can be woken: called with each change-log insert; the wake-up must fire at commit (Postgres NOTIFY). */
  announceChanges?(q: TxSql): Promise<void>;
}

export interface SqlDb {
  readonly dialect: Dialect;
  /** Reads outside any write transaction; they see committed data only. */
  readonly read: Sql;
  /** Runs `fn` in a transaction: all of its statements commit together or none do. */
  tx<T>(fn: (q: TxSql) => Promise<T>): Promise<T>;
  /** A cheap round trip, for health. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** 1 for true, 0 for false: both engines store booleans as integers here. */
export const bool = (v: boolean): number => (v ? 1 : 0);
