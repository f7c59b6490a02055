/** Graph checkpoints (SPEC §3.8): LangGraph's checkpoint, channel-value and pending-write tables. */
import type {
  ChannelValue, CheckpointPutResult, CheckpointTuple, PendingWrite, PendingWriteInput,
} from "../../domain/checkpoints.js";
import type { Page, PageQuery } from "./common.js";

/** Where a checkpoint lives. Defaults ("" scope, "" ns) are applied above the store. */
export interface ThreadKey {
  scope: string;
  threadId: string;
  ns: string;
}

export interface CheckpointPutInput extends ThreadKey {
  id: string;
  parentId?: string;
  type?: string;
  /** Canonical base64, stored and returned exactly as given. */
  checkpoint: string;
  metadata: Record<string, unknown>;
  /** channel → version text. Empty object when the caller gave none. */
  channelVersions: Record<string, string>;
  /** Values of the channels this checkpoint changed. Empty array when none. */
  newValues: ChannelValue[];
  keepLast?: number;
}

export interface PutWritesInput extends ThreadKey {
  checkpointId: string;
  taskId: string;
  taskPath?: string;
  writes: PendingWriteInput[];
}

/** A channel value with the namespace it belongs to. */
export type ThreadValue = ChannelValue & { ns: string };

/** A pending write with the namespace and checkpoint id it is keyed to. */
export type ThreadWrite = PendingWrite & { ns: string; checkpointId: string };

/**
 * Everything one thread holds, every namespace, as `migrate copy` reads and restores it: the
 * checkpoints as stored (createdAt included), every channel value and every pending write (those of
 * a checkpoint never stored too). Sorted: checkpoints by (ns, id), values by (ns, channel, version),
 * writes by (ns, checkpointId, taskId, idx); strings by code point.
 */
export interface ThreadExport {
  scope: string;
  threadId: string;
  checkpoints: Array<Omit<CheckpointTuple, "channelValues" | "pendingWrites">>;
  values: ThreadValue[];
  writes: ThreadWrite[];
}

export interface CheckpointQuery extends PageQuery {
  scope: string;
  /** Absent: every thread of the scope. */
  threadId?: string;
  /** Absent: every namespace. "" is the root namespace only. */
  ns?: string;
  /** Only checkpoints whose id is below this one (code point order), whatever their thread. */
  before?: string;
  /** Every key must be present in metadata with an equal JSON value (see listCheckpoints). */
  filter?: Record<string, unknown>;
}

/**
 * Checkpoint storage: three kinds of record, all keyed under (scope, threadId, ns).
 *
 * - checkpoint: key (scope, threadId, ns, id) → parentId?, type?, checkpoint bytes, metadata JSON,
 *   channelVersions, createdAt (the store's clock at the first put of that key).
 * - channel value: key (scope, threadId, ns, channel, version) → type, value bytes?. Written by the
 *   puts whose `newValues` name it and read by every checkpoint whose `channelVersions` name the same
 *   pair, so a value that did not change is stored once, not once per step (LangGraph's Postgres
 *   saver does the same; its validation suite checks that only changed values are stored).
 * - pending write: key (scope, threadId, ns, checkpointId, taskId, idx) → channel, type?, value bytes,
 *   taskPath?. Not tied to a stored checkpoint: LangGraph writes a task's results while the put of
 *   the checkpoint they belong to may still be in flight, so a write for an absent checkpoint is
 *   stored all the same and shows up once the checkpoint does.
 *
 * Order key, everywhere ("newest first", "latest", `before`, retention): the checkpoint id, compared
 * by Unicode code point (= UTF-8 byte order: SQLite BINARY, Postgres COLLATE "C", Redis lex). Ids
 * from LangGraph are uuid6 strings — lowercase hex whose text order is creation-time order at the
 * millisecond, with a per-process counter below it — so the greatest id is the newest checkpoint of
 * the process that made it. `createdAt` is not the order key: it is the storing daemon's clock, and
 * daemons on several hosts disagree by their skew, while the id is what LangGraph's own savers order
 * by (`ORDER BY checkpoint_id DESC`) and what `before` names. Ties (the same id in two threads or
 * namespaces, possible only when a list spans them) are broken by threadId then ns, both descending.
 * Callers that make their own ids get their own order: non-time-ordered ids list in id order.
 *
 * Bytes (checkpoint, values) are canonical base64 strings — the daemon refuses any other form — so
 * a backend may keep them decoded and re-encode on read and still return them exactly as given.
 * Metadata is free JSON, returned unchanged.
 *
 * Every write is atomic with its change records. Change ids are the threadId (topic
 * `checkpoints:<threadId>` follows one thread); `data` carries the scope and never bytes:
 * - `checkpoint.saved` — put: `{ scope, ns, checkpointId, parentId? }`; a restored thread (migrate
 *   copy, which replaces what the thread held): `{ scope, restored: true, checkpoints }`; putWrites that stored at
 *   least one write: `{ scope, ns, checkpointId, taskId, writes: <stored> }`.
 * - `checkpoint.deleted` — deleteThread that removed something: `{ scope, removed }`; retention in a
 *   put that removed something: `{ scope, ns, removed, through: <greatest removed id> }` (every
 *   checkpoint of that thread namespace with an id up to `through` is gone).
 *
 * Left out on purpose: updating metadata in place, listing threads over RPC, ordering by time, a
 * per-scope quota, TTLs, and copying checkpoints between scopes. `threads` and `exportThread` serve
 * `migrate copy` (with RestoreStore.checkpointThread); no RPC method reaches them.
 */
export interface CheckpointStore {
  /**
   * Upserts the checkpoint (scope, threadId, ns, id): a stored one is replaced (parentId, type,
   * checkpoint, metadata, channelVersions) and keeps its createdAt and pending writes. Each of
   * `newValues` is stored unless its (channel, version) is stored already in that thread namespace —
   * the first value wins, as in LangGraph's savers; the adapter makes versions unique per writer (a
   * random suffix), so two processes advancing one thread from the same parent never share a
   * version. A channel whose version is stored without `value` is empty at that version.
   *
   * With `keepLast`, the same atomic write then keeps only the keepLast greatest ids of (scope,
   * threadId, ns) — the new checkpoint counts, even when its id is not the greatest — and removes the
   * others with their pending writes, plus every channel value of that thread namespace that no kept
   * checkpoint's channelVersions names. `pruned` says how many checkpoints went. A checkpoint forked
   * from one that retention removed may lose values only the removed one named; choose keepLast
   * above the number of concurrent forks.
   *
   * Records `checkpoint.saved`, then `checkpoint.deleted` when retention removed anything.
   * Errors: none a caller can cause beyond the daemon's checks (sizes, base64, ids).
   */
  putCheckpoint(input: CheckpointPutInput): Promise<CheckpointPutResult>;
  /**
   * Stores the writes of one task, all or nothing, in the given order. For each write, key (scope,
   * threadId, ns, checkpointId, taskId, idx): when no write with that key is stored it is inserted;
   * when one is, a write with idx >= 0 is ignored (LangGraph retries a task's writes and expects the
   * first to stand) and a write with idx < 0 (LangGraph's special writes: error, scheduled,
   * interrupt, resume) replaces it. `taskPath` is stored with each write (absent stays absent).
   * Two writes in one call with the same idx: the first is applied first, then the rule above.
   * Returns how many were inserted or replaced; records `checkpoint.saved` when that is > 0.
   */
  putWrites(input: PutWritesInput): Promise<{ stored: number }>;
  /**
   * The checkpoint `id` of (scope, threadId, ns), or without `id` the one with the greatest id;
   * null when there is none (never NOT_FOUND: an empty thread is the normal start of a graph).
   * `channelValues`: for each entry of its channelVersions whose (channel, version) is stored, that
   * value, ordered by channel (code point); pairs never stored are simply absent.
   * `pendingWrites`: every write keyed to (scope, threadId, ns, id), ordered by
   * (taskPath ?? "", taskId, idx) — strings by code point, idx numerically — which is LangGraph's
   * writesSortKey, the order live execution applies a superstep's writes in.
   * Cost: one index lookup plus the checkpoint's own values and writes; never a scan of the thread.
   */
  getCheckpoint(key: ThreadKey & { id?: string }): Promise<CheckpointTuple | null>;
  /**
   * Checkpoints of the scope matching the query, newest first by the order key above (id descending,
   * ties threadId then ns descending), each with channelValues and pendingWrites as in
   * getCheckpoint; keyset-paged on that key, so checkpoints stored while paging appear if they sort
   * after the cursor and never twice. `nextCursor` is null on the last page.
   *
   * `filter`: each key must exist in metadata with a value equal as JSON (deep; object key order
   * ignored, array order kept, numbers by value); `{}` filters nothing; keys are top-level names,
   * not paths. A filter is applied before paging, so a page holds `limit` matches unless the end
   * came first. Stores without JSON indexes may scan the scope (or thread) for a filtered list.
   * Errors: INVALID_PARAMS for a cursor this store never issued.
   */
  listCheckpoints(query: CheckpointQuery): Promise<Page<CheckpointTuple>>;
  /**
   * Removes every checkpoint, channel value and pending write of (scope, threadId), every namespace,
   * atomically, and returns how many checkpoints went (0 for an unknown thread: not an error).
   * Records one `checkpoint.deleted` when anything (checkpoints or orphan writes) was removed.
   */
  deleteThread(scope: string, threadId: string): Promise<{ deleted: number }>;
  /**
   * Every thread that may hold records, every scope, ascending by (scope, threadId) in code point
   * order. A thread whose records were all removed may still be named; exportThread then returns
   * null. Not paged: for `migrate copy`, which reads the whole store.
   */
  threads(): Promise<Array<{ scope: string; threadId: string }>>;
  /** Everything the thread holds (ThreadExport, sorted as described there); null when it holds nothing. */
  exportThread(scope: string, threadId: string): Promise<ThreadExport | null>;
}
