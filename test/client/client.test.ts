/**
 * The typed client (SPEC §9): calls typed from the method definitions, errors as classes, request
 * timeouts, an unreachable daemon reported quickly, reconnection, and calls lost with the daemon.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import {
  ConnectionLostError, DaemonUnreachableError, RequestTimeoutError, RpcCallError, connect,
} from "../../src/client/index.js";
import type { Message, Session } from "../../src/domain/conversations.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";

test("typed calls: sessions.create, messages.append, messages.list", async (t) => {
  const d = await startTestDaemon(t);
  const client = await d.client();
  const session: Session = await client.sessions.create({ title: "typed", tags: ["a"] });
  assert.equal(session.title, "typed");
  assert.equal(session.version, 1);
  assert.match(session.id, /^[0-9A-HJKMNP-TV-Z]{26}$/, "ids the caller omits are ULIDs");

  const appended = await client.messages.append({
    sessionId: session.id,
    messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello", extra: { kept: true } }],
  });
  assert.deepEqual(appended, { firstSeq: 1, lastSeq: 2 });
  const page = await client.messages.list({ sessionId: session.id });
  const items: Message[] = page.items;
  assert.deepEqual(items.map((m) => [m.seq, m.role, m.content]), [[1, "user", "hi"], [2, "assistant", "hello"]]);
  assert.deepEqual(items[1].extra, { kept: true });
  assert.equal(page.nextCursor, null);

  assert.equal(await client.daemon.ping(), "pong");
  assert.equal(await client.call("daemon.ping"), "pong");
});

test("an RPC error is an RpcCallError with rpcCode and code", async (t) => {
  const d = await startTestDaemon(t);
  const client = await d.client();
  const err = await client.sessions.get({ id: "nope" }).catch((e: unknown) => e);
  assert.ok(err instanceof RpcCallError);
  assert.equal(err.rpcCode, -32001);
  assert.equal(err.code, "NOT_FOUND");
  // Params the server refuses (the static types are bypassed on purpose).
  const bad = await client.call("sessions.get", { id: 5 } as unknown as { id: string }).catch((e: unknown) => e);
  assert.ok(bad instanceof RpcCallError);
  assert.equal(bad.code, "INVALID_PARAMS");
  assert.ok(Array.isArray(bad.data?.issues));
});

test("a request the daemon never answers fails with RequestTimeoutError; the client stays usable", async (t) => {
  const store = new MemoryBackend({ origin: "test", now: () => new Date() });
  store.conversations.getSession = () => new Promise<never>(() => undefined);
  const d = await startTestDaemon(t, { store, drainTimeoutMs: 100 });
  const client = await connect({ socket: d.socket, timeoutMs: 150 });
  t.after(() => client.close());
  const t0 = performance.now();
  const err = await client.sessions.get({ id: "x" }).catch((e: unknown) => e);
  const took = performance.now() - t0;
  assert.ok(err instanceof RequestTimeoutError, String(err));
  assert.equal(err.method, "sessions.get");
  assert.ok(took >= 140 && took < 2000, `timed out after ${took.toFixed(0)} ms`);
  assert.equal(await client.daemon.ping(), "pong", "the connection survives a timed-out call");
});

test("connecting to a socket nobody serves fails quickly with DaemonUnreachableError", async (t) => {
  const socket = join(tempDir(t), "nobody.sock");
  const t0 = performance.now();
  const err = await connect({ socket, connectTimeoutMs: 100 }).catch((e: unknown) => e);
  assert.ok(err instanceof DaemonUnreachableError, String(err));
  assert.equal(err.socketPath, socket);
  assert.ok(performance.now() - t0 < 1000, `took ${(performance.now() - t0).toFixed(0)} ms`);

  const t1 = performance.now();
  const noRetry = await connect({ socket, connectTimeoutMs: 0 }).catch((e: unknown) => e);
  assert.ok(noRetry instanceof DaemonUnreachableError);
  assert.ok(performance.now() - t1 < 200);
});

test("reconnect: after the daemon is replaced on the same socket, the same client's next call succeeds", async (t) => {
  const first = await startTestDaemon(t);
  const client = await connect({ socket: first.socket, timeoutMs: 5000, connectTimeoutMs: 300 });
  t.after(() => client.close());
  await client.sessions.create({ id: "on-first" });
  await first.stop();

  // The daemon is gone: a call now is unreachable (the client does not hang).
  const down = await client.daemon.ping().catch((e: unknown) => e);
  assert.ok(down instanceof DaemonUnreachableError, String(down));

  const second = await startTestDaemon(t, { socket: first.socket });
  assert.equal(await client.daemon.ping(), "pong");
  const created = await client.sessions.create({ id: "on-second" });
  assert.equal(created.id, "on-second");
  const stats = await client.daemon.stats();
  assert.equal(stats.connections, 1);
  await second.stop();
});

test("calls in flight when the daemon goes away reject with ConnectionLostError", async (t) => {
  const store = new MemoryBackend({ origin: "test", now: () => new Date() });
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  t.after(open);
  let entered = 0;
  let allInside!: () => void;
  const inside = new Promise<void>((r) => (allInside = r));
  store.conversations.createSession = async () => {
    if (++entered === 3) allInside();
    await gate;
    throw new Error("unreachable");
  };
  const d = await startTestDaemon(t, { store, drainTimeoutMs: 50 });
  const client = await d.client();
  const calls = [1, 2, 3].map((i) => client.sessions.create({ id: `lost-${i}` }).catch((e: unknown) => e));
  await inside;
  await d.daemon.stop();
  for (const result of await Promise.all(calls)) {
    assert.ok(result instanceof ConnectionLostError, String(result));
    assert.equal(result.method, "sessions.create");
  }
});

test("close() fails later calls and does not reconnect", async (t) => {
  const d = await startTestDaemon(t);
  const client = await connect({ socket: d.socket });
  client.close();
  await assert.rejects(client.daemon.ping(), /closed/);
  await assert.rejects(client.sessions.list(), /closed/);
});
