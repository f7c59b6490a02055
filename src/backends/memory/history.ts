/** In-memory shell history: an array in seq order, trimmed to the retention on every append. */
import type { HistoryAppendResult, HistoryEntry, HistoryEntryInput } from "../../domain/history.js";
import type { BackendOptions, HistoryQuery, HistoryStore, Page } from "../contract.js";
import { retentionOf } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import type { MemoryChangeLog } from "./changes.js";

const IDEMPOTENCY_KEYS_KEPT = 1000;

export class MemoryHistory implements HistoryStore {
  /** Retained entries, ascending seq. */
  private readonly entries: HistoryEntry[] = [];
  private lastSeq = 0;
  private readonly appends = new Map<string, HistoryAppendResult>();

  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}

  async append(inputs: HistoryEntryInput[], idempotencyKey?: string): Promise<HistoryAppendResult> {
    const previous = idempotencyKey === undefined ? undefined : this.appends.get(idempotencyKey);
    if (previous) return { ...previous };
    const now = this.opts.now().toISOString();
    const firstSeq = this.lastSeq + 1;
    for (const input of inputs) {
      const { createdAt, ...fields } = structuredClone(input);
      this.entries.push({ seq: ++this.lastSeq, ...fields, createdAt: createdAt === undefined ? now : new Date(createdAt).toISOString() });
    }
    const keep = retentionOf(this.opts).historyEntries;
    if (this.entries.length > keep) this.entries.splice(0, this.entries.length - keep);
    const result = { firstSeq, lastSeq: this.lastSeq };
    if (idempotencyKey !== undefined) {
      this.appends.set(idempotencyKey, result);
      if (this.appends.size > IDEMPOTENCY_KEYS_KEPT) this.appends.delete(this.appends.keys().next().value as string);
    }
    this.changes.record({ domain: "history", type: "history.appended", id: String(firstSeq), data: { ...result } });
    return { ...result };
  }

  /** Index of the first entry with seq >= `seq`. */
  private indexOfSeq(seq: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid].seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async list(q: HistoryQuery): Promise<Page<HistoryEntry>> {
    const fromCursor = q.cursor === undefined ? Infinity : Number(decodeCursor(q.cursor, 1)[0]);
    const before = Math.min(q.beforeSeq ?? Infinity, fromCursor);
    const newestFirst: HistoryEntry[] = [];
    let more = false;
    for (let i = this.indexOfSeq(before) - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (q.contains !== undefined && !e.command.includes(q.contains)) continue;
      if (newestFirst.length === q.limit) {
        more = true;
        break;
      }
      newestFirst.push(e);
    }
    const items = structuredClone(newestFirst.reverse());
    return { items, nextCursor: more ? encodeCursor([items[0].seq]) : null };
  }
}
