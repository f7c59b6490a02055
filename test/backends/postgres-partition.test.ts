/**
 * Postgres behind a silent network partition (SPEC §11 R9, issue 15), in process: the backend under
 * test reaches a throwaway server over a lab link (test/helpers/netns.ts) that the test makes drop
 * every packet; a second backend ("the other daemon") and the checks use the server's Unix socket,
 * which no partition touches.
 */
import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import type { BackendLog } from "../../src/backends/contract.js";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { isAgentStateError } from "../../src/domain/errors.js";
import { netLab, netLabUnavailable, type NetLab } from "../helpers/netns.js";
import { pgUrlAt, startThrowawayPostgres, type PgServer } from "../helpers/postgres.js";

const skip = netLabUnavailable();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const codeOf = (err: unknown) => (isAgentStateError(err) ? err.code : `uncoded: ${String(err)}`);

interface Logged {
  level: "warn" | "info";
  message: string;
  at: number;
}

function recorder(): { log: BackendLog; lines: Logged[] } {
  const lines: Logged[] = [];
  return {
    lines,
    log: {
      warn: (message) => void lines.push({ level: "warn", message, at: performance.now() }),
      info: (message) => void lines.push({ level: "info", message, at: performance.now() }),
    },
  };
}

/** Runs `fn`, returning how long it took and its error code ("ok" when it succeeded). */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; code: string }> {
  const t0 = performance.now();
  try {
    await fn();
    return { ms: performance.now() - t0, code: "ok" };
  } catch (err) {
    return { ms: performance.now() - t0, code: codeOf(err) };
  }
}

describe("postgres behind a silent partition", { skip, timeout: 180_000 }, () => {
  let lab: NetLab;
  let server: PgServer & { port: number };
  let n = 0;

  const backends = async (t: TestContext, log?: BackendLog) => {
    const schema = `part_${process.pid}_${n++}`;
    const cut = new PostgresBackend({ url: pgUrlAt(server, lab.hosts[0].serverAddress), schema, origin: "cut", now: () => new Date(), log });
    const other = new PostgresBackend({ url: server.url, schema, origin: "other", now: () => new Date() });
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
    server = await startThrowawayPostgres({ wrap: lab.server.wrap });
  });

  test("every daemon session carries the server-side bounds", async (t) => {
    const { cut } = await backends(t);
    const row = await cut.db.read.get<Record<string, string>>(
      "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l, current_setting('idle_in_transaction_session_timeout') AS i",
    );
    assert.deepEqual(row, { s: "2500ms", l: "2s", i: "2s" });
  });

  test("calls fail within 5 s with a coded error; the pool drops dead connections; first success within 2 s of healing; LISTEN and health follow", async (t) => {
    const { log, lines } = recorder();
    const { cut } = await backends(t, log);
    await cut.conversations.createSession({ id: "s" });
    // Several pooled connections, all idle and healthy when the partition starts.
    await Promise.all(Array.from({ length: 6 }, (_, i) => cut.conversations.createSession({ id: `warm-${i}` })));
    assert.equal(cut.listener.connected, true);

    lab.partition(0);
    const down = performance.now();
    const during = await Promise.all(Array.from({ length: 6 }, () => timed(() => cut.conversations.append({ sessionId: "s", messages: [{ role: "user", content: "x" }] }))));
    for (const r of during) {
      assert.ok(r.code === "BACKEND_UNAVAILABLE" || r.code === "OUTCOME_UNKNOWN", `a call failed with ${r.code}`);
      assert.ok(r.ms <= 5000, `a call took ${r.ms.toFixed(0)} ms to fail`);
    }
    const probe = await timed(async () => {
      const p = await cut.probe();
      if (p.ok) throw new Error("probe passed during the partition");
    });
    assert.equal(probe.code, "ok");
    assert.ok(probe.ms <= 1500, `the probe took ${probe.ms.toFixed(0)} ms`);
    // The LISTEN connection's heartbeat notices the silence.
    while (cut.listener.connected && performance.now() - down < 5000) await sleep(50);
    assert.equal(cut.listener.connected, false, "LISTEN did not notice the dead socket within 5 s");
    const later = await timed(() => cut.conversations.getSession("s"));
    assert.equal(later.code, "BACKEND_UNAVAILABLE");
    assert.ok(later.ms <= 5000);
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
    // No call hangs on a connection that died during the partition.
    for (let i = 0; i < 30; i++) {
      const r = await timed(() => cut.conversations.append({ sessionId: "s", messages: [{ role: "user", content: `later ${i}` }] }));
      assert.equal(r.code, "ok");
      assert.ok(r.ms < 1000, `call ${i} after healing took ${r.ms.toFixed(0)} ms`);
    }
    while (!cut.listener.connected && performance.now() - healed < 5000) await sleep(20);
    const listenBack = performance.now() - healed;
    assert.ok(listenBack <= 2000, `LISTEN back ${listenBack.toFixed(0)} ms after healing`);
    assert.equal((await cut.probe()).ok, true);
    assert.ok(lines.some((l) => l.level === "warn" && /LISTEN connection lost/.test(l.message)), "no warning logged on loss");
    assert.ok(lines.some((l) => l.level === "info" && /restored/.test(l.message) && l.at >= healed), "no info logged on recovery");
    t.diagnostic(`failed in ≤ ${Math.max(...during.map((r) => r.ms)).toFixed(0)} ms; probe failed in ${probe.ms.toFixed(0)} ms; first success ${firstOk.toFixed(0)} ms and LISTEN back ${listenBack.toFixed(0)} ms after healing`);
  });

  test("a cut-off daemon's open transaction blocks another daemon's write on the same row for about idle_in_transaction_session_timeout", async (t) => {
    const { cut, other } = await backends(t);
    await other.conversations.createSession({ id: "shared" });
    let blockedAt = 0;
    const cutTx = timed(() =>
      cut.db.tx(async (q) => {
        await q.get("SELECT data FROM sessions WHERE id = ? FOR UPDATE", ["shared"]);
        lab.partition(0);
        blockedAt = performance.now();
        await q.run("UPDATE sessions SET updated_at = updated_at WHERE id = ?", ["shared"]);
      }),
    );
    while (blockedAt === 0) await sleep(5);
    const write = await timed(() => other.conversations.updateSession({ id: "shared", title: "moved on" }));
    const waited = performance.now() - blockedAt;
    assert.equal(write.code, "ok");
    assert.ok(waited <= 3000, `the other daemon waited ${waited.toFixed(0)} ms for the cut-off daemon's lock`);
    const r = await cutTx;
    assert.equal(r.code, "BACKEND_UNAVAILABLE", "a statement before COMMIT got no answer: surely not committed");
    assert.equal((await other.conversations.getSession("shared")).title, "moved on");
    t.diagnostic(`the other daemon's write waited ${waited.toFixed(0)} ms; the cut-off transaction failed after ${r.ms.toFixed(0)} ms`);
  });

  test("a COMMIT whose answer is lost is OUTCOME_UNKNOWN — and may indeed have committed", async (t) => {
    const { cut, other } = await backends(t);
    // The server receives the COMMIT and commits; only its answer is dropped.
    const committed = await timed(() =>
      cut.db.tx(async (q) => {
        await q.run("INSERT INTO kv (key, value) VALUES ('probe-a', 'x')");
        q.beforeCommit?.(async () => lab.partition(0, "replies"));
      }),
    );
    lab.heal(0);
    assert.equal(committed.code, "OUTCOME_UNKNOWN");
    assert.ok(committed.ms <= 5000);
    assert.equal((await other.db.read.get<{ value: string }>("SELECT value FROM kv WHERE key = 'probe-a'"))?.value, "x", "the write was stored although its answer was lost");

    // Nothing arrives: the COMMIT never reached the server, which rolls back when the idle session times out.
    const lost = await timed(() =>
      cut.db.tx(async (q) => {
        await q.run("INSERT INTO kv (key, value) VALUES ('probe-b', 'x')");
        q.beforeCommit?.(async () => lab.partition(0));
      }),
    );
    lab.heal(0);
    assert.equal(lost.code, "OUTCOME_UNKNOWN", "the daemon cannot tell a lost COMMIT from a lost answer");
    await sleep(2500);
    assert.equal(await other.db.read.get("SELECT value FROM kv WHERE key = 'probe-b'"), undefined);
  });

  test("a COMMIT message of several statements still fails within 5 s of a partition (its patience ends with the LISTEN heartbeat)", async (t) => {
    const { cut } = await backends(t);
    while (!cut.listener.connected) await sleep(20);
    let down = 0;
    const r = await timed(() =>
      cut.db.tx(async (q) => {
        await q.get("SELECT 1");
        q.queue?.("INSERT INTO kv (key, value) VALUES (?, ?)", ["several-a", "x"]);
        q.queue?.("INSERT INTO kv (key, value) VALUES (?, ?)", ["several-b", "x"]);
        q.beforeCommit?.(async () => {
          lab.partition(0);
          down = performance.now();
        });
      }),
    );
    const failedAfter = performance.now() - down;
    lab.heal(0);
    assert.equal(r.code, "OUTCOME_UNKNOWN");
    assert.ok(failedAfter <= 5000, `failed ${failedAfter.toFixed(0)} ms after the partition`);
    t.diagnostic(`failed ${failedAfter.toFixed(0)} ms after the partition`);
  });

  test("tear down the lab", async () => {
    await server.stop?.();
    lab.close();
  });
});
