/**
 * AgentstateSaver's own logic, apart from storage (LangGraph's official suite covers the saver over
 * real daemons: test/langgraph/): channel versions, argument checks that never reach the daemon,
 * the wire encoding round trip, connection ownership, and a loud error from a daemon whose store
 * refuses.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonPlusSerializer, emptyCheckpoint, type Checkpoint } from "@langchain/langgraph-checkpoint";
import { AgentstateSaver } from "../../src/adapters/langgraph/index.js";
import { decodeTuple, encodeCheckpoint } from "../../src/adapters/langgraph/codec.js";
import { RpcCallError } from "../../src/client/errors.js";
import { AgentStateError } from "../../src/domain/errors.js";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import type { CheckpointTuple as StoredTuple } from "../../src/domain/checkpoints.js";
import { startTestDaemon } from "../helpers/daemon.js";

const NO_DAEMON = "/nonexistent/agentstate.sock";

test("getNextVersion: above floor(current) + 1, below floor(current) + 2, different for every caller", () => {
  const saver = new AgentstateSaver({ socket: NO_DAEMON });
  const first = saver.getNextVersion(undefined);
  assert.ok(first > 1 && first < 2, String(first));
  for (const current of [1, 5, 6.37, 1_000_000]) {
    const next = saver.getNextVersion(current);
    assert.ok(next > Math.floor(current) + 1 && next < Math.floor(current) + 2, `${current} → ${next}`);
    assert.ok(next > current);
  }
  // A version written by LangGraph's Python Postgres saver ("<32 digits>.<random>").
  const fromPython = saver.getNextVersion("00000000000000000000000000000003.0.5488135039273248" as unknown as number);
  assert.ok(fromPython > 4 && fromPython < 5, String(fromPython));
  const many = new Set(Array.from({ length: 1000 }, () => saver.getNextVersion(7)));
  assert.equal(many.size, 1000, "two processes advancing from one checkpoint do not share a version");
  assert.equal(JSON.parse(JSON.stringify(first)), first, "exact through JSON");
});

test("argument errors are raised before any connection is made", async () => {
  const saver = new AgentstateSaver({ socket: NO_DAEMON });
  const meta = { source: "input" as const, step: -1, parents: {} };
  await assert.rejects(saver.put({}, emptyCheckpoint(), meta, {}), /Missing "configurable"/);
  await assert.rejects(saver.put({ configurable: { checkpoint_ns: "" } }, emptyCheckpoint(), meta, {}), /Missing "thread_id"/);
  await assert.rejects(saver.putWrites({ configurable: { checkpoint_id: "c" } }, [["a", 1]], "task"), /Missing "thread_id"/);
  await assert.rejects(saver.putWrites({ configurable: { thread_id: "t" } }, [["a", 1]], "task"), /Missing "checkpoint_id"/);
  await assert.rejects(saver.put({ configurable: { thread_id: { not: "an id" } } }, emptyCheckpoint(), meta, {}), TypeError);
  assert.equal(await saver.getTuple({ configurable: { checkpoint_ns: "" } }), undefined);
  await saver.putWrites({ configurable: { thread_id: "t", checkpoint_id: "c" } }, [], "task"); // nothing to store: no call
  assert.throws(() => new AgentstateSaver({ socket: NO_DAEMON, client: {} as never }), /socket or client/);
});

test("encoding: channel values leave the checkpoint, come back from their versions; bytes, empty channels and metadata survive", async () => {
  const serde = new JsonPlusSerializer();
  const checkpoint: Checkpoint = {
    ...emptyCheckpoint(),
    id: "1f0-abc",
    channel_values: { messages: [{ role: "user", content: "hi ünï 🦊" }], blob: new Uint8Array([0, 1, 255]), untouched: "old" },
    channel_versions: { messages: 2, blob: 1.25, untouched: 1, cleared: 3 },
  };
  const metadata = { source: "loop", step: 3, parents: { "": "1f0-parent" }, custom: { nested: [1, null, "x"] } };
  const enc = await encodeCheckpoint(serde, checkpoint, metadata, { messages: 2, blob: 1.25, cleared: 3 });
  assert.deepEqual(enc.channelVersions, { messages: "2", blob: "1.25", untouched: "1", cleared: "3" });
  assert.deepEqual(enc.newValues.map((v) => [v.channel, v.version, v.type, v.value === undefined]), [
    ["messages", "2", "json", false],
    ["blob", "1.25", "bytes", false],
    ["cleared", "3", "empty", true],
  ]);
  const stored = JSON.parse(Buffer.from(enc.checkpoint, "base64").toString("utf8")) as Record<string, unknown>;
  assert.equal(stored.channel_values, undefined, "values are not copied into the checkpoint");
  assert.deepEqual(enc.metadata, metadata);
  // As the store returns it: the values of the pairs it has (untouched@1 was stored by an earlier put).
  const earlier = await encodeCheckpoint(serde, { ...checkpoint, id: "1f0-parent" }, metadata, { untouched: 1 });
  const tuple: StoredTuple = {
    scope: "", threadId: "t", ns: "", id: checkpoint.id, parentId: "1f0-parent", type: enc.type, checkpoint: enc.checkpoint,
    metadata: enc.metadata, channelVersions: enc.channelVersions, channelValues: [...enc.newValues, ...earlier.newValues],
    pendingWrites: [{ taskId: "task", idx: 0, channel: "messages", type: "json", value: Buffer.from('"w"').toString("base64") }],
    createdAt: new Date().toISOString(),
  };
  const back = await decodeTuple(serde, tuple, () => Promise.reject(new Error("v4 needs no migration")));
  assert.deepEqual(back.checkpoint, checkpoint);
  assert.ok(back.checkpoint.channel_values.blob instanceof Uint8Array);
  assert.deepEqual(back.metadata, metadata);
  assert.deepEqual(back.pendingWrites, [["task", "messages", "w"]]);
  assert.deepEqual(back.config, { configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: "1f0-abc" } });
  assert.deepEqual(back.parentConfig, { configurable: { thread_id: "t", checkpoint_ns: "", checkpoint_id: "1f0-parent" } });
});

test("a daemon whose checkpoint store refuses fails the saver loudly with the store's code, and close leaves a given client open", async (t) => {
  const backend = new MemoryBackend({ origin: "test", now: () => new Date() });
  const refusing = new Proxy({}, { get: () => () => Promise.reject(new AgentStateError("BACKEND_UNAVAILABLE", "the store is away")) });
  Object.defineProperty(backend, "checkpoints", { value: refusing });
  const d = await startTestDaemon(t, { store: backend });
  const client = await d.client();
  const saver = new AgentstateSaver({ client, namespace: "n" });
  await assert.rejects(
    saver.put({ configurable: { thread_id: "t" } }, emptyCheckpoint(), { source: "input", step: -1, parents: {} }, {}),
    (e: unknown) => e instanceof RpcCallError && e.code === "BACKEND_UNAVAILABLE",
  );
  await assert.rejects(saver.getTuple({ configurable: { thread_id: "t" } }), (e: unknown) => e instanceof RpcCallError && e.code === "BACKEND_UNAVAILABLE");
  await saver.close();
  assert.equal(await client.daemon.ping(), "pong", "the given client still answers");
  const own = new AgentstateSaver({ socket: d.socket });
  await assert.rejects(own.getTuple({ configurable: { thread_id: "t" } }), (e: unknown) => e instanceof RpcCallError && e.code === "BACKEND_UNAVAILABLE");
  await own.close();
  await own.close();
});
