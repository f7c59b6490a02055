/**
 * Postgres wake-up: two daemons on one schema see each other's writes through NOTIFY, and the
 * LISTEN connection comes back by itself after the server restarts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { collect, eventually } from "./collect.js";

const skip = await postgresUnavailable();

test("NOTIFY wakes the other daemon; after a server restart LISTEN reconnects and delivery resumes", { skip }, async (t) => {
  const server = await postgres();
  const schema = `ev_listen_${process.pid}`;
  const make = (origin: string) => new PostgresBackend({ url: server.url, schema, origin, now: () => new Date() });
  const storeA = make("A");
  const storeB = make("B");
  const a = await startTestDaemon(t, { store: storeA });
  const b = await startTestDaemon(t, { store: storeB });
  assert.equal(storeB.listener.connected, true);
  const onB = await collect(await b.client(), ["sessions"]);
  const writer = await a.client();

  // Woken by NOTIFY, not the 250 ms poll: the median of several writes stays well under it.
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await writer.sessions.create({ id: `s${i}` });
    await onB.waitForChanges(i + 1);
    delays.push(performance.now() - t0);
  }
  delays.sort((x, y) => x - y);
  assert.ok(delays[3] < 150, `median ${delays[3].toFixed(1)} ms`);

  if (!server.stop || !server.start) return t.diagnostic("external server: restart part skipped");
  await server.stop();
  await eventually(() => assert.equal(storeB.listener.connected, false), 5000);
  await server.start();
  await eventually(() => assert.equal(storeB.listener.connected, true), 10_000);
  assert.ok(storeB.listener.reconnects >= 1);
  await eventually(() => writer.sessions.create({ id: "after-restart" }), 10_000);
  const got = await onB.waitForChanges(8, 5000);
  assert.equal(got[7].id, "after-restart");
  assert.deepEqual(got.map((c) => c.id), ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "after-restart"]);
});
