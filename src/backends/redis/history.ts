/**
 * Shell history on Redis (layout in keys.ts): entries in the sorted set `history` scored by seq
 * (member: the entry JSON, unique because it holds the seq), and the head `history:seq` =
 * "<lastSeq>,<keyed>", which every history unit reads first and so guards. Every append rewrites
 * the head, so its guard covers everything else a unit reads (entries and idempotency keys change
 * only together with it). The head is never deleted, so a seq is never reused.
 */
import type { HistoryAppendResult, HistoryEntry } from "../../domain/history.js";
import type { HistoryHead, HistoryReadPort, HistoryWritePort } from "../contract.js";
import type { Command } from "./client.js";
import { RedisPort } from "./port.js";

/** Members per ZADD: the Lua script unpacks each command onto its stack (a few thousand at most). */
const ZADD_CHUNK = 1000;
/** Entries read per step of a `contains` scan. */
const SCAN_BATCH = 500;

export class RedisHistoryPort extends RedisPort implements HistoryReadPort, HistoryWritePort {
  async historyHead(): Promise<HistoryHead> {
    const key = this.k.historySeq();
    const raw = await this.get(key);
    const [lastSeq, keyed] = raw === null ? [0, 0] : raw.split(",").map(Number);
    return { lastSeq, keyed };
  }

  async historyKey(key: string): Promise<HistoryAppendResult | undefined> {
    const raw = await this.client.call((r) => r.hget(this.k.historyIdem(), key));
    if (raw === null) return undefined;
    const [firstSeq, lastSeq] = raw.split(",").map(Number);
    return { firstSeq, lastSeq };
  }

  /**
   * Walks the sorted set backwards from the bound. With `contains`, reads SCAN_BATCH entries at a
   * time and tests each command in JavaScript (a literal `includes`, exact for any string).
   */
  async historyBefore(before: number, above: number, limit: number, contains?: string) {
    const batch = contains === undefined ? limit : Math.max(limit, SCAN_BATCH);
    const out: HistoryEntry[] = [];
    for (;;) {
      const members = await this.client.call((r) => r.zrevrangebyscore(this.k.history(), `(${before}`, `(${above}`, "LIMIT", 0, batch));
      for (const m of members) {
        const e = JSON.parse(m) as HistoryEntry;
        if (contains === undefined || e.command.includes(contains)) out.push(e);
        if (out.length === limit) return out;
      }
      if (members.length < batch) return out;
      before = (JSON.parse(members[members.length - 1]) as HistoryEntry).seq;
    }
  }

  insertHistory(entries: HistoryEntry[], head: HistoryHead): void {
    const commands: Command[] = [];
    for (let start = 0; start < entries.length; start += ZADD_CHUNK) {
      const zadd: Command = ["ZADD", this.k.history()];
      for (const e of entries.slice(start, start + ZADD_CHUNK)) zadd.push(e.seq, JSON.stringify(e));
      commands.push(zadd);
    }
    commands.push(["SET", this.k.historySeq(), `${head.lastSeq},${head.keyed}`]);
    this.writes.command(...commands);
  }

  dropHistoryThrough(seq: number): void {
    this.writes.command(["ZREMRANGEBYSCORE", this.k.history(), "-inf", seq]);
  }

  putHistoryKey(key: string, result: HistoryAppendResult, n: number): void {
    this.writes.command(["HSET", this.k.historyIdem(), key, `${result.firstSeq},${result.lastSeq}`], ["ZADD", this.k.historyIdemOrder(), n, key]);
  }

  pruneHistoryKeys(keep: number, _newest: number): void {
    this.writes.command(["KEEPNEWEST", this.k.historyIdemOrder(), this.k.historyIdem(), keep]);
  }
}
