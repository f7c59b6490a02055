/**
 * Graph checkpoints (SPEC §3.8), written once over the storage primitives
 * (src/backends/contract/ports/checkpoints.ts); the rules are in ./checkpoint-rules.ts and the
 * contract in src/backends/contract/checkpoints.ts.
 */
import type { CheckpointPutResult, CheckpointTuple } from "../domain/checkpoints.js";
import type {
  CheckpointKey, CheckpointPutInput, CheckpointQuery, CheckpointRecord, CheckpointStore, CheckpointsReadPort, Page, PutWritesInput, Storage, ThreadExport,
  ThreadKey,
} from "../backends/contract.js";
import { compareKeys } from "../domain/order.js";
import { decodeCursor, pageOf } from "./paging.js";
import { checkpointKey, checkpointRecord, matchesFilter, mergeWrites, namedPairs, newValues, retention, tupleOf } from "./checkpoint-rules.js";

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Checkpoints a filtered list reads per round while it looks for matches. */
const FILTER_BATCH = 200;

const keyOf = (k: ThreadKey): ThreadKey => ({ scope: k.scope, threadId: k.threadId, ns: k.ns });

async function tuple(r: CheckpointsReadPort, rec: CheckpointRecord): Promise<CheckpointTuple> {
  const key = keyOf(rec);
  const [values, writes] = await Promise.all([r.channelValues(key, namedPairs(rec.channelVersions)), r.pendingWrites(key, rec.id)]);
  return tupleOf(rec, values, writes);
}

export class CoreCheckpoints implements CheckpointStore {
  constructor(private readonly storage: Storage) {}

  async putCheckpoint(input: CheckpointPutInput): Promise<CheckpointPutResult> {
    return this.storage.write(async (u) => {
      const c = u.checkpoints;
      const key = keyOf(input);
      const prev = await c.checkpoint(key, input.id);
      const added = newValues(input.newValues, await c.channelValues(key, input.newValues.map((v) => [v.channel, v.version])));
      const { removed, orphans } =
        input.keepLast === undefined ? { removed: [], orphans: [] } : retention(input.keepLast, input, await c.namespaceContents(key), added);
      const record = checkpointRecord(input, prev?.createdAt ?? u.now);
      c.putCheckpoint(record, prev);
      const orphan = new Set(orphans.map((p) => JSON.stringify(p)));
      const kept = added.filter((v) => !orphan.has(JSON.stringify([v.channel, v.version])));
      if (kept.length > 0) c.putValues(key, kept);
      u.change({
        domain: "checkpoints", type: "checkpoint.saved", id: input.threadId,
        data: { scope: input.scope, ns: input.ns, checkpointId: input.id, ...(input.parentId !== undefined ? { parentId: input.parentId } : {}) },
      });
      if (removed.length > 0) {
        const stale = orphans.filter((p) => !added.some((v) => v.channel === p[0] && v.version === p[1]));
        c.deleteCheckpoints(key, removed);
        if (stale.length > 0) c.deleteValues(key, stale);
        u.change({ domain: "checkpoints", type: "checkpoint.deleted", id: input.threadId, data: { scope: input.scope, ns: input.ns, removed: removed.length, through: removed[0] } });
      }
      return { id: input.id, createdAt: record.createdAt, pruned: removed.length };
    });
  }

  async putWrites(input: PutWritesInput): Promise<{ stored: number }> {
    return this.storage.write(async (u) => {
      const c = u.checkpoints;
      const key = keyOf(input);
      const merged = mergeWrites(await c.pendingWrites(key, input.checkpointId), input.taskId, input.taskPath, input.writes);
      if (merged.stored === 0) return { stored: 0 };
      c.putWrites(key, input.checkpointId, merged.inserted, merged.replaced);
      u.change({
        domain: "checkpoints", type: "checkpoint.saved", id: input.threadId,
        data: { scope: input.scope, ns: input.ns, checkpointId: input.checkpointId, taskId: input.taskId, writes: merged.stored },
      });
      return { stored: merged.stored };
    });
  }

  async getCheckpoint(k: ThreadKey & { id?: string }): Promise<CheckpointTuple | null> {
    return this.storage.read(async (r) => {
      const key = keyOf(k);
      const rec = k.id !== undefined ? await r.checkpoints.checkpoint(key, k.id) : (await r.checkpoints.listCheckpoints(key, undefined, 1))[0];
      return rec ? tuple(r.checkpoints, rec) : null;
    });
  }

  async listCheckpoints(q: CheckpointQuery): Promise<Page<CheckpointTuple>> {
    let after: CheckpointKey | undefined = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 3, ["string", "string", "string"]) as [string, string, string]);
    const slice = { scope: q.scope, threadId: q.threadId, ns: q.ns, before: q.before };
    const filter = q.filter !== undefined && Object.keys(q.filter).length > 0 ? q.filter : undefined;
    return this.storage.read(async (r) => {
      const c = r.checkpoints;
      let rows: CheckpointRecord[];
      if (filter === undefined) {
        rows = await c.listCheckpoints(slice, after, q.limit + 1);
      } else {
        // A filter is applied before paging: read on until limit + 1 matches or the end.
        rows = [];
        const batch = Math.max(q.limit + 1, FILTER_BATCH);
        for (;;) {
          const got = await c.listCheckpoints(slice, after, batch);
          rows.push(...got.filter((rec) => matchesFilter(rec.metadata, filter)));
          if (rows.length > q.limit || got.length < batch) break;
          after = checkpointKey(got[got.length - 1]);
        }
      }
      const page = pageOf(rows, q.limit, checkpointKey);
      return { items: await Promise.all(page.items.map((rec) => tuple(c, rec))), nextCursor: page.nextCursor };
    });
  }

  async threads(): Promise<Array<{ scope: string; threadId: string }>> {
    const all = await this.storage.read((r) => r.checkpoints.listThreads());
    const seen = new Map(all.map((t) => [JSON.stringify([t.scope, t.threadId]), { scope: t.scope, threadId: t.threadId }]));
    return [...seen.values()].sort((a, b) => compareKeys([a.scope, a.threadId], [b.scope, b.threadId]));
  }

  async exportThread(scope: string, threadId: string): Promise<ThreadExport | null> {
    const c = await this.storage.read((r) => r.checkpoints.threadContents(scope, threadId));
    if (c.checkpoints.length + c.values.length + c.writes.length === 0) return null;
    return {
      scope,
      threadId,
      checkpoints: c.checkpoints.sort((a, b) => compareKeys([a.ns, a.id], [b.ns, b.id])),
      values: c.values.sort((a, b) => compareKeys([a.ns, a.channel, a.version], [b.ns, b.channel, b.version])),
      writes: c.writes.sort((a, b) => compareKeys([a.ns, a.checkpointId, a.taskId, a.idx], [b.ns, b.checkpointId, b.taskId, b.idx])),
    };
  }

  /** The restore path for checkpoints (RestoreStore.checkpointThread): the thread as exported, replacing what it held. */
  async restoreThread(t: ThreadExport): Promise<void> {
    await this.storage.write(async (u) => {
      const c = u.checkpoints;
      if (!(await c.threadSize(t.scope, t.threadId)).empty) c.deleteThread(t.scope, t.threadId);
      const at = (ns: string): ThreadKey => ({ scope: t.scope, threadId: t.threadId, ns });
      for (const rec of t.checkpoints) c.putCheckpoint({ ...rec, scope: t.scope, threadId: t.threadId }, undefined);
      for (const [ns, values] of groupBy(t.values, (v) => v.ns)) c.putValues(at(ns), values.map(({ ns: _ns, ...v }) => v));
      for (const [ns, inNs] of groupBy(t.writes, (w) => w.ns)) {
        for (const [checkpointId, writes] of groupBy(inNs, (w) => w.checkpointId)) {
          c.putWrites(at(ns), checkpointId, writes.map(({ ns: _ns, checkpointId: _id, ...w }) => w), []);
        }
      }
      u.change({ domain: "checkpoints", type: "checkpoint.saved", id: t.threadId, data: { scope: t.scope, restored: true, checkpoints: t.checkpoints.length } });
    });
  }

  async deleteThread(scope: string, threadId: string): Promise<{ deleted: number }> {
    return this.storage.write(async (u) => {
      const size = await u.checkpoints.threadSize(scope, threadId);
      if (size.empty) return { deleted: 0 };
      u.checkpoints.deleteThread(scope, threadId);
      u.change({ domain: "checkpoints", type: "checkpoint.deleted", id: threadId, data: { scope, removed: size.checkpoints } });
      return { deleted: size.checkpoints };
    });
  }
}
