/**
 * Changesets and invocations on Redis: the conformance cases, plus record calls racing from two
 * daemons on one key prefix (dense seqs) and deleteForPlan racing record calls.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { RedisBackend } from "../../src/backends/redis/index.js";
import { makeSuite, type BackendFactory, type Suite } from "../conformance/harness.js";
import { redis } from "../helpers/redis.js";

const factory: BackendFactory = async (ctx) => new RedisBackend({ ...ctx, url: (await redis()).url, prefix: `${ctx.isolationKey}:` });

/** A second daemon on the fixture's key prefix, closed after the test. */
async function secondHost(t: { after(fn: () => Promise<void>): void }, b: Backend): Promise<Backend> {
  const other = new RedisBackend({ origin: "host-b", now: () => new Date(), url: (await redis()).url, prefix: (b as unknown as RedisBackend).keys.prefix }) as unknown as Backend;
  await other.open();
  t.after(() => other.close());
  return other;
}

function extras(s: Suite): void {
  test("changesets: 24 record calls from two daemons get dense, distinct seq ranges", async (t) => {
    const { backend: a } = await s.open(t);
    const b = await secondHost(t, a);
    await a.changesets.start({ id: "busy", planId: "p" });
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        (i % 2 ? b : a).changesets.record("busy", Array.from({ length: (i % 3) + 1 }, (_, j) => ({ id: `e${i}-${j}`, path: `f${i}.ts`, operation: "modify" as const }))),
      ),
    );
    const ranges = results.map((r) => [r.firstSeq, r.lastSeq]).sort((x, y) => x[0] - y[0]);
    let next = 1;
    for (const [first, last] of ranges) {
      assert.equal(first, next, "no overlap, no hole");
      next = last + 1;
    }
    const got = await b.changesets.get("busy");
    assert.deepEqual(got.entries.map((e) => e.seq), Array.from({ length: next - 1 }, (_, i) => i + 1));
    for (const r of results) assert.deepEqual(got.entries.slice(r.firstSeq - 1, r.lastSeq).map((e) => e.id), r.entryIds, "each call's entries stay together");
  });

  test("changesets: deleteForPlan racing record calls counts exactly what it removed", async (t) => {
    const { backend: a } = await s.open(t);
    const b = await secondHost(t, a);
    await a.changesets.start({ id: "c1", planId: "p" });
    await a.changesets.start({ id: "c2", planId: "p" });
    const records = Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).changesets.record(i % 3 ? "c1" : "c2", [{ id: `r${i}`, path: "x", operation: "create" as const }]).then(
      (r) => r.lastSeq - r.firstSeq + 1,
      (e: { code?: string }) => (assert.equal(e.code, "NOT_FOUND"), 0),
    ));
    const [deleted, ...recorded] = await Promise.all([a.changesets.deleteForPlan("p"), ...records]);
    assert.equal(deleted.changesets, 2);
    const after = await a.changes.since(undefined, 1000);
    const deletedEntries = after.changes.filter((c) => c.type === "changeset.deleted").reduce((n, c) => n + (c.data as { entries: number }).entries, 0);
    assert.equal(deletedEntries, deleted.entries);
    assert.equal(recorded.reduce((n, x) => n + x, 0), deleted.entries, "every acknowledged entry was counted; none survived");
    assert.deepEqual((await b.changesets.listForPlan({ planId: "p", limit: 10 })).items, []);
  });

  test("invocations: concurrent first saves of one id from two daemons: exactly one is the creation", async (t) => {
    const { backend: a } = await s.open(t);
    const b = await secondHost(t, a);
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).changesets.saveInvocation({ id: "same", planId: "p", toolName: "t", arguments: null, status: "running" })));
    const { changes } = await a.changes.since(undefined, 100);
    assert.equal(changes.length, 8);
    assert.equal(changes.filter((c) => (c.data as { created: boolean }).created).length, 1);
    assert.equal((await a.changesets.listInvocationsForPlan({ planId: "p", limit: 10 })).items.length, 1);
  });
}

describe("redis: changesets beyond conformance", () => extras(makeSuite("redis-changesets-extra", factory, { durable: true })));
