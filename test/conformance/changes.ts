/** Conformance cases for the change log (SPEC §4). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Change } from "../../src/domain/changes.js";
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
}
