/**
 * Checkpoint storage primitives (the domain rules are in src/core/checkpoints.ts; what the records
 * mean is in ../checkpoints.ts).
 *
 * Records, all under a thread (scope, threadId) and its namespace ns:
 * - checkpoint by (scope, threadId, ns, id): the record without its values and writes;
 * - channel value by (scope, threadId, ns, channel, version);
 * - pending write by (scope, threadId, ns, checkpointId, taskId, idx).
 *
 * A backend keeps these and answers the reads below; it decides nothing. Where the family needs a
 * record to serialize writers (SQL locks a row, Redis guards a key), the thread is that record:
 * inside a unit of work, the first read of a thread locks or guards it, and every write to the
 * thread rewrites it, so two units writing one thread never interleave.
 */
import type { ChannelValue, CheckpointTuple, PendingWrite } from "../../../domain/checkpoints.js";
import type { ThreadExport, ThreadKey } from "../checkpoints.js";

/** A checkpoint as stored: the tuple without the values and writes it is returned with. */
export type CheckpointRecord = Omit<CheckpointTuple, "channelValues" | "pendingWrites">;

/** Every record one thread holds, every namespace, in any order (`migrate copy` reads and restores it). */
export type ThreadContents = Omit<ThreadExport, "scope" | "threadId">;

/** The sort key of a checkpoint in listings, compared element by element by code point. */
export type CheckpointKey = readonly [id: string, threadId: string, ns: string];

/** A (channel, version) pair. */
export type ValuePair = readonly [channel: string, version: string];

/** Which checkpoints a listing covers (the metadata filter is applied above the port). */
export interface CheckpointSlice {
  scope: string;
  threadId?: string;
  ns?: string;
  /** Only ids below this one (code point order). */
  before?: string;
}

export interface CheckpointsReadPort {
  /** The checkpoint (scope, threadId, ns, id), or undefined. */
  checkpoint(key: ThreadKey, id: string): Promise<CheckpointRecord | undefined>;
  /**
   * Checkpoints in the slice, newest first: by (id, threadId, ns) descending, code point order;
   * only those sorting after `after` (that is, below it); at most `limit`.
   */
  listCheckpoints(slice: CheckpointSlice, after: CheckpointKey | undefined, limit: number): Promise<CheckpointRecord[]>;
  /** The stored values among `pairs` in the thread namespace, in any order; pairs never stored are absent. */
  channelValues(key: ThreadKey, pairs: readonly ValuePair[]): Promise<ChannelValue[]>;
  /** Every pending write keyed to (key, checkpointId), in any order, `taskPath` as stored. */
  pendingWrites(key: ThreadKey, checkpointId: string): Promise<PendingWrite[]>;
  /**
   * Everything retention looks at in one thread namespace: the id and channelVersions of every
   * checkpoint, and every stored value pair, in any order.
   */
  namespaceContents(key: ThreadKey): Promise<{ checkpoints: { id: string; channelVersions: Record<string, string> }[]; values: ValuePair[] }>;
  /** How many checkpoints the thread holds in all namespaces, and whether it holds any record at all. */
  threadSize(scope: string, threadId: string): Promise<{ checkpoints: number; empty: boolean }>;
  /**
   * Every thread that may hold records, every scope, in any order; a thread whose records were all
   * removed may still be named (its contents are then empty). For `migrate copy`, which reads the
   * whole store anyway: the list is not paged.
   */
  listThreads(): Promise<Array<{ scope: string; threadId: string }>>;
  /** Every checkpoint, channel value and pending write of the thread, every namespace, in any order. */
  threadContents(scope: string, threadId: string): Promise<ThreadContents>;
}

export interface CheckpointsWritePort {
  /** Stores `next` whole; `prev` is the stored record it replaces (undefined: a new key). */
  putCheckpoint(next: CheckpointRecord, prev: CheckpointRecord | undefined): void;
  /** Stores values whose pairs are not stored yet in the thread namespace. */
  putValues(key: ThreadKey, values: readonly ChannelValue[]): void;
  /**
   * Stores writes for (key, checkpointId): `inserted` have a (taskId, idx) not stored yet;
   * `replaced` take the place of the stored write with the same (taskId, idx).
   */
  putWrites(key: ThreadKey, checkpointId: string, inserted: readonly PendingWrite[], replaced: readonly PendingWrite[]): void;
  /** Removes these checkpoints of the thread namespace and every pending write keyed to them. */
  deleteCheckpoints(key: ThreadKey, ids: readonly string[]): void;
  /** Removes these value pairs of the thread namespace. */
  deleteValues(key: ThreadKey, pairs: readonly ValuePair[]): void;
  /** Removes every checkpoint, value and write of the thread, every namespace. */
  deleteThread(scope: string, threadId: string): void;
}

