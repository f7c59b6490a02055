/** Conformance cases for plans (SPEC §3.4, §2, §4). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { planIdFromUri, type PlanStatus } from "../../src/domain/plans.js";
import type { Suite } from "./harness.js";

const ODD_IDS = ["../../etc/passwd", "a/b", "telegram:123", "telegram_123", "ünï cödé 🦊", "CON", ".", "..", "a\\b", " spaced ", "50%", "q?x#y"];
const STATUSES: PlanStatus[] = ["draft", "pending", "approved", "rejected"];
const BODY = "---\ntitle: not front matter\n---\r\n# Plan\n\n- [ ] step one  \n- [x] step `two`\\n\n\t```sh\n\techo \"$HOME\" \\\n\t  | tr a b\n\t```\nÜnïcödé 🦊 — “quotes”\n\n\nno final newline";

async function allPlans(b: Backend, query: { sessionId?: string; status?: PlanStatus }, limit: number) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const p = await b.plans.listPlans({ ...query, limit, cursor });
    assert.ok(p.items.length <= limit);
    for (const item of p.items) assert.equal((item as Record<string, unknown>).body, undefined, "lists carry no bodies");
    ids.push(...p.items.map((x) => x.id));
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

export function plansConformance(s: Suite): void {
  test("plans: save creates with defaults, uri and slug; get returns it exactly", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const p = await b.plans.savePlan({ id: "01J0PLAN", title: "Fix the Ünïcode bug, then ship!", body: BODY, sessionId: "s1" });
    assert.equal(p.uri, "agentstate://plans/01J0PLAN");
    assert.equal(p.slug, "fix-the-unicode-bug-then-ship");
    assert.deepEqual([p.status, p.version, p.sessionId, p.body], ["draft", 1, "s1", BODY]);
    assert.match(p.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(p.updatedAt, p.createdAt);
    assert.deepEqual(await b.plans.getPlan("01J0PLAN"), p);
    assert.equal(planIdFromUri(p.uri), "01J0PLAN");
    const untitled = await b.plans.savePlan({ id: "x", title: "日本語" });
    assert.deepEqual([untitled.slug, untitled.body, untitled.sessionId], ["plan", "", undefined]);
    await assert.rejects(b.plans.savePlan({ id: "no-title", body: "b" }), { code: "INVALID_PARAMS" });
    await assert.rejects(b.plans.getPlan("no-title"), { code: "NOT_FOUND" });
    if (s.caps.durable) assert.deepEqual(await (await f.reopen()).plans.getPlan("01J0PLAN"), p);
  });

  test("plans: save changes the given fields, keeps the slug, bumps the version; a conflict changes nothing", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.plans.savePlan({ id: "p", title: "First title", body: "v1", sessionId: "s1" });
    f.clock.advance(1000);
    const v2 = await b.plans.savePlan({ id: "p", status: "pending", expectedVersion: 1 });
    assert.deepEqual([v2.version, v2.status, v2.body, v2.title, v2.sessionId], [2, "pending", "v1", "First title", "s1"]);
    assert.ok(v2.updatedAt > v2.createdAt);
    await assert.rejects(b.plans.savePlan({ id: "p", status: "approved", expectedVersion: 1 }), { code: "CONFLICT" });
    assert.deepEqual(await b.plans.getPlan("p"), v2);
    const v3 = await b.plans.savePlan({ id: "p", title: "Renamed", body: "v3", sessionId: null });
    assert.deepEqual([v3.version, v3.title, v3.slug, v3.body, v3.sessionId], [3, "Renamed", "first-title", "v3", undefined]);
    const v4 = await b.plans.savePlan({ id: "p", slug: "renamed" });
    assert.equal(v4.slug, "renamed");
    // any status may follow any other
    for (const status of ["approved", "draft", "rejected", "pending"] as const) assert.equal((await b.plans.savePlan({ id: "p", status })).status, status);
    await assert.rejects(b.plans.savePlan({ id: "q", title: "t", expectedVersion: 1 }), { code: "CONFLICT" });
    await assert.rejects(b.plans.getPlan("q"), { code: "NOT_FOUND" });
    if (s.caps.durable) assert.equal((await (await f.reopen()).plans.getPlan("p")).version, 8);
  });

  test("plans: odd ids are data, with distinct uris that lead back to them", async (t) => {
    const f = await s.open(t);
    for (const id of ODD_IDS) await f.backend.plans.savePlan({ id, title: id, body: `# ${id}` });
    const check = async (b: Backend) => {
      const uris = new Set<string>();
      for (const id of ODD_IDS) {
        const p = await b.plans.getPlan(id);
        assert.deepEqual([p.title, p.body], [id, `# ${id}`]);
        assert.doesNotThrow(() => new URL(p.uri), `${p.uri} is a valid URL`);
        assert.equal(planIdFromUri(p.uri), id);
        uris.add(p.uri);
      }
      assert.equal(uris.size, ODD_IDS.length);
      assert.deepEqual((await allPlans(b, {}, 1000)).sort(), [...ODD_IDS].sort());
    };
    await check(f.backend);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("plans: list newest first, pages to the end, filters by sessionId and status", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const ids = Array.from({ length: 24 }, (_, i) => `p${String(i).padStart(2, "0")}`);
    for (const [i, id] of ids.entries()) {
      f.clock.advance(1000);
      await b.plans.savePlan({ id, title: `plan ${i}`, sessionId: i % 2 ? "odd" : "even", status: STATUSES[i % 4] });
    }
    f.clock.advance(1000);
    await b.plans.savePlan({ id: "p00", body: "edited later" }); // editing does not reorder
    const newestFirst = [...ids].reverse();
    const check = async (b: Backend) => {
      assert.deepEqual(await allPlans(b, {}, 7), newestFirst);
      assert.deepEqual(await allPlans(b, {}, 8), newestFirst);
      assert.deepEqual(await allPlans(b, { sessionId: "odd" }, 5), newestFirst.filter((id) => Number(id.slice(1)) % 2 === 1));
      assert.deepEqual(await allPlans(b, { status: "approved" }, 100), ["p22", "p18", "p14", "p10", "p06", "p02"]);
      assert.deepEqual(await allPlans(b, { sessionId: "even", status: "pending" }, 100), []);
      assert.deepEqual(await allPlans(b, { sessionId: "odd", status: "pending" }, 2), ["p21", "p17", "p13", "p09", "p05", "p01"]);
      const first = await b.plans.listPlans({ limit: 1 });
      assert.deepEqual(Object.keys(first.items[0]).sort(), ["createdAt", "id", "sessionId", "slug", "status", "title", "updatedAt", "uri", "version"]);
      assert.deepEqual(await b.plans.listPlans({ sessionId: "nobody", limit: 10 }), { items: [], nextCursor: null });
    };
    await check(b);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("plans: delete with expectedVersion; NOT_FOUND afterwards", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.plans.savePlan({ id: "d", title: "doomed" });
    await b.plans.savePlan({ id: "d", status: "rejected" });
    await assert.rejects(b.plans.deletePlan("d", 1), { code: "CONFLICT" });
    assert.equal((await b.plans.getPlan("d")).status, "rejected");
    await b.plans.deletePlan("d", 2);
    await assert.rejects(b.plans.getPlan("d"), { code: "NOT_FOUND" });
    await assert.rejects(b.plans.deletePlan("d"), { code: "NOT_FOUND" });
    assert.deepEqual((await b.plans.listPlans({ limit: 10 })).items, []);
    if (s.caps.durable) await assert.rejects((await f.reopen()).plans.getPlan("d"), { code: "NOT_FOUND" });
  });

  test("plans: one change record per write, in order, without the body", async (t) => {
    const { backend: b } = await s.open(t);
    const start = await b.changes.head();
    await b.plans.savePlan({ id: "c", title: "t", body: "SECRET PLAN BODY" });
    await b.plans.savePlan({ id: "c", status: "approved" });
    await assert.rejects(b.plans.savePlan({ id: "c", status: "draft", expectedVersion: 1 }));
    await assert.rejects(b.plans.savePlan({ id: "untitled" }));
    await assert.rejects(b.plans.deletePlan("missing"));
    await b.plans.deletePlan("c");
    const { changes } = await b.changes.since(start, 100);
    assert.deepEqual(changes.map((c) => [c.domain, c.type, c.id, c.version]), [
      ["plans", "plan.saved", "c", 1],
      ["plans", "plan.saved", "c", 2],
      ["plans", "plan.deleted", "c", 2],
    ]);
    assert.deepEqual(changes[1].data, { status: "approved" });
    assert.ok(!JSON.stringify(changes).includes("SECRET"));
  });

  test("plans: ties in createdAt list by id descending in code point order (astral, private use, CJK)", async (t) => {
    const f = await s.open(t);
    const ids = ["a\uFF5E", "a\u{1F98A}", "\u4E2D", "\u65E5\u672C", "z", "a\uE000", "a"];
    for (const id of ids) await f.backend.plans.savePlan({ id, title: "same instant" });
    const order = ["\u65E5\u672C", "\u4E2D", "z", "a\u{1F98A}", "a\uFF5E", "a\uE000", "a"];
    assert.notDeepEqual([...ids].sort().reverse(), order, "UTF-16 code unit order would differ");
    assert.deepEqual(await allPlans(f.backend, {}, 2), order);
    assert.deepEqual(await allPlans(f.backend, { status: "draft" }, 3), order);
    if (s.caps.durable) assert.deepEqual(await allPlans(await f.reopen(), {}, 4), order);
  });

  test("plans: restore writes the plan as it was (times, version, status, body), replaces a stored one, and lists it by its createdAt", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const restore = b.restore;
    f.clock.advance(1000);
    await b.plans.savePlan({ id: "fresh", title: "Made here" });
    const start = await b.changes.head();
    const old = {
      id: "old", title: "Imported", slug: "imported", body: BODY, status: "approved" as const, sessionId: "s1",
      createdAt: "2020-01-01T00:00:00.000Z", updatedAt: "2021-02-03T04:05:06.007Z", version: 5, uri: "agentstate://plans/old",
    };
    await restore.plan(old);
    assert.deepEqual(await b.plans.getPlan("old"), old);
    await restore.plan(old);
    assert.deepEqual(await allPlans(b, {}, 10), ["fresh", "old"]);
    assert.deepEqual(await allPlans(b, { status: "approved" }, 10), ["old"]);
    // restored again with another createdAt, status and session: every listing follows
    const moved = { ...old, status: "draft" as const, sessionId: "s2", createdAt: "2999-01-01T00:00:00.000Z", body: "short", version: 6 };
    await restore.plan(moved);
    assert.deepEqual(await b.plans.getPlan("old"), moved);
    assert.deepEqual(await allPlans(b, {}, 10), ["old", "fresh"]);
    assert.deepEqual(await allPlans(b, { status: "approved" }, 10), []);
    assert.deepEqual(await allPlans(b, { sessionId: "s1" }, 10), []);
    assert.deepEqual(await allPlans(b, { sessionId: "s2", status: "draft" }, 10), ["old"]);
    const saved = await b.plans.savePlan({ id: "old", status: "pending", expectedVersion: 6 });
    assert.deepEqual([saved.version, saved.createdAt, saved.body], [7, moved.createdAt, "short"]);
    const changes = (await b.changes.since(start, 100)).changes.map((c) => [c.type, c.id, c.version, (c.data as { restored?: boolean } | undefined)?.restored]);
    assert.deepEqual(changes, [["plan.saved", "old", 5, true], ["plan.saved", "old", 5, true], ["plan.saved", "old", 6, true], ["plan.saved", "old", 7, undefined]]);
    if (s.caps.durable) assert.deepEqual(await (await f.reopen()).plans.getPlan("old"), saved);
  });
}
