/**
 * Graph checkpoints (SPEC §3.8): the state model of LangGraph's BaseCheckpointSaver, so that the
 * adapter (agentstate/langgraph) stays thin. Decisions behind the shapes (channel values stored once
 * per version, the order key, pending-write repeats, retention): docs/decisions/checkpoints.md.
 */
import { FormatRegistry, Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { Cursor, Id, JsonObject, Limit, Nullable, Page, Params, Timestamp, isCleanString, isValidId } from "./schema.js";

/** Most UTF-8 bytes of a checkpoint namespace: LangGraph nests subgraphs as `node:<task id>|node:<task id>|…`. */
export const MAX_NS_BYTES = 1024;
/** Most channel values one checkpoints.put and writes one checkpoints.putWrites may carry. */
export const MAX_CHECKPOINT_ITEMS = 10_000;

FormatRegistry.Set("agentstate-scope", (v) => v === "" || isValidId(v));
FormatRegistry.Set("agentstate-ns", (v) => isCleanString(v, MAX_NS_BYTES));

export const Scope = Type.String({
  format: "agentstate-scope",
  maxLength: 256,
  description: "separates independent users of one daemon (one saver's namespace); \"\" (the default) or an id",
});
export const Namespace = Type.String({
  format: "agentstate-ns",
  maxLength: MAX_NS_BYTES,
  description: "LangGraph's checkpoint_ns: \"\" for the root graph, else the subgraph path; at most 1024 UTF-8 bytes, no control characters",
});
/** Opaque bytes, standard base64 with padding, in the canonical form Node's Buffer writes (checked by the daemon). */
export const Bytes = Type.String({ contentEncoding: "base64", description: "opaque bytes, canonical standard base64 with padding" });
/** The serializer's name for how bytes were produced (LangGraph: "json", "bytes", "empty"); stored and returned unchanged. */
export const SerdeType = Type.String({ minLength: 1, maxLength: 64, description: "the serializer's type tag, stored and returned unchanged" });
export const Channel = Type.String({ minLength: 1, maxLength: 1024, description: "a channel name" });
export const ChannelVersion = Type.String({
  minLength: 1,
  maxLength: 256,
  description: "a channel version as text (LangGraph's number or string version, String()-ed)",
});

/** The value a channel holds at one version, stored once per (scope, threadId, ns, channel, version). */
export const ChannelValue = Type.Object(
  {
    channel: Channel,
    version: ChannelVersion,
    type: SerdeType,
    value: Type.Optional(Bytes),
  },
  { additionalProperties: false, description: "value absent: the channel is empty at this version (LangGraph's type \"empty\")" },
);
export type ChannelValue = Static<typeof ChannelValue>;

export const PendingWriteInput = Type.Object(
  {
    idx: Type.Integer({
      minimum: -1000,
      maximum: 1_000_000,
      description: "position in the task's writes; negative for LangGraph's special writes (error, scheduled, interrupt, resume), which replace",
    }),
    channel: Channel,
    type: Type.Optional(SerdeType),
    value: Bytes,
  },
  { additionalProperties: false },
);
export type PendingWriteInput = Static<typeof PendingWriteInput>;

export const PendingWrite = Type.Object({
  taskId: Id,
  idx: Type.Integer(),
  channel: Channel,
  type: Type.Optional(SerdeType),
  value: Bytes,
  taskPath: Type.Optional(Type.String({ description: "absent when the write was stored without one (sorts as \"\")" })),
});
export type PendingWrite = Static<typeof PendingWrite>;

const ChannelVersions = Type.Record(Type.String(), ChannelVersion, {
  description: "channel → version this checkpoint holds; the store returns the stored value of each pair in channelValues",
});

/** A stored checkpoint with what a reader needs to rebuild LangGraph's CheckpointTuple in one round trip. */
export const CheckpointTuple = Type.Object({
  scope: Scope,
  threadId: Id,
  ns: Namespace,
  id: Id,
  parentId: Type.Optional(Id),
  type: Type.Optional(SerdeType),
  checkpoint: Bytes,
  metadata: JsonObject,
  channelVersions: ChannelVersions,
  channelValues: Type.Array(ChannelValue, {
    description: "the stored value of each (channel, version) in channelVersions that has one, in channel order (code point)",
  }),
  pendingWrites: Type.Array(PendingWrite, { description: "ordered by (taskPath ?? \"\", taskId, idx): LangGraph's writesSortKey" }),
  createdAt: Timestamp,
});
export type CheckpointTuple = Static<typeof CheckpointTuple>;

export const CheckpointPut = Params({
  scope: Type.Optional(Scope),
  threadId: Id,
  ns: Type.Optional(Namespace),
  id: Id,
  parentId: Type.Optional(Id),
  type: Type.Optional(SerdeType),
  checkpoint: Bytes,
  metadata: JsonObject,
  channelVersions: Type.Optional(ChannelVersions),
  newValues: Type.Optional(
    Type.Array(ChannelValue, {
      maxItems: MAX_CHECKPOINT_ITEMS,
      description: "values of the channels this checkpoint changed; a (channel, version) already stored keeps its first value",
    }),
  ),
  keepLast: Type.Optional(
    Type.Integer({ minimum: 1, description: "retention: afterwards keep only the newest keepLast checkpoints of (scope, threadId, ns)" }),
  ),
});
export type CheckpointPut = Static<typeof CheckpointPut>;

export const CheckpointPutResult = Type.Object({
  id: Id,
  createdAt: Timestamp,
  pruned: Type.Integer({ minimum: 0, description: "older checkpoints removed by keepLast" }),
});
export type CheckpointPutResult = Static<typeof CheckpointPutResult>;

export const CheckpointPutWrites = Params({
  scope: Type.Optional(Scope),
  threadId: Id,
  ns: Type.Optional(Namespace),
  checkpointId: Id,
  taskId: Id,
  taskPath: Type.Optional(Type.String({ maxLength: 4096 })),
  writes: Type.Array(PendingWriteInput, { maxItems: MAX_CHECKPOINT_ITEMS }),
});
export type CheckpointPutWrites = Static<typeof CheckpointPutWrites>;

export const CheckpointGet = Params({
  scope: Type.Optional(Scope),
  threadId: Id,
  ns: Type.Optional(Namespace),
  id: Type.Optional(Id),
});
export type CheckpointGet = Static<typeof CheckpointGet>;

export const CheckpointList = Params({
  scope: Type.Optional(Scope),
  threadId: Type.Optional(Id),
  ns: Type.Optional(Namespace),
  before: Type.Optional(Id),
  filter: Type.Optional(JsonObject),
  cursor: Type.Optional(Cursor),
  limit: Type.Optional(Limit),
});
export type CheckpointList = Static<typeof CheckpointList>;

export const checkpointsMethods = table(
  method({
    name: "checkpoints.put",
    summary:
      "Store a checkpoint (an upsert on scope, threadId, ns, id) with the values of the channels it changed, atomically; " +
      "with keepLast, drop the thread namespace's older checkpoints in the same write.",
    params: CheckpointPut,
    result: CheckpointPutResult,
    errors: ["TOO_LARGE", "INVALID_PARAMS"],
  }),
  method({
    name: "checkpoints.putWrites",
    summary:
      "Store a task's pending writes for a checkpoint, all or nothing. A write whose (scope, threadId, ns, checkpointId, taskId, idx) " +
      "is stored already is ignored, except special writes (idx < 0), which replace. The checkpoint need not exist yet.",
    params: CheckpointPutWrites,
    result: Type.Object({ stored: Type.Integer({ minimum: 0, description: "writes inserted or replaced (ignored repeats not counted)" }) }),
    errors: ["TOO_LARGE", "INVALID_PARAMS"],
  }),
  method({
    name: "checkpoints.get",
    summary:
      "One checkpoint of (scope, threadId, ns) — the given id, or the newest (greatest id) without one — with its channel values " +
      "and pending writes; null when there is none.",
    params: CheckpointGet,
    result: Type.Object({ tuple: Nullable(CheckpointTuple) }),
  }),
  method({
    name: "checkpoints.list",
    summary:
      "Checkpoints newest first (id descending, code point order), of one thread or, without threadId, of every thread of the scope; " +
      "ns absent = every namespace; before = only ids below it; filter = metadata keys equal to the given JSON values.",
    params: CheckpointList,
    result: Page(CheckpointTuple),
    errors: ["INVALID_PARAMS", "TOO_LARGE"],
  }),
  method({
    name: "checkpoints.deleteThread",
    summary: "Delete every checkpoint, channel value and pending write of the thread in the scope (all namespaces). Unknown threads are not an error.",
    params: Params({ scope: Type.Optional(Scope), threadId: Id }),
    result: Type.Object({ deleted: Type.Integer({ minimum: 0, description: "checkpoints removed" }) }),
  }),
);
