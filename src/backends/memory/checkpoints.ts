/**
 * Checkpoints held in process: per thread (scope, threadId), per namespace, the checkpoint records
 * by id, the channel values by (channel, version), and the pending writes by checkpoint id then
 * (taskId, idx). Listings sort what matches. The jsonl port extends this model and appends each
 * write to the thread's file.
 */
import type { ChannelValue, PendingWrite } from "../../domain/checkpoints.js";
import { compareCodePoints, compareKeys } from "../../domain/order.js";
import type {
  CheckpointKey, CheckpointRecord, CheckpointSlice, CheckpointsReadPort, CheckpointsWritePort, ThreadKey, ValuePair,
} from "../contract.js";

export interface NamespaceModel {
  checkpoints: Map<string, CheckpointRecord>;
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

export const threadName = (scope: string, threadId: string): string => JSON.stringify([scope, threadId]);
export const pairName = (channel: string, version: string): string => JSON.stringify([channel, version]);
const writeName = (w: PendingWrite): string => `${w.taskId}\0${w.idx}`;

export const CHECKPOINT_WRITES: ReadonlySet<string> = new Set<keyof CheckpointsWritePort>([
  "putCheckpoint", "putValues", "putWrites", "deleteCheckpoints", "deleteValues", "deleteThread",
]);

export class MemoryCheckpointsPort implements CheckpointsReadPort, CheckpointsWritePort {
  protected readonly threads = new Map<string, ThreadModel>();

  protected namespace(key: ThreadKey): NamespaceModel | undefined {
    return this.threads.get(threadName(key.scope, key.threadId))?.namespaces.get(key.ns);
  }

  protected namespaceFor(key: ThreadKey): NamespaceModel {
    const name = threadName(key.scope, key.threadId);
    let thread = this.threads.get(name);
    if (!thread) this.threads.set(name, (thread = { scope: key.scope, threadId: key.threadId, namespaces: new Map() }));
    let ns = thread.namespaces.get(key.ns);
    if (!ns) thread.namespaces.set(key.ns, (ns = { checkpoints: new Map(), values: new Map(), writes: new Map() }));
    return ns;
  }

  async checkpoint(key: ThreadKey, id: string) {
    const r = this.namespace(key)?.checkpoints.get(id);
    return r && structuredClone(r);
  }

  async listCheckpoints(slice: CheckpointSlice, after: CheckpointKey | undefined, limit: number) {
    const rows: CheckpointRecord[] = [];
    for (const t of this.threads.values()) {
      if (t.scope !== slice.scope || (slice.threadId !== undefined && t.threadId !== slice.threadId)) continue;
      for (const [ns, model] of t.namespaces) {
        if (slice.ns !== undefined && ns !== slice.ns) continue;
        for (const r of model.checkpoints.values()) {
          if (slice.before !== undefined && compareCodePoints(r.id, slice.before) >= 0) continue;
          if (after !== undefined && compareKeys([r.id, r.threadId, r.ns], after) >= 0) continue;
          rows.push(r);
        }
      }
    }
    rows.sort((a, b) => compareKeys([b.id, b.threadId, b.ns], [a.id, a.threadId, a.ns]));
    return structuredClone(rows.slice(0, limit));
  }

  async channelValues(key: ThreadKey, pairs: readonly ValuePair[]) {
    const values = this.namespace(key)?.values;
    if (!values) return [];
    return structuredClone(pairs.flatMap(([c, v]) => values.get(pairName(c, v)) ?? []));
  }

  async pendingWrites(key: ThreadKey, checkpointId: string) {
    return structuredClone([...(this.namespace(key)?.writes.get(checkpointId)?.values() ?? [])]);
  }

  async namespaceContents(key: ThreadKey) {
    const ns = this.namespace(key);
    return {
      checkpoints: [...(ns?.checkpoints.values() ?? [])].map((r) => ({ id: r.id, channelVersions: structuredClone(r.channelVersions) })),
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

  putCheckpoint(next: CheckpointRecord, _prev: CheckpointRecord | undefined): void {
    this.namespaceFor(next).checkpoints.set(next.id, structuredClone(next));
  }

  putValues(key: ThreadKey, values: readonly ChannelValue[]): void {
    const ns = this.namespaceFor(key);
    for (const v of values) ns.values.set(pairName(v.channel, v.version), structuredClone(v));
  }

  putWrites(key: ThreadKey, checkpointId: string, inserted: readonly PendingWrite[], replaced: readonly PendingWrite[]): void {
    const ns = this.namespaceFor(key);
    let writes = ns.writes.get(checkpointId);
    if (!writes) ns.writes.set(checkpointId, (writes = new Map()));
    for (const w of [...inserted, ...replaced]) writes.set(writeName(w), structuredClone(w));
  }

  deleteCheckpoints(key: ThreadKey, ids: readonly string[]): void {
    const ns = this.namespace(key);
    for (const id of ids) {
      ns?.checkpoints.delete(id);
      ns?.writes.delete(id);
    }
  }

  deleteValues(key: ThreadKey, pairs: readonly ValuePair[]): void {
    const ns = this.namespace(key);
    for (const [c, v] of pairs) ns?.values.delete(pairName(c, v));
  }

  deleteThread(scope: string, threadId: string): void {
    this.threads.delete(threadName(scope, threadId));
  }
}
