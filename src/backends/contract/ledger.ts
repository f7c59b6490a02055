/** Usage ledger: one record per model turn, keyed by idHash (SPEC §3.7). */
import type { GroupKey, IngestResult, StoredTurn, SummaryRow, Turn } from "../../domain/ledger.js";
import type { Page, PageQuery } from "./common.js";

/**
 * Which turns a query or summary looks at. Every given field must match (AND); an absent field
 * does not filter. `since`/`until` are canonical timestamps (domain canonicalTimestamp) and bound
 * the range half-open: since <= ts < until, so consecutive windows never count a turn twice.
 * The daemon guarantees since <= until when both are given.
 */
export interface LedgerFilter {
  since?: string;
  until?: string;
  sessionId?: string;
  project?: string;
  model?: string;
  source?: string;
  host?: string;
}

export interface LedgerQuery extends LedgerFilter, PageQuery {}

export interface LedgerSummaryQuery extends LedgerFilter {
  /** Distinct dimensions; rows are sorted by them in this order. [] means one row of totals. */
  groupBy: GroupKey[];
  /** A canonical IANA zone name (domain canonicalTimeZone) that `day` is computed in; "UTC" by default above the store. */
  timezone: string;
}

/**
 * Ledger storage.
 *
 * Keys and invariants every backend keeps:
 * - A turn's key is `idHash(source, sessionId, messageId)` from domain/ledger-keys.ts, computed by
 *   the store. Per key at most one turn is ever stored, whichever daemon or process ingests it.
 * - First write wins: a turn whose key is already stored is a duplicate and changes nothing, even
 *   when its other fields differ. Turns are never updated or deleted through this interface.
 * - `ts` arrives canonical (`YYYY-MM-DDTHH:mm:ss.sssZ`, see canonicalTimestamp), so text order is
 *   time order and the UTC day is its first 10 characters.
 * - `extra` and every other field are returned exactly as ingested.
 *
 * Implementation notes (not requirements): SQL stores keep idHash as the primary key (duplicates via
 * INSERT … ON CONFLICT DO NOTHING, counted from the rows actually inserted) and an index on
 * (ts, idHash), which serves query's keyset paging and lets summary run as one
 * `SELECT <keys>, SUM(…) … WHERE ts >= ? AND ts < ? GROUP BY <keys>` with day = substr(ts, 1, 10)
 * in UTC. Stores that keep pre-aggregated rollups (say per UTC hour × model × project × source ×
 * host) may answer summary from them for whole buckets and scan only the partial buckets at the
 * range edges, and scan the turns for a session grouping or filter or a zone whose offset does not
 * fall on the bucket boundaries; the answer must equal the scan's.
 *
 * Left out on purpose: updating, deleting or expiring turns, pricing (costUsd is what the caller
 * reported, never computed here), full-text search over `extra`, and paging summary rows.
 */
export interface LedgerStore {
  /**
   * Stores the turns whose key is new, atomically as a whole: after an error nothing was stored.
   * A turn whose key is already stored, or that repeats a key earlier in the same batch, counts as
   * a duplicate (so inserted + duplicates = turns.length). Concurrent ingests of overlapping turns,
   * from this or any other daemon on the same storage, store each key once and count it inserted in
   * exactly one of them.
   * Records one change `ledger.ingested` (domain "ledger") in the same atomic unit when at least one
   * turn was inserted: id = the idHash of the first inserted turn in batch order, data =
   * `{ inserted, duplicates, minTs, maxTs }` (the ts range of the inserted turns). An ingest that
   * inserts nothing (all duplicates, or no turns) records no change: nothing changed.
   */
  ingest(turns: Turn[]): Promise<IngestResult>;
  /**
   * Turns matching `q`, ordered by ts ascending, ties by idHash ascending; keyset-paged on
   * (ts, idHash), so turns ingested while paging show up if they sort after the cursor and are never
   * returned twice. `nextCursor` is null on the last page (never an empty page after a full one).
   * Errors: INVALID_PARAMS for a cursor this store never issued.
   */
  query(q: LedgerQuery): Promise<Page<StoredTurn>>;
  /**
   * One row per distinct combination of the groupBy dimensions among the matching turns, carrying
   * only the fields those dimensions fill (`session` fills `sessionId`; `day` is YYYY-MM-DD of ts in
   * `q.timezone`; a turn without project or host groups under null), plus the sums of SummaryTotals:
   * absent usage fields count 0, costUsd sums the turns that carry it and pricedTurns counts them.
   * No matching turns: no rows, whatever groupBy is.
   * Rows are sorted by the key fields in groupBy order, ascending by Unicode code point (SQLite
   * BINARY, Postgres COLLATE "C"), null before any string.
   * Cost sums are floating point: backends may differ in the last bits, depending on summing order.
   */
  summary(q: LedgerSummaryQuery): Promise<SummaryRow[]>;
}
