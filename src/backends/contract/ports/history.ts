/**
 * Shell history storage primitives (the domain rules are in src/core/history.ts).
 *
 * Records: one log of entries keyed by seq; a head (the last seq ever assigned and the number of
 * keyed appends ever made) that outlives the entries; idempotency keys ordered by their `n`.
 */
import type { HistoryAppendResult, HistoryEntry } from "../../../domain/history.js";

export interface HistoryHead {
  /** The last seq ever assigned (0: none). */
  lastSeq: number;
  /** Keyed appends ever made: the `n` of the newest idempotency key. */
  keyed: number;
}

export interface HistoryReadPort {
  /**
   * The head. Inside a unit of work this is the read every history write starts with: it locks or
   * guards the whole log (appends serialize on it), so what the unit reads after it is stable.
   */
  historyHead(): Promise<HistoryHead>;
  /** What an append with this key returned, while the key is kept. */
  historyKey(key: string): Promise<HistoryAppendResult | undefined>;
  /**
   * Stored entries with `above` < seq < `before`, newest first, at most `limit`; with `contains`,
   * only those whose command holds it as a literal, case-sensitive substring (exact for any string).
   */
  historyBefore(before: number, above: number, limit: number, contains?: string): Promise<HistoryEntry[]>;
}

export interface HistoryWritePort {
  /** Stores entries (ascending seq, every seq above every stored one) and the new head. */
  insertHistory(entries: HistoryEntry[], head: HistoryHead): void;
  /** Removes every entry with seq <= `seq`. */
  dropHistoryThrough(seq: number): void;
  /** Remembers the result of an append under `key`; `n` orders keys (newest highest). */
  putHistoryKey(key: string, result: HistoryAppendResult, n: number): void;
  /** Forgets every key but the `keep` newest (those with n > newest - keep; `newest` is the highest n). */
  pruneHistoryKeys(keep: number, newest: number): void;
}
