/** Shell history (SPEC §3.5). */
import type { HistoryAppendResult, HistoryEntry, HistoryEntryInput } from "../../domain/history.js";
import type { Page, PageQuery } from "./common.js";

export interface HistoryQuery extends PageQuery {
  /** Only entries with seq < beforeSeq. A cursor narrows this further (the smaller bound wins). */
  beforeSeq?: number;
  /** Literal, case-sensitive substring of `command` (no wildcards: `%`, `_`, `*` match themselves). */
  contains?: string;
}

/**
 * Shell history storage: one log per backend, keyed by `seq`.
 *
 * Invariants every backend keeps:
 * - `seq` is assigned from 1, dense within one append, increasing, and never reused, not even after
 *   retention removed entries or the backend was reopened.
 * - `command` (and every other string) is returned exactly as given: newlines, CR, tabs, backslashes
 *   and any Unicode survive.
 * - Retention: after each append only the newest `retentionOf(opts).historyEntries` entries are
 *   kept; the pruning is part of the same atomic write.
 *
 * Left out on purpose: editing or deleting single entries, per-session or per-host logs (the fields
 * are stored for filtering later), and de-duplicating repeated commands.
 */
export interface HistoryStore {
  /**
   * Appends all entries or none, in the given order, and records one `history.appended` change
   * (id: String(firstSeq); data: `{ firstSeq, lastSeq }`, never a command). Entries without
   * `createdAt` get the store's clock; a given one is stored normalised to ISO UTC.
   * A repeated `idempotencyKey` (the newest 1,000 keys are remembered) returns the first call's
   * result and writes nothing.
   */
  append(entries: HistoryEntryInput[], idempotencyKey?: string): Promise<HistoryAppendResult>;
  /**
   * The newest `limit` entries matching the query, returned oldest first. `nextCursor`, when not
   * null, continues further back in time (it is the seq bound of this page's oldest entry).
   * Cost: an index walk backwards from `beforeSeq`; with `contains` a backward scan that stops after
   * `limit` + 1 matches, bounded by retention.
   */
  list(query: HistoryQuery): Promise<Page<HistoryEntry>>;
}
