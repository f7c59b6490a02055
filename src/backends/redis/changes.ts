/**
 * The change log as a capped stream (XADD MAXLEN ~). Stream ids are the cursors. watch() reads with
 * XREAD BLOCK on its own connection and resumes from the last id it delivered after a reconnect.
 */
import type { Redis } from "ioredis";
import type { Change } from "../../domain/changes.js";
import { invalidParams } from "../../domain/errors.js";
import type { ChangeLog } from "../contract.js";
import { CONNECTION_OPTIONS, type RedisClient } from "./client.js";
import type { Keys } from "./keys.js";

type Entry = [id: string, fields: string[]];

const toChange = ([id, fields]: Entry): Change => {
  const i = fields.indexOf("c");
  return { cursor: id, ...(JSON.parse(fields[i + 1]) as Omit<Change, "cursor">) };
};

const CURSOR = /^\d{1,16}-\d{1,16}$/;

export class RedisChangeLog implements ChangeLog {
  private readonly listeners = new Set<(c: Change) => void>();
  private reader?: Redis;
  private reading?: Promise<void>;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
  ) {}

  async since(from: string | undefined, limit: number) {
    // "0" is the cursor the event hub issues for an empty log: the start of the stream.
    const cursor = from === "0" ? "0-0" : from;
    if (cursor !== undefined && !CURSOR.test(cursor)) throw invalidParams("cursor is not one this server issued", "/fromCursor");
    const [entries, pruned] = await this.client.call((r) =>
      Promise.all([
        r.xrange(this.keys.changes, cursor === undefined ? "-" : `(${cursor}`, "+", "COUNT", limit) as Promise<Entry[]>,
        r.hget(this.keys.meta, "prunedThrough"),
      ]),
    );
    return { changes: entries.map(toChange), reset: cursor !== undefined && pruned !== null && compareIds(cursor, pruned) < 0 };
  }

  async head() {
    const [last] = (await this.client.call((r) => r.xrevrange(this.keys.changes, "+", "-", "COUNT", 1))) as Entry[];
    return last?.[0];
  }

  watch(listener: (c: Change) => void) {
    this.listeners.add(listener);
    if (!this.reading) {
      this.reader = this.client.redis.duplicate({ ...CONNECTION_OPTIONS, commandTimeout: undefined, lazyConnect: false });
      this.reader.on("error", () => undefined);
      this.reading = this.readLoop(this.reader);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopReading();
    };
  }

  private async readLoop(reader: Redis): Promise<void> {
    let last: string | undefined;
    while (this.reader === reader) {
      try {
        last ??= (await this.head()) ?? "0-0";
        const res = (await reader.xread("COUNT", 1000, "BLOCK", 2000, "STREAMS", this.keys.changes, last));
        for (const entry of res?.[0]?.[1] ?? []) {
          last = entry[0];
          const c = toChange(entry);
          for (const l of this.listeners) l(c);
        }
      } catch {
        if (this.reader !== reader) return;
        await new Promise((r) => setTimeout(r, 200)); // server away: the connection reconnects by itself
      }
    }
  }

  private stopReading(): void {
    const reader = this.reader;
    this.reader = undefined;
    this.reading = undefined;
    reader?.disconnect();
  }

  /**
   * Removes changes whose `at` is before `before`, keeping the newest `keepAtLeast`. Judged by `at`
   * (the store's clock), not by the stream ids (the server's clock), scanning from the oldest entry,
   * so the cost is proportional to what is removed.
   */
  async prune(before: Date, keepAtLeast: number) {
    const keep = Math.max(1, keepAtLeast);
    const cutoff = before.toISOString();
    return this.client.call(async (r) => {
      const newest = (await r.xrevrange(this.keys.changes, "+", "-", "COUNT", keep)) as Entry[];
      if (newest.length < keep) return 0;
      const oldestKept = newest[newest.length - 1][0];
      let lastOld: string | undefined;
      let from = "-";
      scan: for (;;) {
        const batch = (await r.xrange(this.keys.changes, from, `(${oldestKept}`, "COUNT", 500)) as Entry[];
        for (const entry of batch) {
          if (toChange(entry).at >= cutoff) break scan;
          lastOld = entry[0];
        }
        if (batch.length < 500) break;
        from = `(${batch[batch.length - 1][0]}`;
      }
      if (lastOld === undefined) return 0;
      const next = (await r.xrange(this.keys.changes, `(${lastOld}`, "+", "COUNT", 1)) as Entry[];
      const removed = await r.xtrim(this.keys.changes, "MINID", next[0]?.[0] ?? oldestKept);
      const current = await r.hget(this.keys.meta, "prunedThrough");
      if (current === null || compareIds(lastOld, current) > 0) await r.hset(this.keys.meta, "prunedThrough", lastOld);
      return removed;
    });
  }

  close(): void {
    this.listeners.clear();
    this.stopReading();
  }
}

/** Orders stream ids "<ms>-<seq>". */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}
