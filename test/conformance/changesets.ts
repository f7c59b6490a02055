/** Conformance cases for changesets (SPEC §3.6, §2, §4); invocations are in ./invocations.ts. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, NewEntry } from "../../src/backends/contract.js";
import { summarize } from "../../src/domain/changesets.js";
import { changesSince, ODD_PLAN_IDS } from "./changesets-fixtures.js";
import type { Suite } from "./harness.js";
import { changesetsCoreConformance } from "./changesets-core.js";
import { invocationsConformance } from "./invocations.js";

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let n = 0;
const entry = (path: string, operation: NewEntry["operation"] = "modify", extra: Partial<NewEntry> = {}): NewEntry => ({
  id: `e${++n}`,
  path,
  operation,
  ...extra,
});

export function changesetsConformance(s: Suite): void {
  test("changesets: an empty changeset is linked to its plan, also after reopen", async (t) => {
    const f = await s.open(t);
    const cs = await f.backend.changesets.start({ id: "cs1", planId: "p1" });
    assert.deepEqual(Object.keys(cs).sort(), ["createdAt", "id", "planId", "status", "updatedAt"]);
    assert.equal(cs.status, "open");
    assert.match(cs.createdAt, STAMP);
    assert.equal(cs.updatedAt, cs.createdAt);
    const check = async (b: Backend) => {
      assert.deepEqual(await b.changesets.get("cs1"), { ...cs, entries: [] });
      assert.deepEqual(await b.changesets.listForPlan({ planId: "p1", limit: 10 }), { items: [cs], nextCursor: null });
      assert.deepEqual(await b.changesets.listForPlan({ planId: "p2", limit: 10 }), { items: [], nextCursor: null });
    };
    await check(f.backend);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await check(b2);
    }
  });

  test("changesets: start with an existing id is CONFLICT; get of a missing one is NOT_FOUND", async (t) => {
    const { backend: b } = await s.open(t);
    await b.changesets.start({ id: "dup", planId: "p1" });
    await assert.rejects(b.changesets.start({ id: "dup", planId: "p2" }), { code: "CONFLICT" });
    assert.equal((await b.changesets.listForPlan({ planId: "p2", limit: 10 })).items.length, 0);
    await assert.rejects(b.changesets.get("nope"), { code: "NOT_FOUND" });
  });

  test("changesets: record appends entries with dense seqs across calls", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const cs = await b.changesets.start({ id: "cs", planId: "p" });
    f.clock.advance(1000);
    const r1 = await b.changesets.record("cs", [entry("a.ts", "create"), entry("b.ts")]);
    assert.deepEqual(r1, { changesetId: "cs", firstSeq: 1, lastSeq: 2, entryIds: [`e${n - 1}`, `e${n}`] });
    f.clock.advance(1000);
    const r2 = await b.changesets.record("cs", [entry("c.ts", "delete")]);
    assert.deepEqual([r2.firstSeq, r2.lastSeq], [3, 3]);
    const r3 = await b.changesets.record("cs", [entry("d.ts"), entry("e.ts"), entry("f.ts")]);
    assert.deepEqual([r3.firstSeq, r3.lastSeq], [4, 6]);
    const check = async (b: Backend) => {
      const got = await b.changesets.get("cs");
      assert.deepEqual(got.entries.map((e) => e.seq), [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(got.entries.map((e) => e.path), ["a.ts", "b.ts", "c.ts", "d.ts", "e.ts", "f.ts"]);
      assert.deepEqual(got.entries.map((e) => e.id), [...r1.entryIds, ...r2.entryIds, ...r3.entryIds]);
      assert.ok(got.entries.every((e) => e.changesetId === "cs" && e.planId === "p" && STAMP.test(e.createdAt)));
      assert.equal(got.entries[0].createdAt, "2026-03-01T12:00:01.000Z");
      assert.equal(got.updatedAt, "2026-03-01T12:00:02.000Z");
      assert.equal(got.createdAt, cs.createdAt);
    };
    await check(b);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await check(b2);
      assert.deepEqual((await b2.changesets.record("cs", [entry("g.ts")])).firstSeq, 7);
    }
  });

  test("changesets: record is all or nothing; a missing changeset is NOT_FOUND and writes nothing", async (t) => {
    const { backend: b } = await s.open(t);
    await b.changesets.start({ id: "real", planId: "p" });
    await b.changesets.record("real", [entry("x")]);
    const head = await b.changes.head();
    await assert.rejects(b.changesets.record("ghost", [entry("y"), entry("z")]), { code: "NOT_FOUND" });
    await assert.rejects(b.changesets.get("ghost"), { code: "NOT_FOUND" });
    assert.equal(await b.changes.head(), head);
    assert.deepEqual((await b.changesets.get("real")).entries.map((e) => e.path), ["x"]);
    assert.deepEqual((await b.changesets.record("real", [entry("w")])).firstSeq, 2);
  });

  test("changesets: entry fields and unified diff text survive exactly", async (t) => {
    const f = await s.open(t);
    const diff = [
      "--- a/src/ünï.ts\t2026-03-01 12:00:00.000000000 +0000",
      "+++ b/src/ünï.ts\t2026-03-01 12:00:01.000000000 +0000",
      "@@ -1,3 +1,3 @@",
      ' const re = /\\d+\\n/;',
      '-const s = "a\\\\b";\r',
      '+const s = "a\\\\b 🦊 \u2028 \u00e9 e\u0301";\r',
      "   \t trailing  ",
      "\\ No newline at end of file",
      "",
    ].join("\n");
    const rich = entry("src/ünï.ts", "modify", { beforeHash: "sha256:00ff", afterHash: "sha256:ff00", diff, invocationId: "toolu_01" });
    const moved = entry("new/name.ts", "rename", { fromPath: "old/name.ts" });
    await f.backend.changesets.start({ id: "d", planId: "p" });
    await f.backend.changesets.record("d", [rich, moved]);
    const check = async (b: Backend) => {
      const [e1, e2] = (await b.changesets.get("d")).entries;
      assert.equal(e1.diff, diff);
      const { seq, changesetId, planId, createdAt, ...rest } = e1;
      assert.deepEqual([seq, changesetId, planId, STAMP.test(createdAt)], [1, "d", "p", true]);
      assert.deepEqual(rest, rich);
      assert.equal(e2.fromPath, "old/name.ts");
      assert.deepEqual(Object.keys(e2).sort(), ["changesetId", "createdAt", "fromPath", "id", "operation", "path", "planId", "seq"]);
    };
    await check(f.backend);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("changesets: summarize counts operations and lists paths touched", async (t) => {
    const { backend: b } = await s.open(t);
    await b.changesets.start({ id: "s", planId: "p" });
    assert.deepEqual(summarize(await b.changesets.get("s")), {
      id: "s", planId: "p", status: "open", entries: 0, operations: { create: 0, modify: 0, delete: 0, rename: 0 }, paths: [],
    });
    await b.changesets.record("s", [entry("z.ts", "create"), entry("a.ts"), entry("a.ts"), entry("m.ts", "delete")]);
    await b.changesets.record("s", [entry("b.ts", "rename", { fromPath: "old.ts" })]);
    assert.deepEqual(summarize(await b.changesets.get("s")), {
      id: "s",
      planId: "p",
      status: "open",
      entries: 5,
      operations: { create: 1, modify: 2, delete: 1, rename: 1 },
      paths: ["a.ts", "b.ts", "m.ts", "old.ts", "z.ts"],
    });
  });

  test("changesets: setStatus allows open → applied|discarded only", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.changesets.start({ id: "a", planId: "p" });
    await b.changesets.start({ id: "d", planId: "p" });
    f.clock.advance(5000);
    const applied = await b.changesets.setStatus("a", "applied");
    assert.equal(applied.status, "applied");
    assert.equal(applied.updatedAt, "2026-03-01T12:00:05.000Z");
    assert.equal((await b.changesets.setStatus("d", "discarded")).status, "discarded");
    const head = await b.changes.head();
    f.clock.advance(5000);
    assert.deepEqual(await b.changesets.setStatus("a", "applied"), applied, "repeating the status is a no-op");
    assert.equal(await b.changes.head(), head, "and records nothing");
    for (const [id, to] of [["a", "open"], ["a", "discarded"], ["d", "applied"], ["d", "open"]] as const) {
      await assert.rejects(b.changesets.setStatus(id, to), { code: "INVALID_STATE" });
    }
    await assert.rejects(b.changesets.record("a", [entry("late.ts")]), { code: "INVALID_STATE" });
    await assert.rejects(b.changesets.record("d", [entry("late.ts")]), { code: "INVALID_STATE" });
    await assert.rejects(b.changesets.setStatus("missing", "applied"), { code: "NOT_FOUND" });
    assert.equal(await b.changes.head(), head);
    assert.deepEqual((await b.changesets.get("a")).entries, []);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.equal((await b2.changesets.get("a")).status, "applied");
      await assert.rejects(b2.changesets.setStatus("d", "applied"), { code: "INVALID_STATE" });
    }
  });

  test("changesets: deleteForPlan returns counts and leaves other plans untouched", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.changesets.start({ id: "x1", planId: "doomed" });
    await b.changesets.start({ id: "x2", planId: "doomed" });
    await b.changesets.start({ id: "x3", planId: "doomed" });
    await b.changesets.record("x1", [entry("a"), entry("b")]);
    await b.changesets.record("x2", [entry("c")]);
    await b.changesets.setStatus("x2", "applied");
    await b.changesets.start({ id: "keep", planId: "kept" });
    await b.changesets.record("keep", [entry("k")]);
    await b.changesets.start({ id: "keep-empty", planId: "kept" });
    assert.deepEqual(await b.changesets.deleteForPlan("doomed"), { changesets: 3, entries: 3 });
    assert.deepEqual(await b.changesets.deleteForPlan("doomed"), { changesets: 0, entries: 0 });
    assert.deepEqual(await b.changesets.deleteForPlan("never-existed"), { changesets: 0, entries: 0 });
    const check = async (b: Backend) => {
      for (const id of ["x1", "x2", "x3"]) await assert.rejects(b.changesets.get(id), { code: "NOT_FOUND" });
      assert.deepEqual((await b.changesets.listForPlan({ planId: "doomed", limit: 10 })).items, []);
      assert.deepEqual((await b.changesets.listForPlan({ planId: "kept", limit: 10 })).items.map((c) => c.id).sort(), ["keep", "keep-empty"]);
      assert.deepEqual((await b.changesets.get("keep")).entries.map((e) => e.path), ["k"]);
    };
    await check(b);
    if (s.caps.durable) await check(await f.reopen());
    // the plan can start again (f.backend: the reopened store on durable backends)
    const again = await f.backend.changesets.start({ id: "x1", planId: "doomed" });
    assert.equal(again.status, "open");
  });

  test("changesets: listForPlan is oldest first and pages to the end", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      if (i % 3 === 0) f.clock.advance(1000); // some share a createdAt: the tie is broken by id
      const id = `c${String(22 - i).padStart(2, "0")}`;
      await b.changesets.start({ id, planId: "paged" });
      await b.changesets.start({ id: `other${i}`, planId: "other" });
      ids.push(id);
    }
    const expected = [...ids].sort((x, y) => {
      const tx = Math.floor(ids.indexOf(x) / 3);
      const ty = Math.floor(ids.indexOf(y) / 3);
      return tx - ty || (x < y ? -1 : 1);
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await b.changesets.listForPlan({ planId: "paged", limit: 5, cursor });
      assert.ok(p.items.length <= 5);
      seen.push(...p.items.map((c) => c.id));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, expected);
    const exact = await b.changesets.listForPlan({ planId: "paged", limit: 23 });
    assert.equal(exact.items.length, 23);
    assert.equal(exact.nextCursor, null);
    await assert.rejects(b.changesets.listForPlan({ planId: "paged", limit: 5, cursor: "garbage" }), { code: "INVALID_PARAMS" });
  });

  test("changesets: odd planIds are data and stay distinct", async (t) => {
    const f = await s.open(t);
    for (const [i, planId] of ODD_PLAN_IDS.entries()) {
      await f.backend.changesets.start({ id: `cs${i}`, planId });
      await f.backend.changesets.record(`cs${i}`, [entry(planId)]);
    }
    const check = async (b: Backend) => {
      for (const [i, planId] of ODD_PLAN_IDS.entries()) {
        const { items } = await b.changesets.listForPlan({ planId, limit: 10 });
        assert.deepEqual(items.map((c) => c.id), [`cs${i}`]);
        const got = await b.changesets.get(`cs${i}`);
        assert.equal(got.planId, planId);
        assert.equal(got.entries[0].path, planId);
      }
    };
    await check(f.backend);
    if (s.caps.durable) await check(await f.reopen());
    assert.deepEqual(await f.backend.changesets.deleteForPlan("telegram:123"), { changesets: 1, entries: 1 });
    assert.equal((await f.backend.changesets.listForPlan({ planId: "telegram_123", limit: 10 })).items.length, 1);
  });

  test("changesets: one change record per write, in order, without paths or diffs", async (t) => {
    const { backend: b } = await s.open(t);
    const start = await b.changes.head();
    await b.changesets.start({ id: "c1", planId: "p" });
    await b.changesets.start({ id: "c2", planId: "p" });
    await b.changesets.record("c1", [entry("secret/path.ts", "modify", { diff: "+secret diff body" }), entry("x")]);
    await b.changesets.setStatus("c1", "applied");
    await b.changesets.deleteForPlan("p");
    const changes = await changesSince(b, start);
    assert.deepEqual(changes.map((c) => [c.type, c.id]), [
      ["changeset.started", "c1"],
      ["changeset.started", "c2"],
      ["changeset.recorded", "c1"],
      ["changeset.recorded", "c1"],
      ["changeset.deleted", "c1"],
      ["changeset.deleted", "c2"],
    ]);
    assert.ok(changes.every((c) => c.domain === "changesets"));
    assert.deepEqual(changes.map((c) => c.data), [
      { planId: "p" },
      { planId: "p" },
      { planId: "p", firstSeq: 1, lastSeq: 2 },
      { planId: "p", status: "applied", from: "open" },
      { planId: "p", entries: 2 },
      { planId: "p", entries: 0 },
    ]);
    const text = JSON.stringify(changes);
    assert.ok(!text.includes("secret"), "change data never carries paths or diff text");
  });

  invocationsConformance(s);
  changesetsCoreConformance(s);
}
