/**
 * The change log as a capped stream (XADD MAXLEN ~). Stream ids are the cursors. watch() reads with
 * XREAD BLOCK on its own connection and resumes from the last id it delivered after a reconnect; a
 * reader socket that stays silent past the block time plus SOCKET_TIMEOUT_MS is destroyed and
 * reconnected.
 *
 * since() judges a cursor against the newest id ever removed from the stream, however it went —
 * prune's XTRIM MINID, XADD's MAXLEN ~ trimming — from XINFO STREAM's max-deleted-entry-id (Redis
 * ≥ 7.0), read in the same MULTI as the entries, so one answer comes from one moment of the stream.
 */
import type { Redis } from "ioredis";
import type { Change } from "../../domain/changes.js";
import { invalidParams } from "../../domain/errors.js";
import type { ChangeLog } from "../contract.js";
import { CONNECTION_OPTIONS, SOCKET_TIMEOUT_MS, type RedisClient } from "./client.js";
import type { Keys } from "./keys.js";

type Entry = [id: string, fields: string[]];

const toChange = ([id, fields]: Entry): Change => {
  const i = fields.indexOf("c");
  return { cursor: id, ...(JSON.parse(fields[i + 1]) as Omit<Change, "cursor">) };
};

const CURSOR = /^\d{1,16}-\d{1,16}$/;
const BLOCK_MS = 1000;

/** A field of XINFO STREAM's flat [name, value, …] reply. */
function infoField(info: unknown, name: string): string | undefined {
  if (!Array.isArray(info)) return undefined;
  const i = info.indexOf(name);
  return i >= 0 && typeof info[i + 1] === "string" ? (info[i + 1] as string) : undefined;
}

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
    const replies = await this.client.call(async (r) =>
      (await r
        .multi()
        .xrange(this.keys.changes, cursor === undefined ? "-" : `(${cursor}`, "+", "COUNT", limit)
        .xinfo("STREAM", this.keys.changes)
        .hget(this.keys.meta, "prunedThrough")
        .exec()) ?? [],
    );
    const [[rangeErr, range], [, info], [pruneErr, pruned]] = replies as [[Error | null, unknown], [Error | null, unknown], [Error | null, unknown]];
    if (rangeErr) throw rangeErr;
    if (pruneErr) throw pruneErr;
    return { changes: (range as Entry[]).map(toChange), reset: cursor !== undefined && missedAfter(cursor, info, typeof pruned === "string" ? pruned : undefined) };
  }

  async head() {
    const [last] = (await this.client.call((r) => r.xrevrange(this.keys.changes, "+", "-", "COUNT", 1))) as Entry[];
    return last?.[0];
  }

  watch(listener: (c: Change) => void) {
    this.listeners.add(listener);
    if (!this.reading) {
      this.reader = this.client.redis.duplicate({ ...CONNECTION_OPTIONS, commandTimeout: undefined, socketTimeout: BLOCK_MS + SOCKET_TIMEOUT_MS, lazyConnect: false });
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
        const res = (await reader.xread("COUNT", 1000, "BLOCK", BLOCK_MS, "STREAMS", this.keys.changes, last));
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
      // The mark and the trim in one MULTI: no reader sees entries gone without the mark that says so.
      const current = await r.hget(this.keys.meta, "prunedThrough");
      const tx = r.multi();
      if (current === null || compareIds(lastOld, current) > 0) tx.hset(this.keys.meta, "prunedThrough", lastOld);
      tx.xtrim(this.keys.changes, "MINID", next[0]?.[0] ?? oldestKept);
      const replies = (await tx.exec()) ?? [];
      const [err, removed] = replies[replies.length - 1] ?? [null, 0];
      if (err) throw err;
      return Number(removed);
    });
  }

  close(): void {
    this.listeners.clear();
    this.stopReading();
  }
}

/**
 * Whether an entry after `cursor` was removed from the stream. `prunedThrough` is exact for what this
 * backend removes (prune, the capped apply). Removals by hand are caught from XINFO STREAM (no stream
 * key yet: XINFO failed and nothing was removed): XDEL moves max-deleted-entry-id; a trim leaves
 * entries-added above length with the first entry past the cursor — a reader whose cursor was
 * exactly the last entry trimmed by hand is told to reset although it missed nothing.
 */
function missedAfter(cursor: string, info: unknown, prunedThrough: string | undefined): boolean {
  if (prunedThrough !== undefined && compareIds(cursor, prunedThrough) < 0) return true;
  const maxDeleted = infoField(info, "max-deleted-entry-id");
  if (maxDeleted !== undefined && compareIds(cursor, maxDeleted) < 0) return true;
  const first = infoField(info, "recorded-first-entry-id");
  const added = Number(infoField(info, "entries-added") ?? NaN);
  const length = Number(infoField(info, "length") ?? NaN);
  const removed = added > length;
  return removed && first !== undefined && first !== "0-0" && compareIds(cursor, first) < 0 && cursor !== prunedThrough;
}

/** Orders stream ids "<ms>-<seq>". */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt);
  const [bm, bs] = b.split("-").map(BigInt);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}
