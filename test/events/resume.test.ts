/** The client resumes by itself: after its connection drops, and across a daemon restart (jsonl), with no gap or duplicate. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Socket } from "node:net";
import { Daemon } from "../../src/daemon/daemon.js";
import { connect, type Client } from "../../src/client/index.js";
import { silentLogger, startTestDaemon } from "../helpers/daemon.js";
import { assertOrdered, collect, eventually, sleep } from "./collect.js";

/** The client's socket, to cut it from the client side (a network blip). */
const socketOf = (c: Client): Socket => (c as unknown as { connection: { socket: Socket } }).connection.socket;

test("after its connection drops, a subscription resumes from the last cursor", async (t) => {
  const d = await startTestDaemon(t);
  const writer = await d.client();
  const reader = await d.client();
  const sub = await collect(reader, ["sessions"]);
  for (let i = 0; i < 5; i++) await writer.sessions.create({ id: `a${i}` });
  await sub.waitForChanges(5);
  socketOf(reader).destroy();
  // Written while the subscriber is away: the resumed subscription replays them.
  for (let i = 0; i < 5; i++) await writer.sessions.create({ id: `b${i}` });
  await sleep(100);
  for (let i = 0; i < 5; i++) await writer.sessions.create({ id: `c${i}` });
  const got = await sub.waitForChanges(15);
  assertOrdered(got);
  assert.deepEqual(got.map((c) => c.id), [0, 1, 2, 3, 4].map((i) => `a${i}`).concat([0, 1, 2, 3, 4].map((i) => `b${i}`), [0, 1, 2, 3, 4].map((i) => `c${i}`)));
  await sleep(50);
  assert.equal(sub.changes().length, 15);
});

test("a subscription survives a daemon restart on the jsonl backend without gap or duplicate", async (t) => {
  const first = await startTestDaemon(t, { backend: "jsonl" });
  const reader = await connect({ socket: first.socket, timeoutMs: 10_000 });
  t.after(() => reader.close());
  const sub = await collect(reader, ["sessions", "plans"]);
  let w = await first.client();
  for (let i = 0; i < 5; i++) await w.sessions.create({ id: `before${i}` });
  await sub.waitForChanges(5);
  await first.stop();
  const second = new Daemon({ config: first.config, logger: silentLogger() });
  await second.start();
  t.after(() => second.stop());
  w = await connect({ socket: first.socket, timeoutMs: 10_000 });
  t.after(() => w.close());
  for (let i = 0; i < 5; i++) await w.sessions.create({ id: `after${i}` });
  await w.plans.save({ id: "p", title: "T" });
  const got = await sub.waitForChanges(11, 10_000);
  assertOrdered(got);
  assert.deepEqual(got.map((c) => c.id).slice(5), ["after0", "after1", "after2", "after3", "after4", "p"]);
  await sleep(100);
  assert.equal(sub.changes().length, 11);
  assert.ok(sub.messages.every((m) => m.type === "change"));
  await eventually(() => assert.equal(sub.sub.active, true));
});
