/** R6: a subscriber that stops reading gets events.lagged; another keeps every change; daemon memory stays bounded. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_HUB_LIMITS } from "../../src/daemon/events/hub.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { RawSocket } from "../helpers/raw.js";
import { collect, eventually } from "./collect.js";

const BATCHES = 16;
const PER_BATCH = 1000;

test("a stalled subscriber lags; a reading one gets everything; queues stay within their limits", async (t) => {
  const d = await startTestDaemon(t);
  const stalled = await RawSocket.connect(d.socket, t);
  const sub = await stalled.roundTrip({ jsonrpc: "2.0", id: 1, method: "events.subscribe", params: { topics: ["history"] } });
  const stalledId = (sub.result as { subscription: string }).subscription;
  stalled.socket.pause(); // stops reading: the kernel buffer fills, then the daemon's queue

  const reader = await d.client();
  const good = await collect(reader, ["history"]);
  const admin = await d.client();

  type EventsCheck = { queuedBytes: number; queuedEvents: number; lagged: number; subscriptions: number };
  const events = async () => (await admin.daemon.health()).checks.events as unknown as EventsCheck;
  const writer = await RawSocket.connect(d.socket, t);
  let maxQueued = 0;
  let id = 10;
  for (let b = 0; b < BATCHES; b++) {
    const batch = Array.from({ length: PER_BATCH }, (_, i) => ({
      jsonrpc: "2.0", id: id++, method: "history.append", params: { entries: [{ command: `cmd ${b}-${i} ${"x".repeat(100)}` }] },
    }));
    await writer.sendJson(batch);
    await writer.next(30_000);
    const now = await events();
    maxQueued = Math.max(maxQueued, now.queuedBytes);
    assert.ok(now.queuedEvents <= DEFAULT_HUB_LIMITS.maxEvents + 10);
  }
  const total = BATCHES * PER_BATCH;
  const got = await good.waitForChanges(total, 30_000);
  assert.equal(got.length, total, "the reading subscriber got every change");
  assert.ok(maxQueued <= DEFAULT_HUB_LIMITS.maxBytes + 4096, `queued ${maxQueued} bytes`);

  const health = await events();
  assert.equal(health.lagged, 1);
  assert.equal(health.subscriptions, 1, "the lagged subscription ended");

  // Reading again: events up to lastCursor, in order, then events.lagged naming that cursor.
  stalled.socket.resume();
  let last = "0";
  for (;;) {
    const msg = await stalled.next<{ method: string; params: { subscription: string; cursor?: string; lastCursor?: string } }>(10_000);
    assert.equal(msg.params.subscription, stalledId);
    if (msg.method === "events.lagged") {
      assert.equal(msg.params.lastCursor, last);
      break;
    }
    assert.equal(msg.method, "events.event");
    assert.ok(Number(msg.params.cursor) > Number(last));
    last = msg.params.cursor as string;
  }
  assert.ok(Number(last) < total, "it fell behind before the end");
  await eventually(async () => assert.equal((await events()).queuedBytes, 0));
});
