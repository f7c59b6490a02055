/**
 * Checkpoints on Redis (layout in keys.ts: `kt:`, `kn:`, `kc:`, `ks:`, `kx:`, `kv:`, `kw:`, `kwi:`).
 * The thread key `kt:<scope>\0<threadId>` is the guard of every record of the thread: inside a
 * unit of work the first read of a thread guards it, and every write to the thread sets it to the
 * next revision (never deletes it, so a guard cannot see the same value again after a delete), so
 * the checkpoints, values and writes below it are covered by its guard. Ids and namespaces hold no
 * NUL, which separates key parts and index members; channel names may, so value fields are JSON.
 */
import type { ChannelValue, PendingWrite } from "../../domain/checkpoints.js";
import { compareCodePoints } from "../../domain/order.js";
import type {
  CheckpointKey, CheckpointRecord, CheckpointSlice, CheckpointsReadPort, CheckpointsWritePort, ThreadContents, ThreadKey, ValuePair,
} from "../contract.js";
import type { Command, RedisClient } from "./client.js";
import type { Keys } from "./keys.js";
import type { RedisUnit } from "./unit.js";

/** Fields, members or keys per command (Lua's unpack has a limit). */
const CHUNK = 500;

const pairField = (channel: string, version: string): string => JSON.stringify([channel, version]);
const writeField = (w: PendingWrite): string => `${w.taskId}\0${w.idx}`;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** What deleteThread removes, learned by threadSize in the same unit. */
interface ThreadMembers {
  namespaces: string[];
  /** Members of the thread index: `<id>\0<ns>`. */
  members: string[];
  /** ns → checkpoint ids with writes. */
  writeIds: Map<string, string[]>;
}

export class RedisCheckpointsPort implements CheckpointsReadPort, CheckpointsWritePort {
  /** Threads this unit read: the guarded revision (null: none yet). */
  private readonly revs = new Map<string, string | null>();
  private readonly touched = new Set<string>();
  private readonly contents = new Map<string, ThreadMembers>();

  /** `unit` is undefined for plain reads, which guard nothing and write nothing. */
  constructor(
    private readonly client: RedisClient,
    private readonly k: Keys,
    private readonly unit?: RedisUnit,
  ) {}

  private t = (scope: string, threadId: string) => `${scope}\0${threadId}`;
  private threadKey = (scope: string, threadId: string) => this.k.key("kt", this.t(scope, threadId));
  private nsSet = (scope: string, threadId: string) => this.k.key("kn", this.t(scope, threadId));
  private cpKey = (k: ThreadKey, id: string) => this.k.key("kc", `${this.t(k.scope, k.threadId)}\0${k.ns}\0${id}`);
  private scopeIndex = (scope: string) => this.k.key("ks", scope);
  private threadIndex = (scope: string, threadId: string) => this.k.key("kx", this.t(scope, threadId));
  private valuesKey = (k: ThreadKey) => this.k.key("kv", `${this.t(k.scope, k.threadId)}\0${k.ns}`);
  private writesKey = (k: ThreadKey, checkpointId: string) => this.k.key("kw", `${this.t(k.scope, k.threadId)}\0${k.ns}\0${checkpointId}`);
  private writeIds = (k: ThreadKey) => this.k.key("kwi", `${this.t(k.scope, k.threadId)}\0${k.ns}`);

  private get writes(): RedisUnit {
    if (!this.unit) throw new Error("a write through a read-only redis port");
    return this.unit;
  }

  /** Inside a unit: guards the thread the first time the unit reads it. */
  private async guard(scope: string, threadId: string): Promise<void> {
    const key = this.threadKey(scope, threadId);
    if (!this.unit || this.revs.has(key)) return;
    this.revs.set(key, await this.unit.guarded(key));
  }

  /** Commands of a write to the thread: the next revision first (once per unit). */
  private touch(scope: string, threadId: string, ...commands: Command[]): void {
    const key = this.threadKey(scope, threadId);
    if (!this.revs.has(key)) throw new Error("a checkpoint write to a thread the unit did not read first");
    if (!this.touched.has(key)) {
      this.touched.add(key);
      this.writes.command(["SET", key, String(Number(this.revs.get(key) ?? 0) + 1)]);
    }
    this.writes.command(...commands);
  }

  async checkpoint(key: ThreadKey, id: string) {
    await this.guard(key.scope, key.threadId);
    const raw = await this.client.call((r) => r.get(this.cpKey(key, id)));
    return raw === null ? undefined : (JSON.parse(raw) as CheckpointRecord);
  }

  async listCheckpoints(slice: CheckpointSlice, after: CheckpointKey | undefined, limit: number) {
    const byThread = slice.threadId !== undefined;
    const index = byThread ? this.threadIndex(slice.scope, slice.threadId ?? "") : this.scopeIndex(slice.scope);
    const bounds = [
      ...(slice.before !== undefined ? [slice.before] : []),
      ...(after !== undefined ? [byThread ? `${after[0]}\0${after[2]}` : `${after[0]}\0${after[1]}\0${after[2]}`] : []),
    ].sort(compareCodePoints);
    let max = bounds.length > 0 ? "(" + bounds[0] : "+";
    const items: CheckpointRecord[] = [];
    // Records are read at most the number still wanted at a time (the latest of a thread: one); with
    // an ns filter, index members come in batches of at least 100, most may be other namespaces'.
    const batch = slice.ns === undefined ? limit : Math.max(limit, 100);
    while (items.length < limit) {
      const members = await this.client.call((r) => r.zrevrangebylex(index, max, "-", "LIMIT", 0, batch));
      if (members.length === 0) break;
      const need = limit - items.length;
      const keys: string[] = [];
      let consumed = members.length;
      for (let i = 0; i < members.length && keys.length < need; i++) {
        const [id, a, b] = members[i].split("\0");
        const k = byThread ? { scope: slice.scope, threadId: slice.threadId ?? "", ns: a } : { scope: slice.scope, threadId: a, ns: b };
        if (slice.ns === undefined || k.ns === slice.ns) keys.push(this.cpKey(k, id));
        if (keys.length === need) consumed = i + 1;
      }
      const raws = keys.length > 0 ? await this.client.call((r) => r.mget(...keys)) : [];
      for (const raw of raws) if (raw !== null) items.push(JSON.parse(raw) as CheckpointRecord); // null: deleted between the reads
      if (consumed === members.length && members.length < batch) break;
      max = "(" + members[consumed - 1];
    }
    return items;
  }

  async channelValues(key: ThreadKey, pairs: readonly ValuePair[]) {
    await this.guard(key.scope, key.threadId);
    const out: ChannelValue[] = [];
    for (const chunk of chunks(pairs)) {
      const raws = await this.client.call((r) => r.hmget(this.valuesKey(key), ...chunk.map(([c, v]) => pairField(c, v))));
      raws.forEach((raw, i) => {
        if (raw !== null) out.push({ channel: chunk[i][0], version: chunk[i][1], ...(JSON.parse(raw) as { type: string; value?: string }) });
      });
    }
    return out;
  }

  async pendingWrites(key: ThreadKey, checkpointId: string) {
    await this.guard(key.scope, key.threadId);
    const all = await this.client.call((r) => r.hvals(this.writesKey(key, checkpointId)));
    return all.map((raw) => JSON.parse(raw) as PendingWrite);
  }

  async namespaceContents(key: ThreadKey) {
    await this.guard(key.scope, key.threadId);
    const members = await this.client.call((r) => r.zrange(this.threadIndex(key.scope, key.threadId), 0, -1));
    const ids = members.map((m) => m.split("\0")).filter(([, ns]) => ns === key.ns).map(([id]) => id);
    const raws = ids.length > 0 ? await this.client.call((r) => r.mget(...ids.map((id) => this.cpKey(key, id)))) : [];
    const fields = await this.client.call((r) => r.hkeys(this.valuesKey(key)));
    return {
      checkpoints: raws.flatMap((raw) => (raw === null ? [] : [JSON.parse(raw) as CheckpointRecord])).map((r) => ({ id: r.id, channelVersions: r.channelVersions })),
      values: fields.map((f) => JSON.parse(f) as ValuePair),
    };
  }

  async threadSize(scope: string, threadId: string) {
    await this.guard(scope, threadId);
    const namespaces = await this.client.call((r) => r.smembers(this.nsSet(scope, threadId)));
    const members = await this.client.call((r) => r.zrange(this.threadIndex(scope, threadId), 0, -1));
    const writeIds = new Map<string, string[]>();
    let values = 0;
    for (const ns of namespaces) {
      const key = { scope, threadId, ns };
      writeIds.set(ns, await this.client.call((r) => r.smembers(this.writeIds(key))));
      values += await this.client.call((r) => r.hlen(this.valuesKey(key)));
    }
    this.contents.set(this.t(scope, threadId), { namespaces, members, writeIds });
    const writes = [...writeIds.values()].reduce((n, ids) => n + ids.length, 0);
    return { checkpoints: members.length, empty: members.length + values + writes === 0 };
  }

  async listThreads() {
    // Every thread with records has its namespace set (kn:); deleteThread removes it. A full SCAN:
    // `migrate copy` reads the whole store anyway.
    const head = this.k.key("kn", "");
    const match = head.replace(/[*?[\]\\]/g, "\\$&") + "*";
    const out: Array<{ scope: string; threadId: string }> = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.client.call((r) => r.scan(cursor, "MATCH", match, "COUNT", 1000));
      for (const key of keys) {
        const t = key.slice(head.length);
        const cut = t.indexOf("\0");
        out.push({ scope: t.slice(0, cut), threadId: t.slice(cut + 1) });
      }
      cursor = next;
    } while (cursor !== "0");
    return out;
  }

  async threadContents(scope: string, threadId: string): Promise<ThreadContents> {
    await this.guard(scope, threadId);
    const out: ThreadContents = { checkpoints: [], values: [], writes: [] };
    const members = await this.client.call((r) => r.zrange(this.threadIndex(scope, threadId), 0, -1));
    for (const chunk of chunks(members)) {
      const keys = chunk.map((m) => m.split("\0")).map(([id, ns]) => this.cpKey({ scope, threadId, ns }, id));
      const raws = await this.client.call((r) => r.mget(...keys));
      for (const raw of raws) if (raw !== null) out.checkpoints.push(JSON.parse(raw) as CheckpointRecord);
    }
    for (const ns of await this.client.call((r) => r.smembers(this.nsSet(scope, threadId)))) {
      const key = { scope, threadId, ns };
      const values = await this.client.call((r) => r.hgetall(this.valuesKey(key)));
      for (const [field, raw] of Object.entries(values)) {
        const [channel, version] = JSON.parse(field) as ValuePair;
        out.values.push({ channel, version, ...(JSON.parse(raw) as { type: string; value?: string }), ns });
      }
      for (const checkpointId of await this.client.call((r) => r.smembers(this.writeIds(key)))) {
        const writes = await this.client.call((r) => r.hvals(this.writesKey(key, checkpointId)));
        for (const raw of writes) out.writes.push({ ...(JSON.parse(raw) as PendingWrite), ns, checkpointId });
      }
    }
    return out;
  }

  putCheckpoint(next: CheckpointRecord, _prev: CheckpointRecord | undefined): void {
    const { scope, threadId, ns, id } = next;
    this.touch(
      scope, threadId,
      ["SET", this.cpKey(next, id), JSON.stringify(next)],
      ["ZADD", this.scopeIndex(scope), 0, `${id}\0${threadId}\0${ns}`],
      ["ZADD", this.threadIndex(scope, threadId), 0, `${id}\0${ns}`],
      ["SADD", this.nsSet(scope, threadId), ns],
    );
  }

  putValues(key: ThreadKey, values: readonly ChannelValue[]): void {
    const commands = chunks(values).map((chunk): Command => [
      "HSET", this.valuesKey(key), ...chunk.flatMap(({ channel, version, ...rest }) => [pairField(channel, version), JSON.stringify(rest)]),
    ]);
    this.touch(key.scope, key.threadId, ["SADD", this.nsSet(key.scope, key.threadId), key.ns], ...commands);
  }

  putWrites(key: ThreadKey, checkpointId: string, inserted: readonly PendingWrite[], replaced: readonly PendingWrite[]): void {
    const commands = chunks([...inserted, ...replaced]).map((chunk): Command => [
      "HSET", this.writesKey(key, checkpointId), ...chunk.flatMap((w) => [writeField(w), JSON.stringify(w)]),
    ]);
    this.touch(key.scope, key.threadId, ["SADD", this.nsSet(key.scope, key.threadId), key.ns], ["SADD", this.writeIds(key), checkpointId], ...commands);
  }

  deleteCheckpoints(key: ThreadKey, ids: readonly string[]): void {
    const commands: Command[] = [];
    for (const chunk of chunks(ids)) {
      commands.push(
        ["DEL", ...chunk.map((id) => this.cpKey(key, id)), ...chunk.map((id) => this.writesKey(key, id))],
        ["ZREM", this.scopeIndex(key.scope), ...chunk.map((id) => `${id}\0${key.threadId}\0${key.ns}`)],
        ["ZREM", this.threadIndex(key.scope, key.threadId), ...chunk.map((id) => `${id}\0${key.ns}`)],
        ["SREM", this.writeIds(key), ...chunk],
      );
    }
    this.touch(key.scope, key.threadId, ...commands);
  }

  deleteValues(key: ThreadKey, pairs: readonly ValuePair[]): void {
    this.touch(key.scope, key.threadId, ...chunks(pairs).map((chunk): Command => ["HDEL", this.valuesKey(key), ...chunk.map(([c, v]) => pairField(c, v))]));
  }

  deleteThread(scope: string, threadId: string): void {
    const c = this.contents.get(this.t(scope, threadId));
    if (!c) throw new Error("redis: deleteThread without threadSize first");
    const commands: Command[] = [];
    for (const chunk of chunks(c.members)) {
      const parts = chunk.map((m) => m.split("\0"));
      commands.push(
        ["DEL", ...parts.map(([id, ns]) => this.cpKey({ scope, threadId, ns }, id))],
        ["ZREM", this.scopeIndex(scope), ...parts.map(([id, ns]) => `${id}\0${threadId}\0${ns}`)],
      );
    }
    for (const ns of c.namespaces) {
      const key = { scope, threadId, ns };
      for (const chunk of chunks(c.writeIds.get(ns) ?? [])) commands.push(["DEL", ...chunk.map((id) => this.writesKey(key, id))]);
      commands.push(["DEL", this.valuesKey(key), this.writeIds(key)]);
    }
    commands.push(["DEL", this.threadIndex(scope, threadId), this.nsSet(scope, threadId)]);
    this.touch(scope, threadId, ...commands);
  }
}
