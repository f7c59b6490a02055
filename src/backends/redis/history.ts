/**
 * Shell history on Redis (layout in keys.ts): entries in the sorted set `history` scored by seq
 * (member: the entry JSON, unique because it holds the seq), and the string `history:seq` =
 * "<lastSeq>,<keyed>" that every append reads and guards. Because each append changes that string,
 * the guard serializes appends across daemons and covers everything else the append read (the
 * idempotency keys, which only appends write). Retention and the idempotency window are trimmed by
 * the same atomic write; the counter is never deleted, so a seq is never reused.
 */
import type { HistoryAppendResult, HistoryEntry, HistoryEntryInput } from "../../domain/history.js";
import { invalidParams } from "../../domain/errors.js";
import type { BackendOptions, HistoryQuery, HistoryStore, Page } from "../contract.js";
import { retentionOf } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import type { Command, RedisClient } from "./client.js";
import type { Keys } from "./keys.js";
import type { WritePlan, Writer } from "./write.js";

const IDEMPOTENCY_KEYS_KEPT = 1000;
/** Members per ZADD: the Lua script unpacks each command onto its stack (a few thousand at most). */
const ZADD_CHUNK = 1000;
/** Entries read per step of a `contains` scan. */
const SCAN_BATCH = 500;

export class RedisHistory implements HistoryStore {
  constructor(
    protected readonly client: RedisClient,
    protected readonly keys: Keys,
    protected readonly writer: Writer,
    protected readonly opts: BackendOptions,
  ) {}

  append(inputs: HistoryEntryInput[], idempotencyKey?: string): Promise<HistoryAppendResult> {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<HistoryAppendResult>> => {
      // The counter first: an append with the same key that lands after this read fails our guard.
      const counter = await this.client.call((r) => r.get(k.historySeq()));
      const [lastSeq, keyed] = counter === null ? [0, 0] : counter.split(",").map(Number);
      if (idempotencyKey !== undefined) {
        const prev = await this.client.call((r) => r.hget(k.historyIdem(), idempotencyKey));
        if (prev !== null) {
          const [firstSeq, last] = prev.split(",").map(Number);
          return { guards: [], changes: [], commands: [], result: { firstSeq, lastSeq: last } };
        }
      }
      const now = this.opts.now().toISOString();
      const firstSeq = lastSeq + 1;
      const newLast = lastSeq + inputs.length;
      const newKeyed = keyed + (idempotencyKey === undefined ? 0 : 1);
      const commands: Command[] = [];
      for (let start = 0; start < inputs.length; start += ZADD_CHUNK) {
        const zadd: Command = ["ZADD", k.history()];
        inputs.slice(start, start + ZADD_CHUNK).forEach(({ createdAt, ...fields }, i) => {
          const seq = firstSeq + start + i;
          const entry: HistoryEntry = { seq, ...fields, createdAt: createdAt === undefined ? now : new Date(createdAt).toISOString() };
          zadd.push(seq, JSON.stringify(entry));
        });
        commands.push(zadd);
      }
      commands.push(["SET", k.historySeq(), `${newLast},${newKeyed}`]);
      const dropThrough = newLast - retentionOf(this.opts).historyEntries;
      if (dropThrough >= 1) commands.push(["ZREMRANGEBYSCORE", k.history(), "-inf", dropThrough]);
      if (idempotencyKey !== undefined) {
        commands.push(["HSET", k.historyIdem(), idempotencyKey, `${firstSeq},${newLast}`], ["ZADD", k.historyIdemOrder(), newKeyed, idempotencyKey]);
        const forget = newKeyed - IDEMPOTENCY_KEYS_KEPT;
        if (forget >= 1) {
          const old = await this.client.call((r) => r.zrangebyscore(k.historyIdemOrder(), "-inf", forget));
          if (old.length > 0) commands.push(["HDEL", k.historyIdem(), ...old], ["ZREMRANGEBYSCORE", k.historyIdemOrder(), "-inf", forget]);
        }
      }
      return {
        guards: [{ key: k.historySeq(), expect: counter }],
        changes: [{ domain: "history", type: "history.appended", id: String(firstSeq), data: { firstSeq, lastSeq: newLast } }],
        commands,
        result: { firstSeq, lastSeq: newLast },
      };
    });
  }

  /**
   * Walks the sorted set backwards from the bound. With `contains`, reads SCAN_BATCH entries at a
   * time and tests each command in JavaScript (a literal `includes`, exact for any string), stopping
   * after `limit` + 1 matches: at worst the whole retained history is read.
   */
  async list(q: HistoryQuery): Promise<Page<HistoryEntry>> {
    let before = q.beforeSeq ?? Infinity;
    if (q.cursor !== undefined) {
      const bound = decodeCursor(q.cursor, 1)[0];
      if (typeof bound !== "number" || !Number.isSafeInteger(bound)) throw invalidParams("cursor is not one this server issued", "/cursor");
      before = Math.min(before, bound);
    }
    const want = q.limit + 1;
    const batch = q.contains === undefined ? want : Math.max(want, SCAN_BATCH);
    const newestFirst: HistoryEntry[] = [];
    for (;;) {
      const max = before === Infinity ? "+inf" : `(${before}`;
      const members = await this.client.call((r) => r.zrevrangebyscore(this.keys.history(), max, "-inf", "LIMIT", 0, batch));
      for (const m of members) {
        const e = JSON.parse(m) as HistoryEntry;
        if (q.contains === undefined || e.command.includes(q.contains)) newestFirst.push(e);
        if (newestFirst.length === want) break;
      }
      if (newestFirst.length >= want || members.length < batch) break;
      before = (JSON.parse(members[members.length - 1]) as HistoryEntry).seq;
    }
    const more = newestFirst.length > q.limit;
    const items = newestFirst.slice(0, q.limit).reverse();
    return { items, nextCursor: more ? encodeCursor([items[0].seq]) : null };
  }
}
