/**
 * SPEC §4 across real daemon processes: two spawned `agentstated` binaries share one store (a SQLite
 * data dir, a Postgres schema, a Redis key prefix). A subscriber on daemon B, through the client
 * library, receives every change from a sequence of writes made through daemon A — sessions,
 * messages, a plan, a job and its run — in cursor order, each exactly once, with A as the origin.
 * Under CI=true a missing Postgres or Redis server fails the file instead of skipping it.
 */
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { connect, type Client } from "../../src/client/index.js";
import type { Change } from "../../src/domain/changes.js";
import { compareCursors } from "../../src/domain/cursor.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { redis } from "../helpers/redis.js";
import { spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";
import { collect, sleep } from "./collect.js";

/** The writes made through daemon A, and the changes they must produce, in order. */
async function writeThroughA(a: Client): Promise<string> {
  await a.sessions.create({ id: "s1", title: "first" });
  await a.messages.append({ sessionId: "s1", messages: [{ role: "user", content: "hello" }, { role: "assistant", content: "hi" }] });
  await a.messages.append({ sessionId: "s2", createSession: true, messages: [{ role: "user", content: "second" }] });
  await a.plans.save({ id: "p1", title: "Plan", body: "# Plan\n\n- step\n", sessionId: "s1" });
  await a.jobs.save({ id: "j1", schedule: { cron: "0 3 * * *" }, payload: { prompt: "nightly" } });
  const run = await a.jobs.trigger({ id: "j1" });
  await a.sessions.delete({ id: "s2" });
  await a.plans.save({ id: "p1", title: "Plan", body: "# Plan\n\n- step\n- another\n", status: "approved" });
  return run.id;
}

const expected = (runId: string): string[] => [
  "session.created s1",
  "message.appended s1",
  "session.created s2",
  "message.appended s2",
  "plan.saved p1",
  "job.saved j1",
  `run.fired ${runId}`,
  "session.deleted s2",
  "plan.saved p1",
];

const TOPICS = ["sessions", "plans", "jobs", "runs"];

function assertOrdered(changes: Change[]): void {
  for (let i = 1; i < changes.length; i++) {
    assert.ok(compareCursors(changes[i].cursor, changes[i - 1].cursor) > 0, `cursor ${changes[i].cursor} after ${changes[i - 1].cursor}`);
  }
}

async function crossDaemon(t: TestContext, args: string[]): Promise<void> {
  const dir = tempDir(t, "agentstate-xd-");
  const common = [...args, "--data-dir", join(dir, "data"), "--timezone", "UTC"];
  // A first (it creates or migrates the store), then B.
  const daemonA = await spawnDaemon(t, { socket: join(dir, "run", "a.sock"), args: common });
  const daemonB = await spawnDaemon(t, { socket: join(dir, "run", "b.sock"), args: common });
  const a = await connect({ socket: join(dir, "run", "a.sock"), timeoutMs: 10_000 });
  const b = await connect({ socket: join(dir, "run", "b.sock"), timeoutMs: 10_000 });
  t.after(() => {
    a.close();
    b.close();
  });

  const onB = await collect(b, TOPICS, { onError: (err) => assert.fail(`subscription error: ${String(err)}`) });
  const start = onB.sub.cursor;
  assert.ok(start !== undefined);
  const runId = await writeThroughA(a);
  const want = expected(runId);
  const got = await onB.waitForChanges(want.length, 10_000);
  // Anything late (a duplicate, a stray change) would arrive within a few polling periods.
  await sleep(400);

  const changes = onB.changes();
  assert.deepEqual(changes.map((c) => `${c.type} ${c.id}`), want, daemonB.stderr.slice(-2000));
  assert.equal(onB.messages.length, changes.length, `only changes, no reset or lag: ${JSON.stringify(onB.messages.filter((m) => m.type !== "change"))}`);
  assertOrdered(changes);
  assert.equal(new Set(changes.map((c) => c.cursor)).size, changes.length, "no cursor twice");
  assert.deepEqual(new Set(changes.map((c) => c.origin)), new Set([`${daemonA.pid}@${hostname()}`]), "every change names daemon A");
  const fired = got[6].data as { jobId?: string; status?: string; payload?: unknown } | undefined;
  assert.deepEqual([fired?.jobId, fired?.status, fired?.payload], ["j1", "pending", { prompt: "nightly" }], "B adds the job's payload to run.fired");

  assert.equal(onB.sub.cursor, changes[changes.length - 1].cursor);

  // Resuming on B from where the live subscription started replays the same changes, same cursors.
  const replay = await collect(b, TOPICS, { fromCursor: start });
  const replayed = await replay.waitForChanges(want.length, 10_000);
  await replay.sub.unsubscribe();
  assert.deepEqual(replayed.map((c) => [c.cursor, c.type, c.id]), changes.map((c) => [c.cursor, c.type, c.id]));
}

async function redisUnavailable(): Promise<string | undefined> {
  try {
    await redis();
    return undefined;
  } catch (err) {
    if (process.env.CI === "true") throw err;
    return `no redis-server: ${(err as Error).message}`;
  }
}

const TIMEOUT = 60_000;

describe("changes written through daemon A reach a subscriber on daemon B (real processes)", { concurrency: 1 }, () => {
  test("sqlite: two daemons, one --data-dir", { timeout: TIMEOUT }, async (t) => {
    await crossDaemon(t, ["--backend", "sqlite"]);
  });

  test("postgres: two daemons, one server and --pg-schema", { timeout: TIMEOUT }, async (t) => {
    const reason = await postgresUnavailable();
    if (reason !== undefined) return t.skip(reason);
    const { url } = await postgres();
    await crossDaemon(t, ["--backend", "postgres", "--url", url, "--pg-schema", `xd_${process.pid}`]);
  });

  test("redis: two daemons, one server and --redis-prefix", { timeout: TIMEOUT }, async (t) => {
    const reason = await redisUnavailable();
    if (reason !== undefined) return t.skip(reason);
    const { url } = await redis();
    await crossDaemon(t, ["--backend", "redis", "--url", url, "--redis-prefix", `xd:${process.pid}:`]);
  });
});
