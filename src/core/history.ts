/**
 * Shell history (SPEC §3.5), written once over the storage primitives
 * (src/backends/contract/ports/history.ts): seq assignment, the idempotency window, retention (the
 * newest N entries, pruned in the same unit as the append) and keyset paging backwards by seq.
 */
import type { HistoryAppendResult, HistoryEntry, HistoryEntryInput } from "../domain/history.js";
import { invalidParams } from "../domain/errors.js";
import type { HistoryHead, HistoryQuery, HistoryStore, Page, Storage, UnitOfWork } from "../backends/contract.js";
import { checkRestoredEntries, HISTORY_KEYS_KEPT, stampEntries } from "./history-entries.js";
import { decodeCursor, encodeCursor } from "./paging.js";
import { clone } from "../domain/clone.js";

export class CoreHistory implements HistoryStore {
  constructor(
    private readonly storage: Storage,
    /** How many entries retention keeps (retentionOf(opts).historyEntries). */
    private readonly keep: number,
  ) {}

  /** Stores `entries` as the log's newest, moves the head and applies retention. */
  private insert(u: UnitOfWork, entries: HistoryEntry[], head: HistoryHead): void {
    u.history.insertHistory(entries, head);
    if (head.lastSeq > this.keep) u.history.dropHistoryThrough(head.lastSeq - this.keep);
  }

  async append(inputs: HistoryEntryInput[], idempotencyKey?: string): Promise<HistoryAppendResult> {
    return this.storage.write(async (u) => {
      const h = u.history;
      // The head first: it locks (SQL) or guards (Redis) the log, so a concurrent append with the
      // same key has committed before the key is looked up.
      const head = await h.historyHead();
      if (idempotencyKey !== undefined) {
        const previous = await h.historyKey(idempotencyKey);
        if (previous) return previous;
      }
      const firstSeq = head.lastSeq + 1;
      const entries = stampEntries(inputs, firstSeq, u.now);
      const result = { firstSeq, lastSeq: head.lastSeq + entries.length };
      const keyed = head.keyed + (idempotencyKey === undefined ? 0 : 1);
      this.insert(u, entries, { lastSeq: result.lastSeq, keyed });
      if (idempotencyKey !== undefined) {
        h.putHistoryKey(idempotencyKey, result, keyed);
        h.pruneHistoryKeys(HISTORY_KEYS_KEPT, keyed);
      }
      u.change({ domain: "history", type: "history.appended", id: String(firstSeq), data: { ...result } });
      return result;
    });
  }

  async list(q: HistoryQuery): Promise<Page<HistoryEntry>> {
    let before = q.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    if (q.cursor !== undefined) {
      const bound = decodeCursor(q.cursor, 1, ["number"])[0] as number;
      if (!Number.isSafeInteger(bound)) throw invalidParams("cursor is not one this server issued", "/cursor");
      before = Math.min(before, bound);
    }
    return this.storage.read(async (r) => {
      // Retention is exact here even where the layout prunes lazily: nothing at or below the floor is listed.
      const floor = Math.max(0, (await r.history.historyHead()).lastSeq - this.keep);
      const newestFirst = await r.history.historyBefore(before, floor, q.limit + 1, q.contains);
      const items = newestFirst.slice(0, q.limit).reverse();
      return { items, nextCursor: newestFirst.length > q.limit && items.length > 0 ? encodeCursor([items[0].seq]) : null };
    });
  }

  /**
   * The restore path for history (RestoreStore.history): entries with their own seq and createdAt.
   * Seqs the log already assigned are skipped (a resumed restore is harmless); the next seq
   * becomes at least the highest restored + 1. Retention applies as to an append.
   */
  async restore(entries: HistoryEntry[]): Promise<void> {
    checkRestoredEntries(entries);
    return this.storage.write(async (u) => {
      const head = await u.history.historyHead();
      const fresh = clone(entries.filter((e) => e.seq > head.lastSeq));
      if (fresh.length === 0) return;
      const lastSeq = fresh[fresh.length - 1].seq;
      this.insert(u, fresh, { lastSeq, keyed: head.keyed });
      u.change({ domain: "history", type: "history.appended", id: String(fresh[0].seq), data: { firstSeq: fresh[0].seq, lastSeq, restored: true } });
    });
  }
}
