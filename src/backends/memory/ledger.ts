/** In-memory ledger: turns by key plus one array in ledger order. Writes run synchronously, hence atomically. */
import { invalidParams } from "../../domain/errors.js";
import { idHash, type IngestResult, type StoredTurn, type SummaryRow, type Turn } from "../../domain/ledger.js";
import type { BackendOptions, LedgerQuery, LedgerStore, LedgerSummaryQuery, Page } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { compareTurns, matchesFilter, SummaryBuilder } from "../common/ledger.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryLedger implements LedgerStore {
  private readonly byHash = new Map<string, StoredTurn>();
  /** Every stored turn, ascending (ts, idHash). */
  private ordered: StoredTurn[] = [];

  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}

  async ingest(turns: Turn[]): Promise<IngestResult> {
    const fresh: StoredTurn[] = [];
    const batch = new Set<string>();
    for (const t of turns) {
      const key = idHash(t.source, t.sessionId, t.messageId);
      if (this.byHash.has(key) || batch.has(key)) continue;
      batch.add(key);
      fresh.push({ ...structuredClone(t), idHash: key });
    }
    const result = { inserted: fresh.length, duplicates: turns.length - fresh.length };
    if (fresh.length === 0) return result;
    const first = fresh[0].idHash;
    fresh.sort(compareTurns);
    for (const t of fresh) this.byHash.set(t.idHash, t);
    this.ordered = merge(this.ordered, fresh);
    this.changes.record({
      domain: "ledger",
      type: "ledger.ingested",
      id: first,
      data: { ...result, minTs: fresh[0].ts, maxTs: fresh[fresh.length - 1].ts },
    });
    return result;
  }

  async query(q: LedgerQuery): Promise<Page<StoredTurn>> {
    let from = q.since === undefined ? 0 : this.bound({ ts: q.since, idHash: "" });
    if (q.cursor !== undefined) {
      const [ts, key] = decodeCursor(q.cursor, 2);
      if (typeof ts !== "string" || typeof key !== "string") throw invalidParams("cursor is not one this server issued", "/cursor");
      from = Math.max(from, this.bound({ ts, idHash: key }, true));
    }
    const to = q.until === undefined ? this.ordered.length : this.bound({ ts: q.until, idHash: "" });
    const items: StoredTurn[] = [];
    let more = false;
    for (let i = from; i < to; i++) {
      const t = this.ordered[i];
      if (!matchesFilter(t, q)) continue;
      if (items.length === q.limit) {
        more = true;
        break;
      }
      items.push(t);
    }
    const last = items[items.length - 1];
    return { items: structuredClone(items), nextCursor: more ? encodeCursor([last.ts, last.idHash]) : null };
  }

  async summary(q: LedgerSummaryQuery): Promise<SummaryRow[]> {
    const from = q.since === undefined ? 0 : this.bound({ ts: q.since, idHash: "" });
    const to = q.until === undefined ? this.ordered.length : this.bound({ ts: q.until, idHash: "" });
    const builder = new SummaryBuilder(q);
    for (let i = from; i < to; i++) if (matchesFilter(this.ordered[i], q)) builder.add(this.ordered[i]);
    return builder.rows();
  }

  /** Index of the first stored turn that sorts at or after `at` (strictly after, if `after`). */
  private bound(at: Pick<StoredTurn, "ts" | "idHash">, after = false): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareTurns(this.ordered[mid], at);
      if (c < 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Merges two arrays sorted by compareTurns; appends when `b` sorts wholly after `a` (the common case). */
function merge(a: StoredTurn[], b: StoredTurn[]): StoredTurn[] {
  if (a.length === 0 || compareTurns(a[a.length - 1], b[0]) < 0) {
    for (const t of b) a.push(t);
    return a;
  }
  const out: StoredTurn[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(compareTurns(a[i], b[j]) <= 0 ? a[i++] : b[j++]);
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}
