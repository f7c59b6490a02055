/**
 * A Postgres transaction's messages (docs/decisions/postgres-round-trips.md): what a caller is told
 * when a message holding COMMIT never left, and how long a message of several statements may wait
 * on row locks while the server is alive.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import pg from "pg";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { postgres } from "../helpers/postgres.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let n = 0;

async function open(t: TestContext): Promise<{ b: PostgresBackend; url: string; schema: string }> {
  const url = (await postgres()).url;
  const schema = `t_pg_tx_${process.pid}_${n++}`;
  const b = new PostgresBackend({ url, schema, origin: "t", now: () => new Date() });
  await b.open();
  t.after(() => b.close());
  while (!b.listener.connected) await sleep(20);
  return { b, url, schema };
}

test("postgres: a COMMIT that pg never sent (the server had ended the idle transaction) is BACKEND_UNAVAILABLE, not OUTCOME_UNKNOWN", { timeout: 30_000 }, async (t) => {
  const { b } = await open(t);
  await assert.rejects(
    b.db.tx(async (q) => {
      await q.get("SELECT 1");
      await sleep(2600); // past idle_in_transaction_session_timeout (2 s): the server ends the session
      q.queue?.("INSERT INTO kv (key, value) VALUES (?, ?)", ["late", "x"]);
    }),
    { code: "BACKEND_UNAVAILABLE" },
  );
  assert.equal(await b.db.read.get("SELECT value FROM kv WHERE key = 'late'"), undefined);
});

test("postgres: writes that wait on other transactions' row locks for longer than the reply timeout in all, each within lock_timeout, commit", { timeout: 30_000 }, async (t) => {
  const { b, url, schema } = await open(t);
  // Two other sessions hold the keys we insert, and give them up after 1.6 s and 3.2 s: each of our
  // INSERTs waits 1.6 s, 3.2 s in all, past the 3 s reply timeout.
  const holders = await Promise.all(
    ["k1", "k2"].map(async (key) => {
      const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await c.connect();
      t.after(() => c.end());
      await c.query("BEGIN");
      await c.query("INSERT INTO kv (key, value) VALUES ($1, 'theirs')", [key]);
      return c;
    }),
  );
  const released = [sleep(1600).then(() => holders[0].query("ROLLBACK")), sleep(3200).then(() => holders[1].query("ROLLBACK"))];
  const t0 = performance.now();
  await b.db.tx(async (q) => {
    q.queue?.("INSERT INTO kv (key, value) VALUES (?, ?)", ["k1", "mine"]);
    q.queue?.("INSERT INTO kv (key, value) VALUES (?, ?)", ["k2", "mine"]);
  });
  const took = performance.now() - t0;
  await Promise.all(released);
  assert.ok(took > 3000, `the writes waited ${took.toFixed(0)} ms, not past the reply timeout: the test proves nothing`);
  const rows = await b.db.read.all<{ key: string; value: string }>("SELECT key, value FROM kv WHERE key IN ('k1', 'k2') ORDER BY key");
  assert.deepEqual(rows, [{ key: "k1", value: "mine" }, { key: "k2", value: "mine" }]);
  t.diagnostic(`committed after ${took.toFixed(0)} ms`);
});

test("postgres: a message of many statements stuck behind a live server still ends (three extra statements' worth of patience, 10.5 s)", { timeout: 60_000 }, async (t) => {
  const { b, url, schema } = await open(t);
  const holder = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await holder.connect();
  t.after(() => holder.end());
  await holder.query("BEGIN");
  await holder.query("INSERT INTO kv (key, value) VALUES ('stuck', 'theirs')");
  const t0 = performance.now();
  await assert.rejects(
    b.db.tx(async (q) => {
      // No server-side bound, as a migration's transaction has: only the client's patience can end the wait.
      await q.run("SET LOCAL statement_timeout = 0");
      await q.run("SET LOCAL lock_timeout = 0");
      for (let i = 0; i < 10; i++) q.queue?.("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", [i === 0 ? "stuck" : `free-${i}`, "mine"]);
    }),
    { code: "OUTCOME_UNKNOWN" },
  );
  const waited = performance.now() - t0;
  await holder.query("ROLLBACK");
  assert.ok(waited >= 10_000 && waited < 13_000, `gave up after ${waited.toFixed(0)} ms`);
  t.diagnostic(`gave up after ${waited.toFixed(0)} ms`);
});

test("postgres: a transaction that neither reads nor writes sends nothing, not even BEGIN", async (t) => {
  const { b } = await open(t);
  let sent = 0;
  const lease = await b.db.pool.connect();
  lease.release(); // warm, so that the pool's own connect sends nothing during the count
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back below; called with apply on its client
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (typeof args[0] === "string" && !args[0].includes("sequence_changes") && args[0] !== "SELECT 1") sent++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    assert.equal(await b.db.tx(async () => 42), 42);
  } finally {
    pg.Client.prototype.query = query;
  }
  assert.equal(sent, 0);
});
