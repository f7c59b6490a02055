/** Shell history held in process: entries in seq order, the head, keys in insertion (= `n`) order. */
import type { HistoryAppendResult, HistoryEntry } from "../../domain/history.js";
import type { HistoryHead, HistoryReadPort, HistoryWritePort } from "../contract.js";
import { indexOfSeq } from "./conversations.js";
import { clone } from "../../domain/clone.js";

export const HISTORY_WRITES: ReadonlySet<string> = new Set<keyof HistoryWritePort>(["insertHistory", "dropHistoryThrough", "putHistoryKey", "pruneHistoryKeys"]);

export class MemoryHistoryPort implements HistoryReadPort, HistoryWritePort {
  private readonly entries: HistoryEntry[] = [];
  protected head: HistoryHead = { lastSeq: 0, keyed: 0 };
  protected readonly keys = new Map<string, HistoryAppendResult>();

  async historyHead() {
    return { ...this.head };
  }

  async historyKey(key: string) {
    const r = this.keys.get(key);
    return r && { ...r };
  }

  async historyBefore(before: number, above: number, limit: number, contains?: string) {
    const out: HistoryEntry[] = [];
    for (let i = indexOfSeq(this.entries, before) - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i];
      if (e.seq <= above) break;
      if (contains === undefined || e.command.includes(contains)) out.push(e);
    }
    return clone(out);
  }

  insertHistory(entries: HistoryEntry[], head: HistoryHead): void {
    this.entries.push(...clone(entries));
    this.head = { ...head };
  }

  dropHistoryThrough(seq: number): void {
    this.entries.splice(0, indexOfSeq(this.entries, seq + 1));
  }

  putHistoryKey(key: string, result: HistoryAppendResult, _n: number): void {
    this.keys.delete(key);
    this.keys.set(key, { ...result });
  }

  pruneHistoryKeys(keep: number, _newest: number): void {
    for (const k of this.keys.keys()) {
      if (this.keys.size <= keep) break;
      this.keys.delete(k);
    }
  }
}
