/** Conformance cases for the change log (SPEC §4). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Change } from "../../src/domain/changes.js";
import { compareCursors } from "../../src/domain/cursor.js";
import type { Suite } from "./harness.js";

async function all(log: { since(c: string | undefined, n: number): Promise<{ changes: Change[] }> }, from?: string) {
  const out: Change[] = [];
  let cursor = from;
  for (;;) {
    const { changes } = await log.since(cursor, 3);
    if (changes.length === 0) return out;
    out.push(...changes);
    cursor = changes[changes.length - 1].cursor;
  }
}

export function changesConformance(s: Suite): void {
  test("changes: one record per write, in cursor order, with origin and version", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    assert.equal(await b.changes.head(), undefined);
    await b.conversations.createSession({ id: "a" });
    await b.conversations.append({ sessionId: "a", messages: [{ role: "user", content: "secret body" }, { role: "user" }] });
    await b.conversations.updateSession({ id: "a", title: "t" });
    await b.conversations.truncate("a", 1);
    await b.conversations.compact("a");
    await b.conversations.deleteSession("a");
    const changes = await all(b.changes);
    assert.deepEqual(changes.map((c) => c.type), [
      "session.created", "message.appended", "session.updated", "session.truncated", "session.compacted", "session.deleted",
    ]);
    assert.ok(changes.every((c) => c.domain === "sessions" && c.id === "a" && typeof c.origin === "string" && c.origin.length > 0));
    assert.deepEqual(changes.map((c) => c.version), [1, 2, 3, 4, 4, 4]);
    assert.deepEqual(changes[1].data, { firstSeq: 1, lastSeq: 2 });
    assert.ok(!JSON.stringify(changes).includes("secret body"), "change data never carries message bodies");
    assert.equal(await b.changes.head(), changes[changes.length - 1].cursor);
    // since(cursor) is exclusive and resumes exactly; "0" (the cursor of an empty log) means from the start
    const tail = await all(b.changes, changes[2].cursor);
    assert.deepEqual(tail, changes.slice(3));
    assert.deepEqual(await all(b.changes, "0"), changes);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(await all(b2.changes), changes);
      await b2.conversations.createSession({ id: "after" });
      const next = await all(b2.changes, changes[changes.length - 1].cursor);
      assert.deepEqual(next.map((c) => c.id), ["after"]);
    }
  });

  test("changes: a failed write records nothing", async (t) => {
    const { backend: b } = await s.open(t);
    await b.conversations.createSession({ id: "x" });
    const head = await b.changes.head();
    await assert.rejects(b.conversations.createSession({ id: "x" }));
    await assert.rejects(b.conversations.append({ sessionId: "x", messages: [{ role: "u" }], expectedLastSeq: 9 }));
    await assert.rejects(b.conversations.updateSession({ id: "x", expectedVersion: 7, title: "no" }));
    assert.equal(await b.changes.head(), head);
  });

  test("changes: watch sees new changes in order", async (t) => {
    const { backend: b } = await s.open(t);
    const seen: string[] = [];
    const stop = b.changes.watch((c) => seen.push(`${c.type}:${c.id}`));
    t.after(stop);
    await b.conversations.createSession({ id: "w1" });
    await b.conversations.append({ sessionId: "w1", messages: [{ role: "user" }] });
    const deadline = Date.now() + 2000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ["session.created:w1", "message.appended:w1"]);
  });

  test("changes: prune keeps the newest and reports reset for older cursors", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    for (let i = 0; i < 10; i++) {
      await b.conversations.createSession({ id: `p${i}` });
      f.clock.advance(60_000);
    }
    const before = await all(b.changes);
    const pruned = await b.changes.prune(f.clock.now(), 4);
    assert.equal(pruned, 6);
    const after = await all(b.changes);
    assert.deepEqual(after, before.slice(6));
    assert.equal((await b.changes.since(before[0].cursor, 10)).reset, true);
    assert.equal((await b.changes.since(before[5].cursor, 10)).reset, false);
    await assert.rejects(b.changes.since("not-a-cursor-at-all", 10), { code: "INVALID_PARAMS" });
  });

  test("changes: a prune keeping none still keeps the newest, and new changes get cursors above all earlier ones", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    for (let i = 0; i < 3; i++) await b.conversations.createSession({ id: `gone${i}` });
    const before = await all(b.changes);
    f.clock.advance(60_000);
    assert.equal(await b.changes.prune(f.clock.now(), 0), before.length - 1);
    assert.deepEqual(await all(b.changes), before.slice(-1));
    await b.conversations.createSession({ id: "after" });
    await b.conversations.createSession({ id: "after2" });
    const after = (await all(b.changes)).slice(1);
    assert.deepEqual(after.map((c) => c.id), ["after", "after2"]);
    for (const c of after) assert.ok(compareCursors(c.cursor, before[before.length - 1].cursor) > 0, `${c.cursor} is above ${before[before.length - 1].cursor}`);
    assert.ok(compareCursors(after[1].cursor, after[0].cursor) > 0);
  });

  test("changes: pruning while subscribers resume never leaves a silent gap (R11)", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const seen: Change[] = [];
    const stop = b.changes.watch((c) => seen.push(c));
    t.after(stop);
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await b.conversations.append({ sessionId: "r11", createSession: true, messages: [{ role: "user" }] });
        f.clock.advance(1000);
      }
    };
    // A watcher may start reading a moment after watch() returns: write until it sees something.
    for (let deadline = Date.now() + 5000; seen.length === 0 && Date.now() < deadline; ) {
      await write(1);
      await new Promise((r) => setTimeout(r, 50));
    }
    const firstSeen = seen[0].cursor;
    await write(30);
    const early = (await all(b.changes)).filter((_, i) => i % 3 === 0);
    const checks: Array<{ from: string; changes: Change[]; reset: boolean }> = [];
    const readers = async () => {
      for (let round = 0; round < 20; round++) {
        const known = [...early, ...(await all(b.changes)).filter((_, i) => i % 5 === 0)];
        for (const c of known) checks.push({ from: c.cursor, ...(await b.changes.since(c.cursor, 7)) });
        await new Promise((r) => setTimeout(r, 1)); // let the pruner's writes in
      }
    };
    const pruner = async () => {
      for (let round = 0; round < 10; round++) {
        await b.changes.prune(new Date(f.clock.now().getTime() - 20_000), 5);
        await write(3);
      }
    };
    await Promise.all([readers(), pruner(), readers()]);
    const deadline = Date.now() + 5000;
    const head = await b.changes.head();
    while (seen.at(-1)?.cursor !== head && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // Every change ever written, in cursor order, as a live watcher saw them: a resumed read that
    // is not a reset must be exactly the next changes after its cursor.
    const order = new Map(seen.map((c, i) => [c.cursor, i]));
    let resets = 0;
    for (const { from, changes, reset } of checks) {
      if (reset) {
        resets++;
        continue;
      }
      if (compareCursors(from, firstSeen) < 0) continue; // written before the watcher was reading
      const at = order.get(from);
      assert.ok(at !== undefined, `cursor ${from} was written`);
      assert.deepEqual(changes.map((c) => c.cursor), seen.slice(at + 1, at + 1 + changes.length).map((c) => c.cursor), `since(${from}) without reset has no gap`);
    }
    assert.ok(resets > 0, "the readers did meet pruned cursors");
  });
}
