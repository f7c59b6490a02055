/**
 * `agentstate/langgraph`: a LangGraph checkpointer whose storage is the agentstate daemon, so any
 * number of processes (on any backend, on any number of hosts sharing Postgres or Redis) can run
 * graphs on the same threads without opening a database themselves.
 *
 *   const checkpointer = new AgentstateSaver({ namespace: "my-app" });
 *   const graph = builder.compile({ checkpointer });
 *
 * Behaviour follows LangGraph's own savers (MemorySaver, SqliteSaver, PostgresSaver) and is checked
 * by @langchain/langgraph-checkpoint-validation on every backend. Usage and decisions:
 * docs/adapters.md.
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import {
  BaseCheckpointSaver, TASKS, WRITES_IDX_MAP, getCheckpointId, maxChannelVersion,
  type ChannelVersions, type Checkpoint, type CheckpointListOptions, type CheckpointMetadata, type CheckpointTuple,
  type PendingWrite, type SerializerProtocol,
} from "@langchain/langgraph-checkpoint";
import type { Client } from "../../client/index.js";
import type { CheckpointTuple as StoredTuple } from "../../domain/checkpoints.js";
import { ClientHandle, type ClientOptions } from "../client-handle.js";
import { jsonEqual } from "../json.js";
import { decodeTuple, decodeWrites, encodeCheckpoint, toBase64 } from "./codec.js";

export interface AgentstateSaverOptions extends ClientOptions {
  /**
   * Keeps this saver's threads apart from every other user of the daemon (the `scope` of the
   * checkpoints domain): two savers with different namespaces never see each other's threads, and
   * `list` without a thread lists only this namespace. Default "" (the shared default scope).
   */
  namespace?: string;
  /** Retention: keep only the newest N checkpoints per thread and checkpoint namespace (default: all). */
  keepLast?: number;
  /** The serializer (default: LangGraph's JsonPlusSerializer, from the base class). */
  serde?: SerializerProtocol;
}

/** Checkpoints fetched per round trip while a list is iterated. */
const PAGE = 50;

const missing = (what: string) =>
  new Error(`Missing "${what}" field in "config.configurable": a checkpointer needs it to know which thread to persist.`);

/** config.configurable.thread_id as the store's threadId; undefined when absent or empty. */
function threadIdOf(config: RunnableConfig): string | undefined {
  const v = config.configurable?.thread_id as unknown;
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  throw new TypeError(`"thread_id" must be a string or a number; got ${typeof v}`);
}

export class AgentstateSaver extends BaseCheckpointSaver {
  private readonly handle: ClientHandle;
  readonly namespace: string;
  private readonly keepLast: number | undefined;

  constructor(options: AgentstateSaverOptions = {}) {
    super(options.serde);
    this.handle = new ClientHandle(options);
    this.namespace = options.namespace ?? "";
    this.keepLast = options.keepLast;
  }

  private client(): Promise<Client> {
    return this.handle.get();
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = threadIdOf(config);
    if (threadId === undefined) return undefined;
    const ns = (config.configurable?.checkpoint_ns as string | undefined) ?? "";
    const id = getCheckpointId(config);
    const client = await this.client();
    const { tuple } = await client.checkpoints.get({ scope: this.namespace, threadId, ns, id: id || undefined });
    return tuple === null ? undefined : this.decode(tuple);
  }

  override async *list(config: RunnableConfig, options?: CheckpointListOptions): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options ?? {};
    let remaining = options?.limit ?? Infinity;
    if (remaining <= 0) return;
    const ns = config.configurable?.checkpoint_ns as string | undefined | null;
    const onlyId = config.configurable?.checkpoint_id as string | undefined;
    // Like SqliteSaver: a filter key whose value is undefined filters nothing.
    const cleanFilter = filter === undefined ? undefined : Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
    const beforeId = before?.configurable?.checkpoint_id as string | undefined;
    const client = await this.client();
    const base = {
      scope: this.namespace,
      threadId: threadIdOf(config),
      ns: ns ?? undefined,
    };
    if (onlyId && base.threadId !== undefined && base.ns !== undefined) {
      // One named checkpoint: fetch it instead of walking the thread.
      const { tuple } = await client.checkpoints.get({ ...base, threadId: base.threadId, ns: base.ns, id: onlyId });
      const beforeOk = beforeId === undefined || (tuple !== null && tuple.id < beforeId);
      if (tuple && beforeOk && Object.entries(cleanFilter ?? {}).every(([k, v]) => jsonEqual(tuple.metadata[k], v))) yield await this.decode(tuple);
      return;
    }
    let cursor: string | undefined;
    for (;;) {
      const page = await client.checkpoints.list({
        ...base,
        before: beforeId,
        filter: cleanFilter,
        cursor,
        limit: onlyId ? PAGE : Math.min(PAGE, remaining),
      });
      for (const item of page.items) {
        if (onlyId && item.id !== onlyId) continue;
        yield await this.decode(item);
        if (--remaining <= 0) return;
      }
      if (page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  }

  override async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    if (config.configurable === undefined) throw missing("configurable");
    const threadId = threadIdOf(config);
    if (threadId === undefined) throw missing("thread_id");
    const ns = (config.configurable.checkpoint_ns as string | undefined) ?? "";
    const parentId = config.configurable.checkpoint_id as string | undefined;
    const encoded = await encodeCheckpoint(this.serde, checkpoint, metadata, newVersions);
    const client = await this.client();
    await client.checkpoints.put({
      scope: this.namespace,
      threadId,
      ns,
      id: checkpoint.id,
      parentId: parentId || undefined,
      keepLast: this.keepLast,
      ...encoded,
    });
    return { configurable: { thread_id: config.configurable.thread_id as unknown, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const threadId = threadIdOf(config);
    const checkpointId = config.configurable?.checkpoint_id as string | undefined;
    if (threadId === undefined) throw missing("thread_id");
    if (!checkpointId) throw missing("checkpoint_id");
    if (writes.length === 0) return;
    const encoded = await Promise.all(
      writes.map(async ([channel, value], idx) => {
        const [type, bytes] = await this.serde.dumpsTyped(value);
        return { idx: WRITES_IDX_MAP[channel] ?? idx, channel, type, value: toBase64(bytes) };
      }),
    );
    const client = await this.client();
    await client.checkpoints.putWrites({
      scope: this.namespace,
      threadId,
      ns: (config.configurable?.checkpoint_ns as string | undefined) ?? "",
      checkpointId,
      taskId,
      taskPath,
      writes: encoded,
    });
  }

  override async deleteThread(threadId: string): Promise<void> {
    const client = await this.client();
    await client.checkpoints.deleteThread({ scope: this.namespace, threadId });
  }

  /**
   * Versions are numbers, as in the base class, with a random fraction: `floor(current) + 1 + r`.
   * Channel values are stored once per (channel, version) and the first write wins, so two processes
   * that advance one thread from the same checkpoint must not pick the same version for their
   * different values (LangGraph's Python Postgres saver adds a random suffix for the same reason).
   * Still increasing, still comparable by `>`, exact through JSON.
   */
  override getNextVersion(current: number | undefined): number {
    const base = typeof current === "number" ? Math.floor(current) : Math.floor(Number.parseFloat(String(current ?? 0))) || 0;
    return base + 1 + (0.001 + Math.random() * 0.998);
  }

  /** Releases the connection this saver opened (a client passed in stays open). */
  async close(): Promise<void> {
    await this.handle.close();
  }

  private decode(t: StoredTuple): Promise<CheckpointTuple> {
    return decodeTuple(this.serde, t, (checkpoint, parentId) => this.migratePendingSends(checkpoint, t, parentId));
  }

  /**
   * Checkpoints older than format v4 kept pending sends as the parent's TASKS writes; rebuild the
   * TASKS channel from them, as LangGraph's savers do.
   */
  private async migratePendingSends(checkpoint: Checkpoint, t: StoredTuple, parentId: string): Promise<void> {
    const client = await this.client();
    const { tuple: parent } = await client.checkpoints.get({ scope: t.scope, threadId: t.threadId, ns: t.ns, id: parentId });
    const sends = await decodeWrites(this.serde, (parent?.pendingWrites ?? []).filter((w) => w.channel === TASKS));
    const values: Record<string, unknown> = checkpoint.channel_values;
    values[TASKS] = sends.map(([, , value]) => value);
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}
