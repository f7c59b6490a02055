/**
 * Between LangGraph's objects and the checkpoints.* wire shapes, through the saver's serde. The
 * checkpoint is stored without channel_values (as LangGraph's Postgres saver does): each channel's
 * value is stored once per version, and a read rebuilds channel_values from the versions the
 * checkpoint holds.
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  copyCheckpoint, type ChannelVersions, type Checkpoint, type CheckpointPendingWrite, type CheckpointTuple,
  type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import type {
  ChannelValue, CheckpointTuple as StoredTuple, PendingWrite as StoredWrite,
} from "../../domain/checkpoints.js";

export const toBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

export function fromBase64(text: string): Uint8Array {
  const buf = Buffer.from(text, "base64");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The serializer's "no value at this version" tag (LangGraph's Postgres saver writes the same). */
const EMPTY = "empty";

/** What checkpoints.put takes for one LangGraph put. */
export async function encodeCheckpoint(
  serde: SerializerProtocol,
  checkpoint: Checkpoint,
  metadata: Record<string, unknown>,
  newVersions: ChannelVersions,
): Promise<{ type: string; checkpoint: string; metadata: Record<string, unknown>; channelVersions: Record<string, string>; newValues: ChannelValue[] }> {
  const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
  const [[type, bytes], [, metaBytes], newValues] = await Promise.all([
    serde.dumpsTyped(rest),
    serde.dumpsTyped(metadata),
    Promise.all(
      Object.entries(newVersions).map(async ([channel, version]): Promise<ChannelValue> => {
        if (!(channel in values)) return { channel, version: String(version), type: EMPTY };
        const [t, v] = await serde.dumpsTyped(values[channel]);
        return { channel, version: String(version), type: t, value: toBase64(v) };
      }),
    ),
  ]);
  const channelVersions = Object.fromEntries(Object.entries(rest.channel_versions).map(([k, v]) => [k, String(v)]));
  return {
    type,
    checkpoint: toBase64(bytes),
    metadata: JSON.parse(Buffer.from(metaBytes).toString("utf8")) as Record<string, unknown>,
    channelVersions,
    newValues,
  };
}

export const configOf = (threadId: string, ns: string, id: string): RunnableConfig => ({
  configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: id },
});

export async function decodeWrites(serde: SerializerProtocol, writes: readonly StoredWrite[]): Promise<CheckpointPendingWrite[]> {
  return Promise.all(
    writes.map(async (w): Promise<CheckpointPendingWrite> => [w.taskId, w.channel, await serde.loadsTyped(w.type ?? "json", fromBase64(w.value))]),
  );
}

/** LangGraph's CheckpointTuple from the stored one. `sends`: the parent's TASKS writes, for checkpoints older than v4. */
export async function decodeTuple(
  serde: SerializerProtocol,
  t: StoredTuple,
  migrateSends: (checkpoint: Checkpoint, parentId: string) => Promise<void>,
): Promise<CheckpointTuple> {
  const [checkpoint, metadata, channelValues, pendingWrites] = await Promise.all([
    serde.loadsTyped(t.type ?? "json", fromBase64(t.checkpoint)) as Promise<Checkpoint>,
    // The serde's revivers apply to metadata too (the Postgres saver round-trips it the same way).
    serde.loadsTyped("json", JSON.stringify(t.metadata)) as Promise<CheckpointTuple["metadata"]>,
    Promise.all(
      t.channelValues
        .filter((v) => v.type !== EMPTY && v.value !== undefined)
        .map(async (v) => [v.channel, await serde.loadsTyped(v.type, fromBase64(v.value as string))] as const),
    ),
    decodeWrites(serde, t.pendingWrites),
  ]);
  checkpoint.channel_values = Object.fromEntries(channelValues);
  checkpoint.channel_versions ??= {};
  checkpoint.versions_seen ??= {};
  if (checkpoint.v < 4 && t.parentId !== undefined) await migrateSends(checkpoint, t.parentId);
  const tuple: CheckpointTuple = {
    config: configOf(t.threadId, t.ns, t.id),
    checkpoint,
    metadata,
    pendingWrites,
  };
  if (t.parentId !== undefined) tuple.parentConfig = configOf(t.threadId, t.ns, t.parentId);
  return tuple;
}
