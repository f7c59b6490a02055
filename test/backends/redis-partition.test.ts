/**
 * Redis behind a silent network partition (SPEC §11 R9, issue 15), in process: the backend under
 * test reaches a throwaway redis-server over a lab link (test/helpers/netns.ts) that the test makes
 * drop every packet; a second backend ("the other daemon") and the checks use the server's Unix
 * socket, which no partition touches.
 */
import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import type { BackendLog, Change } from "../../src/backends/contract.js";
import { RedisBackend } from "../../src/backends/redis/index.js";
import { isAgentStateError } from "../../src/domain/errors.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { netLab, netLabUnavailable, type NetLab } from "../helpers/netns.js";
import { redisUrlAt, startThrowawayRedis, type RedisServer } from "../helpers/redis.js";

const skip = netLabUnavailable();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const codeOf = (err: unknown) => (isAgentStateError(err) ? err.code : `uncoded: ${String(err)}`);

async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; code: string }> {
  const t0 = performance.now();
  try {
    await fn();
    return { ms: performance.now() - t0, code: "ok" };
  } catch (err) {
    return { ms: performance.now() - t0, code: codeOf(err) };
  }
}

describe("redis behind a silent partition", { skip, timeout: 120_000 }, () => {
  let lab: NetLab;
  let server: RedisServer & { port: number };
  let n = 0;

  const backends = async (t: TestContext, log?: BackendLog) => {
    const prefix = `part:${process.pid}:${n++}:`;
    const cut = new RedisBackend({ url: redisUrlAt(server, lab.hosts[0].serverAddress), prefix, origin: "cut", now: () => new Date(), log });
    const other = new RedisBackend({ url: server.url, prefix, origin: "other", now: () => new Date() });
    t.after(async () => {
      lab.heal(0);
      await Promise.all([cut.close(), other.close()]);
    });
    await other.open();
    await cut.open();
    return { cut, other };
  };

  test("set up the lab", async () => {
    lab = netLab(["root"]);
    server = await startThrowawayRedis({ wrap: lab.server.wrap });
  });

  test("calls fail within 5 s with a coded error; the dead connection is replaced; first success within 2 s of healing; the stream reader follows", async (t) => {
    const logged: string[] = [];
    const { cut, other } = await backends(t, { warn: (m) => void logged.push(`warn ${m}`), info: (m) => void logged.push(`info ${m}`) });
    await cut.conversations.createSession({ id: "s" });
    const seen: Change[] = [];
    const unwatch = cut.changes.watch((c) => seen.push(c));
    t.after(unwatch);
    await sleep(300);

    lab.partition(0);
    const down = performance.now();
    const during = await Promise.all([
      timed(() => cut.conversations.append({ sessionId: "s", messages: [{ role: "user", content: "x" }] })),
      timed(() => cut.conversations.getSession("s")),
      timed(() => cut.conversations.append({ sessionId: "s", messages: [{ role: "user", content: "y" }] })),
    ]);
    for (const r of during) {
      assert.ok(r.code === "BACKEND_UNAVAILABLE" || r.code === "OUTCOME_UNKNOWN", `a call failed with ${r.code}`);
      assert.ok(r.ms <= 5000, `a call took ${r.ms.toFixed(0)} ms to fail`);
    }
    const probe = await timed(async () => {
      if ((await cut.probe()).ok) throw new Error("probe passed during the partition");
    });
    assert.equal(probe.code, "ok");
    // Meanwhile the other daemon writes; the cut-off daemon's reader must pick it up after healing.
    await other.conversations.append({ sessionId: "s", messages: [{ role: "user", content: "from the other side" }] });
    await sleep(Math.max(0, 8000 - (performance.now() - down)));

    lab.heal(0);
    const healed = performance.now();
    let firstOk: number | undefined;
    while (firstOk === undefined && performance.now() - healed < 10_000) {
      const r = await timed(() => cut.conversations.append({ sessionId: "s", messages: [{ role: "user", content: "after" }] }));
      if (r.code === "ok") firstOk = performance.now() - healed;
      else await sleep(50);
    }
    assert.ok(firstOk !== undefined && firstOk <= 2000, `first success ${firstOk?.toFixed(0)} ms after healing`);
    for (let i = 0; i < 30; i++) {
      const r = await timed(() => cut.conversations.append({ sessionId: "s", messages: [{ role: "user", content: `later ${i}` }] }));
      assert.equal(r.code, "ok");
      assert.ok(r.ms < 1000, `call ${i} after healing took ${r.ms.toFixed(0)} ms`);
    }
    while (!seen.some((c) => c.origin === "other" && c.type === "message.appended") && performance.now() - healed < 5000) await sleep(20);
    const readerBack = performance.now() - healed;
    assert.ok(readerBack <= 2500, `the stream reader delivered the other daemon's change ${readerBack.toFixed(0)} ms after healing`);
    assert.ok(logged.some((l) => l.startsWith("warn redis connection lost")), `no warning logged: ${logged.join("; ")}`);
    assert.ok(logged.some((l) => l.startsWith("info redis connection restored")), `no recovery logged: ${logged.join("; ")}`);
    t.diagnostic(`failed in ≤ ${Math.max(...during.map((r) => r.ms)).toFixed(0)} ms; probe failed in ${probe.ms.toFixed(0)} ms; first success ${firstOk.toFixed(0)} ms, reader delivering ${readerBack.toFixed(0)} ms after healing`);
  });

  test("a write script whose answer is lost is OUTCOME_UNKNOWN — and may indeed have been applied; one never sent is BACKEND_UNAVAILABLE", async (t) => {
    const { cut, other } = await backends(t);
    const key = `${cut.keys.prefix}probe`;
    const write = (value: string) => cut.client.apply(cut.keys.changes, 1000, [], [JSON.stringify({ domain: "history", type: "history.appended", id: value })], [["SET", key, value]]);
    await write("before");
    lab.partition(0, "replies");
    const r = await timed(() => write("maybe"));
    assert.equal(r.code, "OUTCOME_UNKNOWN");
    assert.ok(r.ms <= 5000);
    assert.equal(await other.client.call((c) => c.get(key)), "maybe", "the write was applied although its answer was lost");
    // The dead connection is being replaced: a write now is refused before it is sent.
    const refused = await timed(() => write("no"));
    lab.heal(0);
    assert.equal(refused.code, "BACKEND_UNAVAILABLE");
    await sleep(3000);
    assert.equal(await other.client.call((c) => c.get(key)), "maybe", "nothing was re-sent behind the caller's back");
    assert.equal(await timed(() => write("after")).then((x) => x.code), "ok");
  });

  test("a claim release that fails during the partition is retried until it lands", async (t) => {
    const { cut, other } = await backends(t);
    const d = await startTestDaemon(t, { store: cut });
    const admin = await d.client();
    await admin.jobs.save({ id: "e", schedule: { cron: "@daily" } });
    const run = await admin.jobs.trigger({ id: "e" });
    const worker = await d.client();
    assert.equal((await worker.runs.claim({ runId: run.id, worker: "w" }))?.status, "claimed");

    lab.partition(0);
    worker.close(); // the claiming process dies while the daemon cannot reach redis
    await sleep(6000);
    assert.equal((await other.jobs.getRun(run.id)).status, "claimed", "nothing can have been written during the partition");
    const health = await admin.daemon.health({});
    assert.equal(health.checks.scheduler?.claimReleasesRetrying, 1);

    lab.heal(0);
    const healed = performance.now();
    let released: Awaited<ReturnType<typeof other.jobs.getRun>> | undefined;
    while (performance.now() - healed < 10_000) {
      const r = await other.jobs.getRun(run.id);
      if (r.status !== "claimed") {
        released = r;
        break;
      }
      await sleep(50);
    }
    assert.equal(released?.status, "pending", "the release never landed");
    assert.equal(released.attempt, 2);
    t.diagnostic(`release landed ${(performance.now() - healed).toFixed(0)} ms after healing`);
  });

  test("tear down the lab", async () => {
    await server.stop?.();
    lab.close();
  });
});
