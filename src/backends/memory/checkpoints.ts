/**
 * Checkpoints held in process: threads by scope then threadId; per thread namespace, the checkpoint
 * records by id with their ids in ascending code point order, the channel values by (channel,
 * version), and the pending writes by checkpoint id then (taskId, idx). A listing takes at most
 * `limit` from the end of each namespace's order it covers and merges those: the latest checkpoint
 * of a thread costs O(log n). The jsonl port extends this model and appends each write to the
 * thread's file.
 */
import type { ChannelValue, PendingWrite } from "../../domain/checkpoints.js";
import { compareCodePoints, compareKeys } from "../../domain/order.js";
import type {
  CheckpointKey, CheckpointRecord, CheckpointSlice, CheckpointsReadPort, CheckpointsWritePort, ThreadContents, ThreadKey, ValuePair,
} from "../contract.js";
import { clone } from "../../domain/clone.js";

export interface NamespaceModel {
  checkpoints: Map<string, CheckpointRecord>;
  /** The ids of `checkpoints`, ascending by code point. */
  order: string[];
  /** JSON [channel, version] → value. */
  values: Map<string, ChannelValue>;
  /** checkpointId → `${taskId}\0${idx}` → write. */
  writes: Map<string, Map<string, PendingWrite>>;
}

export interface ThreadModel {
  scope: string;
  threadId: string;
  namespaces: Map<string, NamespaceModel>;
}

/** Index of the first id in `order` that is >= `id` (code point order). */
function lowerBound(order: readonly string[], id: string): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCodePoints(order[mid], id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const threadName = (scope: string, threadId: string): string => JSON.stringify([scope, threadId]);
export const pairName = (channel: string, version: string): string => JSON.stringify([channel, version]);
const writeName = (w: PendingWrite): string => `${w.taskId}\0${w.idx}`;

export const CHECKPOINT_WRITES: ReadonlySet<string> = new Set<keyof CheckpointsWritePort>([
  "putCheckpoint", "putValues", "putWrites", "deleteCheckpoints", "deleteValues", "deleteThread",
]);

export class MemoryCheckpointsPort implements CheckpointsReadPort, CheckpointsWritePort {
  /** By threadName. */
  protected readonly threads = new Map<string, ThreadModel>();
  /** scope → threadId → thread (the same objects as `threads`). */
  private readonly scopes = new Map<string, Map<string, ThreadModel>>();

  protected namespace(key: ThreadKey): NamespaceModel | undefined {
    return this.threads.get(threadName(key.scope, key.threadId))?.namespaces.get(key.ns);
  }

  protected namespaceFor(key: ThreadKey): NamespaceModel {
    const name = threadName(key.scope, key.threadId);
    let thread = this.threads.get(name);
    if (!thread) {
      this.threads.set(name, (thread = { scope: key.scope, threadId: key.threadId, namespaces: new Map() }));
      let scope = this.scopes.get(key.scope);
      if (!scope) this.scopes.set(key.scope, (scope = new Map()));
      scope.set(key.threadId, thread);
    }
    let ns = thread.namespaces.get(key.ns);
    if (!ns) thread.namespaces.set(key.ns, (ns = { checkpoints: new Map(), order: [], values: new Map(), writes: new Map() }));
    return ns;
  }

  /** Clears the model (the jsonl port's load). */
  protected clear(): void {
    this.threads.clear();
    this.scopes.clear();
  }

  async checkpoint(key: ThreadKey, id: string) {
    const r = this.namespace(key)?.checkpoints.get(id);
    return r && clone(r);
  }

  async listCheckpoints(slice: CheckpointSlice, after: CheckpointKey | undefined, limit: number) {
    const scope = this.scopes.get(slice.scope);
    const threads = slice.threadId !== undefined ? [scope?.get(slice.threadId)] : [...(scope?.values() ?? [])];
    const rows: CheckpointRecord[] = [];
    for (const t of threads) {
      if (!t) continue;
      for (const [ns, model] of t.namespaces) {
        if (slice.ns !== undefined && ns !== slice.ns) continue;
        // Ids below `before` and not above after[0]; an id equal to after[0] is kept only if its
        // (threadId, ns) sorts below the cursor's.
        let end = slice.before !== undefined ? lowerBound(model.order, slice.before) : model.order.length;
        if (after !== undefined) {
          const at = lowerBound(model.order, after[0]);
          const tieBelow = model.order[at] === after[0] && compareKeys([t.threadId, ns], [after[1], after[2]]) < 0;
          end = Math.min(end, tieBelow ? at + 1 : at);
        }
        for (let i = end - 1; i >= 0 && i >= end - limit; i--) rows.push(model.checkpoints.get(model.order[i]) as CheckpointRecord);
      }
    }
    rows.sort((a, b) => compareKeys([b.id, b.threadId, b.ns], [a.id, a.threadId, a.ns]));
    return clone(rows.slice(0, limit));
  }

  async channelValues(key: ThreadKey, pairs: readonly ValuePair[]) {
    const values = this.namespace(key)?.values;
    if (!values) return [];
    return clone(pairs.flatMap(([c, v]) => values.get(pairName(c, v)) ?? []));
  }

  async pendingWrites(key: ThreadKey, checkpointId: string) {
    return clone([...(this.namespace(key)?.writes.get(checkpointId)?.values() ?? [])]);
  }

  async namespaceContents(key: ThreadKey) {
    const ns = this.namespace(key);
    return {
      checkpoints: [...(ns?.checkpoints.values() ?? [])].map((r) => ({ id: r.id, channelVersions: clone(r.channelVersions) })),
      values: [...(ns?.values.values() ?? [])].map((v): ValuePair => [v.channel, v.version]),
    };
  }

  async threadSize(scope: string, threadId: string) {
    const t = this.threads.get(threadName(scope, threadId));
    let checkpoints = 0;
    let records = 0;
    for (const ns of t?.namespaces.values() ?? []) {
      checkpoints += ns.checkpoints.size;
      records += ns.checkpoints.size + ns.values.size + ns.writes.size;
    }
    return { checkpoints, empty: records === 0 };
  }

  async listThreads() {
    return [...this.threads.values()].map((t) => ({ scope: t.scope, threadId: t.threadId }));
  }

  async threadContents(scope: string, threadId: string): Promise<ThreadContents> {
    const out: ThreadContents = { checkpoints: [], values: [], writes: [] };
    for (const [ns, model] of this.threads.get(threadName(scope, threadId))?.namespaces ?? []) {
      for (const r of model.checkpoints.values()) out.checkpoints.push(r);
      for (const v of model.values.values()) out.values.push({ ...v, ns });
      for (const [checkpointId, writes] of model.writes) for (const w of writes.values()) out.writes.push({ ...w, ns, checkpointId });
    }
    return clone(out);
  }

  putCheckpoint(next: CheckpointRecord, _prev: CheckpointRecord | undefined): void {
    const ns = this.namespaceFor(next);
    if (!ns.checkpoints.has(next.id)) ns.order.splice(lowerBound(ns.order, next.id), 0, next.id);
    ns.checkpoints.set(next.id, clone(next));
  }

  putValues(key: ThreadKey, values: readonly ChannelValue[]): void {
    const ns = this.namespaceFor(key);
    for (const v of values) ns.values.set(pairName(v.channel, v.version), clone(v));
  }

  putWrites(key: ThreadKey, checkpointId: string, inserted: readonly PendingWrite[], replaced: readonly PendingWrite[]): void {
    const ns = this.namespaceFor(key);
    let writes = ns.writes.get(checkpointId);
    if (!writes) ns.writes.set(checkpointId, (writes = new Map()));
    for (const w of [...inserted, ...replaced]) writes.set(writeName(w), clone(w));
  }

  deleteCheckpoints(key: ThreadKey, ids: readonly string[]): void {
    const ns = this.namespace(key);
    if (!ns) return;
    for (const id of ids) {
      if (ns.checkpoints.delete(id)) ns.order.splice(lowerBound(ns.order, id), 1);
      ns.writes.delete(id);
    }
  }

  deleteValues(key: ThreadKey, pairs: readonly ValuePair[]): void {
    const ns = this.namespace(key);
    for (const [c, v] of pairs) ns?.values.delete(pairName(c, v));
  }

  deleteThread(scope: string, threadId: string): void {
    this.threads.delete(threadName(scope, threadId));
    const threads = this.scopes.get(scope);
    threads?.delete(threadId);
    if (threads?.size === 0) this.scopes.delete(scope);
  }
}
