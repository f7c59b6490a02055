/**
 * The Postgres change log without a global lock (docs/decisions/postgres-change-order.md) under
 * stress: four backends (four pools, as four daemons would have) on one schema, each with six
 * concurrent writers appending to sessions of their own, plus writers whose transactions hold their
 * change rows uncommitted for a while before COMMIT (so later writes commit and get sequenced first)
 * and writes that fail. Meanwhile a reader follows the log with since() from cursor 0 and another
 * backend's watch() listener follows it live. Every change must arrive exactly once, in strictly
 * increasing and gap-free cursor order, and each writer's changes in the order its writes committed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { recordChanges } from "../../src/backends/sql/changes.js";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import type { Change } from "../../src/domain/changes.js";
import { isConflict } from "../../src/domain/errors.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";

const skip = await postgresUnavailable();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const BACKENDS = 4;
const WRITERS = 6;
const SLOW_WRITERS = 2;
const DURATION_MS = 5000;

test("postgres change log: concurrent pools, one reader from cursor 0, every change once, in order", { skip, timeout: 120_000 }, async (t) => {
  const { url } = await postgres();
  const schema = `chg_order_${process.pid}`;
  const make = (origin: string) => new PostgresBackend({ url, schema, origin, now: () => new Date() });
  const writers = Array.from({ length: BACKENDS }, (_, i) => make(`w${i}`));
  const reader = make("reader");
  const watcher = make("watcher");
  const all = [...writers, reader, watcher];
  t.after(() => Promise.all(all.map((b) => b.close())));
  for (const b of all) await b.open();

  const live: Change[] = [];
  const unwatch = watcher.changes.watch((c) => live.push(c));
  t.after(unwatch);
  await sleep(300); // the watcher has read the (empty) head

  let running = true;
  /** Per writer: the firstSeq of each acknowledged append, in acknowledgement order. */
  const acked = new Map<string, number[]>();
  const slowAcked = new Map<string, number[]>();
  let conflicts = 0;
  const loops: Promise<void>[] = [];
  writers.forEach((backend, b) => {
    for (let w = 0; w < WRITERS; w++) {
      const session = `s-${b}-${w}`;
      acked.set(session, []);
      loops.push((async () => {
        await backend.conversations.createSession({ id: session });
        for (let i = 0; running; i++) {
          if (i % 7 === 3) {
            // A write that fails records nothing.
            await backend.conversations.append({ sessionId: session, messages: [{ role: "user", content: "no" }], expectedLastSeq: 999_999 }).catch((err: unknown) => {
              if (!isConflict(err)) throw err;
              conflicts++;
            });
            continue;
          }
          const r = await backend.conversations.append({ sessionId: session, messages: [{ role: "user", content: `${i}` }] });
          acked.get(session)?.push(r.firstSeq);
        }
      })());
    }
    for (let w = 0; w < SLOW_WRITERS; w++) {
      const key = `slow-${b}-${w}`;
      slowAcked.set(key, []);
      loops.push((async () => {
        for (let i = 0; running; i++) {
          await backend.db.tx(async (q) => {
            await recordChanges(q, backend.db, "change-order-test", new Date().toISOString(), [{ domain: "history", type: "history.appended", id: key, data: { n: i } }]);
            // Runs after the change rows are inserted and before COMMIT: they sit uncommitted while others commit.
            q.beforeCommit?.(async () => {
              await sleep(20 + Math.random() * 150);
            });
          });
          slowAcked.get(key)?.push(i);
        }
      })());
    }
  });

  const read: Change[] = [];
  let cursor = "0";
  const follow = async () => {
    for (;;) {
      const page = await reader.changes.since(cursor, 1000);
      assert.equal(page.reset, false);
      read.push(...page.changes);
      if (page.changes.length > 0) cursor = page.changes[page.changes.length - 1].cursor;
      if (page.changes.length < 1000) return;
    }
  };
  // At least DURATION_MS, longer on a slow machine until there is enough load to mean something.
  const t0 = performance.now();
  const written = () => [...acked.values(), ...slowAcked.values()].reduce((n, l) => n + l.length, 0);
  while (performance.now() - t0 < DURATION_MS || (written() < 500 && performance.now() - t0 < 30_000)) {
    await follow();
    await sleep(15);
  }
  running = false;
  await Promise.all(loops);
  await follow();

  // Strictly increasing and gap-free: cursor k+1 follows cursor k.
  for (let i = 1; i < read.length; i++) assert.equal(Number(read[i].cursor), Number(read[i - 1].cursor) + 1, `gap or reorder at ${i}: ${read[i - 1].cursor} then ${read[i].cursor}`);
  assert.equal(read[0]?.cursor, "1");

  // Every acknowledged write exactly once, each writer's in commit order.
  const appended = new Map<string, number[]>();
  const slow = new Map<string, number[]>();
  let created = 0;
  for (const c of read) {
    if (c.type === "message.appended") appended.set(c.id, [...(appended.get(c.id) ?? []), (c.data as { firstSeq: number }).firstSeq]);
    else if (c.type === "history.appended") slow.set(c.id, [...(slow.get(c.id) ?? []), (c.data as { n: number }).n]);
    else if (c.type === "session.created") created++;
    else assert.fail(`unexpected change ${c.type}`);
  }
  assert.equal(created, BACKENDS * WRITERS);
  let writes = 0;
  for (const [session, seqs] of acked) {
    assert.deepEqual(appended.get(session) ?? [], seqs, `${session}: the log differs from the acknowledged appends`);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
    writes += seqs.length;
  }
  for (const [key, ns] of slowAcked) {
    assert.deepEqual(slow.get(key) ?? [], ns, `${key}: the log differs from the acknowledged writes`);
    writes += ns.length;
  }
  assert.equal(read.length, writes + created);
  assert.ok(conflicts > 0 && writes >= 300, `too little load: ${writes} writes, ${conflicts} conflicts`);

  // The live watcher saw the same log (from where it started) once it caught up.
  const deadline = Date.now() + 5000;
  while (live.length < read.length && Date.now() < deadline) await sleep(20);
  assert.deepEqual(live.map((c) => c.cursor), read.map((c) => c.cursor));
  t.diagnostic(`${writes} writes from ${BACKENDS} pools × ${WRITERS + SLOW_WRITERS} writers in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${conflicts} failed writes, ${read.length} changes read in order`);
});
