/**
 * Ledger storage primitives (the domain rules are in src/core/ledger.ts and core/ledger-rules.ts).
 *
 * Records: turns by idHash, ordered by (ts, idHash). A turn is written once and never changed or
 * removed. Which turns match a filter is defined by LedgerFilter (contract/ledger.ts): every given
 * field equal, since <= ts < until.
 */
import type { StoredTurn, SummaryTotals } from "../../../domain/ledger.js";
import type { LedgerFilter } from "../ledger.js";

/** The ledger's sort and cursor key. */
export type TurnKey = Pick<StoredTurn, "ts" | "idHash">;

/**
 * A column a summary can be aggregated by: a turn's field (`session` is sessionId; project and
 * host may be null), its UTC day (first 10 characters of ts), or its UTC quarter hour: the first
 * 13 characters of ts, "|", and the quarter of the hour (0–3), e.g. "2026-03-01T10|2".
 */
export type AggregateDim = "model" | "session" | "project" | "source" | "host" | "utcDay" | "quarter";

/** The sums of the turns sharing one value per dimension. */
export interface AggregateRow {
  key: (string | null)[];
  totals: SummaryTotals;
}

export interface LedgerReadPort {
  /**
   * Which of `hashes` are stored. Inside a unit of work the answer holds until it commits: a key
   * reported absent that another writer stores meanwhile makes the unit fail or run again.
   */
  storedKeys(hashes: readonly string[]): Promise<Set<string>>;
  /** Turns matching `filter`, ascending (ts, idHash), only those after `after`, at most `limit`. */
  turns(filter: LedgerFilter, after: TurnKey | undefined, limit: number): Promise<StoredTurn[]>;
  /** Calls `visit` with every turn matching `filter`, in any order. */
  scan(filter: LedgerFilter, visit: (t: StoredTurn) => void): Promise<void>;
  /**
   * Optional, for stores that can sum next to the data: one row per distinct combination of `dims`
   * among the turns matching `filter` (none when no turn matches), in any order. The totals follow
   * SummaryTotals (absent usage counts 0, costUsd sums the turns that carry it, pricedTurns counts
   * them). Without it the core scans.
   */
  aggregate?(filter: LedgerFilter, dims: readonly AggregateDim[]): Promise<AggregateRow[]>;
}

export interface LedgerWritePort {
  /** Stores new turns (no key stored yet, none repeated). */
  insertTurns(turns: StoredTurn[]): void;
}
