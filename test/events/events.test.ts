/** events.subscribe end to end on the memory backend: delivery, filters, ordering against the reply, reset, run.fired payloads. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { compareCursors } from "../../src/domain/cursor.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { RawSocket, type RpcReply } from "../helpers/raw.js";
import { assertOrdered, collect, eventually, sleep } from "./collect.js";

test("cursor comparator orders decimal and stream-id cursors", () => {
  assert.ok(compareCursors("9", "10") < 0);
  assert.ok(compareCursors("0010", "10") === 0);
  assert.ok(compareCursors("1700000000000-5", "1700000000000-12") < 0);
  assert.ok(compareCursors("1700000000001-0", "1700000000000-99") > 0);
  assert.ok(compareCursors("18446744073709551615", "18446744073709551614") > 0);
  assert.equal(compareCursors("5", "5-0"), 0);
  assert.throws(() => compareCursors("abc", "1"), TypeError);
});

test("live changes reach subscribers, filtered by domain and by record", async (t) => {
  const d = await startTestDaemon(t);
  const writer = await d.client();
  const reader = await d.client();
  const all = await collect(reader, ["sessions", "plans"]);
  const one = await collect(reader, ["sessions:s2"]);
  const groups = await collect(reader, ["groups"]);
  await writer.sessions.create({ id: "s1" });
  await writer.sessions.create({ id: "s2" });
  await writer.messages.append({ sessionId: "s2", messages: [{ role: "user", content: "hi" }] });
  await writer.plans.save({ id: "p1", title: "Plan" });
  await writer.history.append({ entries: [{ command: "ls" }] });
  const got = await all.waitForChanges(4);
  assert.deepEqual(got.map((c) => `${c.type} ${c.id}`), ["session.created s1", "session.created s2", "message.appended s2", "plan.saved p1"]);
  assertOrdered(got);
  const mine = await one.waitForChanges(2);
  assert.deepEqual(mine.map((c) => c.type), ["session.created", "message.appended"]);
  assert.ok(mine.every((c) => c.id === "s2" && c.origin.length > 0 && c.at.endsWith("Z")));
  await sleep(50);
  assert.equal(groups.changes().length, 0);
  assert.equal(all.changes().length, 4, "nothing twice");
});

test("bad topics and cursors are INVALID_PARAMS", async (t) => {
  const d = await startTestDaemon(t);
  const raw = await RawSocket.connect(d.socket, t);
  for (const params of [{ topics: ["nope"] }, { topics: [] }, { topics: ["sessions:"] }, { topics: ["sessions"], fromCursor: "x" }]) {
    const r = await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "events.subscribe", params });
    assert.equal(r.error?.code, -32602, JSON.stringify(params));
  }
});

test("no event reaches a connection before its subscribe reply, backlog or live", async (t) => {
  const d = await startTestDaemon(t);
  const writer = await d.client();
  for (let i = 0; i < 50; i++) await writer.sessions.create({ id: `pre${i}` });
  // A steady stream of live writes while subscribing, so the fan-out has changes in hand.
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) await writer.sessions.create({ id: `live${i}` });
  })();
  try {
    for (let round = 0; round < 20; round++) {
      const raw = await RawSocket.connect(d.socket, t);
      const params = round % 2 === 0 ? { topics: ["sessions"], fromCursor: "0" } : { topics: ["sessions"] };
      await raw.sendJson({ jsonrpc: "2.0", id: round, method: "events.subscribe", params });
      const first = await raw.next<RpcReply & { method?: string }>();
      assert.equal(first.id, round, `round ${round}: first line is the reply, got ${JSON.stringify(first).slice(0, 120)}`);
      const { cursor } = first.result as { subscription: string; cursor: string };
      const next = await raw.next<{ method: string; params: { cursor: string } }>();
      assert.equal(next.method, "events.event");
      assert.ok(compareCursors(next.params.cursor, cursor) > 0, "events come after the reply cursor");
      raw.destroy();
    }
  } finally {
    stop = true;
    await load;
  }
});

test("fromCursor delivers the backlog then live changes without gap or duplicate, under concurrent writes", async (t) => {
  const d = await startTestDaemon(t);
  const writer = await d.client();
  for (let i = 0; i < 2500; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => writer.history.append({ entries: [{ command: `c${i + j}` }] })));
  }
  const reader = await d.client();
  const writes = Promise.all(Array.from({ length: 200 }, (_, j) => writer.history.append({ entries: [{ command: `live${j}` }] })));
  const sub = await collect(reader, ["history"], { fromCursor: "0" });
  await writes;
  const got = await sub.waitForChanges(2700, 10_000);
  assertOrdered(got);
  assert.equal(got.length, 2700);
  assert.equal(got[0].cursor, "1");
  assert.equal(got[got.length - 1].cursor, "2700");
});

test("a pruned fromCursor gets events.reset, then live changes; an unknown one too", async (t) => {
  const store = new MemoryBackend({ origin: "test", now: () => new Date() });
  const d = await startTestDaemon(t, { store });
  const writer = await d.client();
  for (let i = 0; i < 10; i++) await writer.sessions.create({ id: `s${i}` });
  assert.equal(await store.changes.prune(new Date(Date.now() + 60_000), 3), 7);
  const reader = await d.client();
  const pruned = await collect(reader, ["sessions"], { fromCursor: "2" });
  assert.equal(pruned.sub.cursor, "10");
  const ahead = await collect(reader, ["sessions"], { fromCursor: "500" });
  const kept = await collect(reader, ["sessions"], { fromCursor: "8" });
  await writer.sessions.create({ id: "after" });
  await pruned.waitForChanges(1);
  assert.deepEqual(pruned.messages[0], { type: "reset", cursor: "10", reason: "pruned" });
  assert.deepEqual(pruned.changes().map((c) => c.id), ["after"]);
  await ahead.waitForChanges(1);
  assert.deepEqual(ahead.messages[0], { type: "reset", cursor: "10", reason: "unknown-cursor" });
  const k = await kept.waitForChanges(3);
  assert.deepEqual(k.map((c) => c.id), ["s8", "s9", "after"]);
  assert.ok(kept.messages.every((m) => m.type === "change"));
});

test("run.fired events carry runId and the job's payload", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const sub = await collect(c, ["runs"]);
  await c.jobs.save({ id: "j1", schedule: { cron: "0 0 1 1 *" }, noOverlap: false, payload: { prompt: "hello" } });
  const run = await c.jobs.trigger({ id: "j1" });
  await c.jobs.save({ id: "j1", schedule: { cron: "0 0 1 1 *" }, noOverlap: false, payload: { prompt: "changed" } });
  const run2 = await c.jobs.trigger({ id: "j1" });
  const got = await sub.waitForChanges(2);
  const fired = got.filter((x) => x.type === "run.fired");
  assert.deepEqual(fired[0].data, { ...(fired[0].data as object), jobId: "j1", runId: run.id, payload: { prompt: "hello" } });
  assert.equal(fired[1].id, run2.id);
  assert.deepEqual((fired[1].data as { payload: unknown }).payload, { prompt: "changed" }, "a saved job's cached payload is dropped");
  assert.equal(typeof (fired[0].data as Record<string, unknown>).scheduledFor, "string");
});

test("events.unsubscribe stops delivery; health shows the subsystem", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const sub = await collect(c, ["sessions"]);
  await c.sessions.create({ id: "a" });
  await sub.waitForChanges(1);
  await sub.sub.unsubscribe();
  await c.sessions.create({ id: "b" });
  await sleep(50);
  assert.equal(sub.changes().length, 1);
  const h = await c.daemon.health();
  assert.equal(h.checks.events?.status, "pass");
  assert.equal(h.checks.events?.subscriptions, 0);
  await eventually(async () => assert.equal((await c.daemon.health()).checks.events?.connections, 1));
});
