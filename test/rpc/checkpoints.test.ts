/**
 * The checkpoints.* wire surface (SPEC §3.8) above the store: what the daemon checks and defaults
 * before a CheckpointStore sees a call, the events topic, and rpc.discover. The store's own behaviour
 * belongs to the conformance suite; here a recording store stands in to show what reaches it.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import type { CheckpointPutInput, CheckpointQuery, CheckpointStore, PutWritesInput, ThreadKey } from "../../src/backends/contract.js";
import { RpcCallError } from "../../src/client/errors.js";
import { startTestDaemon } from "../helpers/daemon.js";

async function rejectsWith(p: Promise<unknown>, code: string, issuePath?: string): Promise<RpcCallError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcCallError, `expected RpcCallError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (issuePath !== undefined) {
      const issues = err.data?.issues as { path: string }[] | undefined;
      assert.ok(issues?.some((i) => i.path === issuePath), `issues ${JSON.stringify(issues)} name ${issuePath}`);
    }
    return err;
  }
  assert.fail(`expected ${code}`);
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const put = { threadId: "t1", id: "cp-1", checkpoint: b64('{"v":4}'), metadata: { source: "input", step: -1 } };

/** What reached the store, call by call. */
class RecordingStore implements CheckpointStore {
  calls: { op: string; arg: unknown }[] = [];
  async putCheckpoint(input: CheckpointPutInput) {
    this.calls.push({ op: "put", arg: input });
    return { id: input.id, createdAt: "2026-01-01T00:00:00.000Z", pruned: 0 };
  }
  async putWrites(input: PutWritesInput) {
    this.calls.push({ op: "putWrites", arg: input });
    return { stored: input.writes.length };
  }
  async getCheckpoint(key: ThreadKey & { id?: string }) {
    this.calls.push({ op: "get", arg: key });
    return null;
  }
  async listCheckpoints(query: CheckpointQuery) {
    this.calls.push({ op: "list", arg: query });
    return { items: [], nextCursor: null };
  }
  async threads() {
    return [];
  }
  async exportThread() {
    return null;
  }
  async deleteThread(scope: string, threadId: string) {
    this.calls.push({ op: "deleteThread", arg: { scope, threadId } });
    return { deleted: 0 };
  }
}

function backendWith(checkpoints: CheckpointStore | undefined): MemoryBackend {
  const backend = new MemoryBackend({ origin: "test", now: () => new Date() });
  if (checkpoints) Object.defineProperty(backend, "checkpoints", { value: checkpoints, configurable: true });
  return backend;
}

/** A daemon whose backend's checkpoint store is `checkpoints` (undefined: the backend's own). */
async function daemonWith(t: TestContext, checkpoints: CheckpointStore | undefined, maxValueBytes?: number) {
  const d = await startTestDaemon(t, { store: backendWith(checkpoints), ...(maxValueBytes ? { maxValueBytes } : {}) });
  return d.client();
}

test("a daemon stores checkpoints on its backend: put, putWrites, get and list round-trip", async (t) => {
  const c = await daemonWith(t, undefined);
  const saved = await c.checkpoints.put({ ...put, channelVersions: { a: "1" }, newValues: [{ channel: "a", version: "1", type: "json", value: b64("1") }] });
  assert.deepEqual({ id: saved.id, pruned: saved.pruned }, { id: "cp-1", pruned: 0 });
  assert.deepEqual(await c.checkpoints.putWrites({ threadId: "t1", checkpointId: "cp-1", taskId: "task", writes: [{ idx: 0, channel: "a", value: b64("w") }] }), { stored: 1 });
  const { tuple } = await c.checkpoints.get({ threadId: "t1" });
  assert.equal(tuple?.id, "cp-1");
  assert.equal(tuple?.createdAt, saved.createdAt);
  assert.deepEqual(tuple?.channelValues, [{ channel: "a", version: "1", type: "json", value: b64("1") }]);
  assert.deepEqual(tuple?.pendingWrites, [{ taskId: "task", idx: 0, channel: "a", value: b64("w") }]);
  assert.deepEqual((await c.checkpoints.list({})).items, [tuple]);
  assert.deepEqual(await c.checkpoints.deleteThread({ threadId: "t1" }), { deleted: 1 });
});

test("scope and ns default to \"\" (list: ns absent means every namespace); list limit defaults to 100", async (t) => {
  const store = new RecordingStore();
  const c = await daemonWith(t, store);
  await c.checkpoints.put(put);
  await c.checkpoints.put({ ...put, scope: "app", ns: "child:1", parentId: "cp-0", keepLast: 5, channelVersions: { a: "1" }, newValues: [{ channel: "a", version: "1", type: "empty" }] });
  await c.checkpoints.putWrites({ threadId: "t1", checkpointId: "cp-1", taskId: "task", taskPath: "~p", writes: [{ idx: -1, channel: "__error__", type: "json", value: b64('"x"') }] });
  assert.deepEqual(await c.checkpoints.get({ threadId: "t1" }), { tuple: null });
  await c.checkpoints.list({ threadId: "t1" });
  await c.checkpoints.list({ scope: "app", ns: "", before: "cp-9", filter: { source: "loop" }, limit: 7 });
  await c.checkpoints.deleteThread({ threadId: "t1" });
  assert.deepEqual(store.calls, [
    { op: "put", arg: { ...put, scope: "", ns: "", channelVersions: {}, newValues: [] } },
    {
      op: "put",
      arg: { ...put, scope: "app", ns: "child:1", parentId: "cp-0", keepLast: 5, channelVersions: { a: "1" }, newValues: [{ channel: "a", version: "1", type: "empty" }] },
    },
    {
      op: "putWrites",
      arg: { scope: "", ns: "", threadId: "t1", checkpointId: "cp-1", taskId: "task", taskPath: "~p", writes: [{ idx: -1, channel: "__error__", type: "json", value: b64('"x"') }] },
    },
    { op: "get", arg: { scope: "", threadId: "t1", ns: "", id: undefined } },
    { op: "list", arg: { scope: "", threadId: "t1", limit: 100 } },
    { op: "list", arg: { scope: "app", ns: "", before: "cp-9", filter: { source: "loop" }, limit: 7 } },
    { op: "deleteThread", arg: { scope: "", threadId: "t1" } },
  ]);
});

test("bytes must be canonical base64 and within maxValueBytes; ids, scope and ns follow their rules — checked before the store", async (t) => {
  const store = new RecordingStore();
  const c = await daemonWith(t, store, 64);
  await rejectsWith(c.checkpoints.put({ ...put, checkpoint: "not base64!" }), "INVALID_PARAMS", "/checkpoint");
  await rejectsWith(c.checkpoints.put({ ...put, checkpoint: "QR==" }), "INVALID_PARAMS", "/checkpoint"); // non-zero trailing bits
  await rejectsWith(c.checkpoints.put({ ...put, checkpoint: "QQ" }), "INVALID_PARAMS", "/checkpoint"); // padding missing
  await rejectsWith(
    c.checkpoints.put({ ...put, newValues: [{ channel: "a", version: "1", type: "json", value: "QR==" }] }),
    "INVALID_PARAMS",
    "/newValues/0/value",
  );
  await rejectsWith(
    c.checkpoints.putWrites({ threadId: "t1", checkpointId: "c", taskId: "k", writes: [{ idx: 0, channel: "a", value: "%%%%" }] }),
    "INVALID_PARAMS",
    "/writes/0/value",
  );
  await rejectsWith(c.checkpoints.put({ ...put, checkpoint: b64("x".repeat(65)) }), "TOO_LARGE");
  await rejectsWith(c.checkpoints.put({ ...put, threadId: "" }), "INVALID_PARAMS", "/threadId");
  await rejectsWith(c.checkpoints.put({ ...put, ns: "a\nb" }), "INVALID_PARAMS", "/ns");
  await rejectsWith(c.checkpoints.put({ ...put, ns: "é".repeat(513) }), "INVALID_PARAMS", "/ns");
  await rejectsWith(c.checkpoints.get({ threadId: "t", scope: "x".repeat(257) }), "INVALID_PARAMS", "/scope");
  await rejectsWith(c.checkpoints.put({ ...put, keepLast: 0 }), "INVALID_PARAMS", "/keepLast");
  await rejectsWith(c.checkpoints.list({ limit: 1001 }), "INVALID_PARAMS", "/limit");
  assert.deepEqual(store.calls, [], "nothing reached the store");
  // The empty byte string, an empty scope and a 1,024-byte ns are fine.
  await c.checkpoints.put({ ...put, checkpoint: "", scope: "", ns: "é".repeat(512) });
  assert.equal(store.calls.length, 1);
});

test("checkpoints is an events topic (whole domain or one thread), and rpc.discover lists the methods", async (t) => {
  const c = await daemonWith(t, undefined);
  const sub = await c.events.subscribe(["checkpoints", "checkpoints:thread-1"], () => undefined);
  await sub.unsubscribe();
  const doc = (await c.call("rpc.discover")) as unknown as { methods: { name: string }[] };
  const names = doc.methods.map((m) => m.name);
  for (const n of ["checkpoints.put", "checkpoints.putWrites", "checkpoints.get", "checkpoints.list", "checkpoints.deleteThread"]) {
    assert.ok(names.includes(n), `${n} missing from rpc.discover`);
  }
});
