/**
 * Checkpoint record rules (SPEC §3.8, src/backends/contract/checkpoints.ts): the record a put
 * stores, the order of values and writes in a tuple, which repeated writes count, what retention
 * removes, and the metadata filter. Pure; the caller reads and stores.
 */
import type { ChannelValue, CheckpointTuple, PendingWrite, PendingWriteInput } from "../domain/checkpoints.js";
import { compareCodePoints, compareKeys } from "../domain/order.js";
import type { CheckpointKey, CheckpointPutInput, CheckpointRecord, ValuePair } from "../backends/contract.js";

/** A checkpoint's place in listings: (id, threadId, ns), newest first = descending. */
export const checkpointKey = (r: Pick<CheckpointRecord, "id" | "threadId" | "ns">): CheckpointKey => [r.id, r.threadId, r.ns];

/** The record a put stores: optional fields only when given, createdAt kept from a stored one. */
export function checkpointRecord(input: CheckpointPutInput, createdAt: string): CheckpointRecord {
  const r: CheckpointRecord = {
    scope: input.scope,
    threadId: input.threadId,
    ns: input.ns,
    id: input.id,
    checkpoint: input.checkpoint,
    metadata: input.metadata,
    channelVersions: input.channelVersions,
    createdAt,
  };
  if (input.parentId !== undefined) r.parentId = input.parentId;
  if (input.type !== undefined) r.type = input.type;
  return r;
}

const pairKey = ([channel, version]: ValuePair): string => JSON.stringify([channel, version]);

/** A value as returned: `value` only when stored. */
function value(v: ChannelValue): ChannelValue {
  return v.value === undefined ? { channel: v.channel, version: v.version, type: v.type } : { channel: v.channel, version: v.version, type: v.type, value: v.value };
}

/** A write as returned: `type` and `taskPath` only when stored. */
export function pendingWrite(w: PendingWrite): PendingWrite {
  const out: PendingWrite = { taskId: w.taskId, idx: w.idx, channel: w.channel, value: w.value };
  if (w.type !== undefined) out.type = w.type;
  if (w.taskPath !== undefined) out.taskPath = w.taskPath;
  return out;
}

/** The tuple of a stored record: values of the pairs it names in channel order, writes in writesSortKey order. */
export function tupleOf(r: CheckpointRecord, values: readonly ChannelValue[], writes: readonly PendingWrite[]): CheckpointTuple {
  const named = new Set(Object.entries(r.channelVersions).map(([c, v]) => pairKey([c, v])));
  return {
    scope: r.scope,
    threadId: r.threadId,
    ns: r.ns,
    id: r.id,
    ...(r.parentId !== undefined ? { parentId: r.parentId } : {}),
    ...(r.type !== undefined ? { type: r.type } : {}),
    checkpoint: r.checkpoint,
    metadata: r.metadata,
    channelVersions: r.channelVersions,
    channelValues: values
      .filter((v) => named.has(pairKey([v.channel, v.version])))
      .map(value)
      .sort((a, b) => compareKeys([a.channel, a.version], [b.channel, b.version])),
    pendingWrites: writes.map(pendingWrite).sort((a, b) => compareKeys([a.taskPath ?? "", a.taskId, a.idx], [b.taskPath ?? "", b.taskId, b.idx])),
    createdAt: r.createdAt,
  };
}

/** The pairs a checkpoint names. */
export const namedPairs = (channelVersions: Record<string, string>): ValuePair[] => Object.entries(channelVersions);

/** Of `values`, those to store: the first of each pair, unless the pair is stored already. */
export function newValues(values: readonly ChannelValue[], stored: readonly ChannelValue[]): ChannelValue[] {
  const seen = new Set(stored.map((v) => pairKey([v.channel, v.version])));
  const out: ChannelValue[] = [];
  for (const v of values) {
    const k = pairKey([v.channel, v.version]);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(value(v));
  }
  return out;
}

/**
 * What a put with keepLast removes from its thread namespace: every checkpoint but the keepLast
 * greatest ids (the put's own counts), and every value pair no kept checkpoint names.
 */
export function retention(
  keepLast: number,
  put: { id: string; channelVersions: Record<string, string> },
  stored: { checkpoints: readonly { id: string; channelVersions: Record<string, string> }[]; values: readonly ValuePair[] },
  added: readonly ChannelValue[],
): { removed: string[]; orphans: ValuePair[] } {
  const versions = new Map(stored.checkpoints.map((c) => [c.id, c.channelVersions]));
  versions.set(put.id, put.channelVersions);
  const ids = [...versions.keys()].sort((a, b) => compareCodePoints(b, a));
  const removed = ids.slice(keepLast);
  if (removed.length === 0) return { removed, orphans: [] };
  const named = new Set(ids.slice(0, keepLast).flatMap((id) => namedPairs(versions.get(id) ?? {}).map(pairKey)));
  const all = new Map<string, ValuePair>([...stored.values, ...added.map((v): ValuePair => [v.channel, v.version])].map((p) => [pairKey(p), p]));
  return { removed, orphans: [...all].filter(([k]) => !named.has(k)).map(([, p]) => p) };
}

/**
 * A task's writes against what is stored for its checkpoint: a (taskId, idx) not stored is
 * inserted; a stored one is kept for idx >= 0 and replaced for idx < 0 (LangGraph's special
 * writes). Writes of one call apply in order, so a later one sees the earlier. `stored` counts
 * inserts and replacements.
 */
export function mergeWrites(
  stored: readonly PendingWrite[],
  taskId: string,
  taskPath: string | undefined,
  writes: readonly PendingWriteInput[],
): { inserted: PendingWrite[]; replaced: PendingWrite[]; stored: number } {
  const key = (taskId: string, idx: number) => `${taskId}\0${idx}`;
  const present = new Set(stored.map((w) => key(w.taskId, w.idx)));
  const inserted = new Map<string, PendingWrite>();
  const replaced = new Map<string, PendingWrite>();
  let count = 0;
  for (const w of writes) {
    const k = key(taskId, w.idx);
    const record = pendingWrite({ taskId, idx: w.idx, channel: w.channel, type: w.type, value: w.value, taskPath });
    if (inserted.has(k) || present.has(k)) {
      if (w.idx >= 0) continue;
      (inserted.has(k) ? inserted : replaced).set(k, record);
    } else {
      inserted.set(k, record);
    }
    count++;
  }
  return { inserted: [...inserted.values()], replaced: [...replaced.values()], stored: count };
}

/** JSON equality: objects by key set (order ignored), arrays in order, numbers by value. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const bo = b as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(bo, k) && jsonEqual((a as Record<string, unknown>)[k], bo[k]));
}

/** Every key of `filter` present in `metadata` with an equal JSON value. */
export function matchesFilter(metadata: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([k, v]) => Object.hasOwn(metadata, k) && jsonEqual(metadata[k], v));
}
