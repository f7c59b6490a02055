/** Conformance cases for session groups (SPEC §3.2, §2, §4). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import type { Change } from "../../src/domain/changes.js";
import type { Suite } from "./harness.js";

const ODD_IDS = ["../../etc/passwd", "a/b", "telegram:123", "telegram_123", "ünï cödé 🦊", "CON", ".", "..", "a\\b", " spaced "];
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function changesAfter(b: Backend, cursor: string | undefined): Promise<Change[]> {
  return (await b.changes.since(cursor, 1000)).changes;
}

async function allIds(b: Backend, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let pages = 0;
  let cursor: string | undefined;
  do {
    const p = await b.groups.listGroups({ limit, cursor });
    assert.ok(p.items.length <= limit);
    ids.push(...p.items.map((g) => g.id));
    pages++;
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return { ids, pages };
}

export function groupsConformance(s: Suite): void {
  test("groups: put creates with defaults; get returns it; missing ids are NOT_FOUND", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const g = await b.groups.putGroup({ id: "g1", currentSessionId: "s1", metadata: { channel: "tg", n: [1, { x: null }] } });
    const { createdAt, updatedAt, ...rest } = g;
    assert.deepEqual(rest, { id: "g1", currentSessionId: "s1", history: [], metadata: { channel: "tg", n: [1, { x: null }] }, version: 1 });
    assert.match(createdAt, ISO_MS);
    assert.equal(updatedAt, createdAt);
    assert.deepEqual(await b.groups.getGroup("g1"), g);
    const bare = await b.groups.putGroup({ id: "bare" });
    assert.equal(bare.currentSessionId, undefined);
    assert.deepEqual([bare.history, bare.metadata], [[], {}]);
    await assert.rejects(b.groups.getGroup("nope"), { code: "NOT_FOUND" });
    await assert.rejects(b.groups.deleteGroup("nope"), { code: "NOT_FOUND" });
    await assert.rejects(b.groups.rollover({ id: "nope", newSessionId: "s" }), { code: "NOT_FOUND" });
    await assert.rejects(b.groups.getGroup("nope"), { code: "NOT_FOUND" });
    if (s.caps.durable) assert.deepEqual(await (await f.reopen()).groups.getGroup("g1"), g);
  });

  test("groups: put changes the given fields only and bumps the version; a stale expectedVersion changes nothing", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.groups.putGroup({ id: "g", currentSessionId: "s1", history: ["s0"], metadata: { a: 1 } });
    f.clock.advance(1000);
    const v2 = await b.groups.putGroup({ id: "g", metadata: { b: 2 }, expectedVersion: 1 });
    assert.equal(v2.version, 2);
    assert.equal(v2.currentSessionId, "s1");
    assert.deepEqual(v2.history, ["s0"]);
    assert.deepEqual(v2.metadata, { b: 2 });
    assert.ok(v2.updatedAt > v2.createdAt);
    await assert.rejects(b.groups.putGroup({ id: "g", currentSessionId: "other", expectedVersion: 1 }), { code: "CONFLICT" });
    assert.deepEqual(await b.groups.getGroup("g"), v2);
    await assert.rejects(b.groups.putGroup({ id: "fresh", expectedVersion: 1 }), { code: "CONFLICT" });
    await assert.rejects(b.groups.getGroup("fresh"), { code: "NOT_FOUND" });
    const v3 = await b.groups.putGroup({ id: "g", currentSessionId: null, history: [], lastRolloverAt: "2025-01-02T03:04:05Z" });
    assert.equal(v3.version, 3);
    assert.equal(v3.currentSessionId, undefined);
    assert.deepEqual(v3.history, []);
    assert.equal(v3.lastRolloverAt, "2025-01-02T03:04:05.000Z");
    const v4 = await b.groups.putGroup({ id: "g", lastRolloverAt: null });
    assert.equal(v4.lastRolloverAt, undefined);
    if (s.caps.durable) assert.deepEqual(await (await f.reopen()).groups.getGroup("g"), v4);
  });

  test("groups: odd ids are data, distinct and round-trip", async (t) => {
    const f = await s.open(t);
    for (const id of ODD_IDS) await f.backend.groups.putGroup({ id, currentSessionId: id, metadata: { id } });
    const check = async (b: Backend) => {
      for (const id of ODD_IDS) {
        const g = await b.groups.getGroup(id);
        assert.deepEqual([g.id, g.currentSessionId, g.metadata], [id, id, { id }]);
      }
      assert.deepEqual((await allIds(b, 1000)).ids.sort(), [...ODD_IDS].sort());
    };
    await check(f.backend);
    await f.backend.groups.deleteGroup("telegram:123");
    assert.equal((await f.backend.groups.getGroup("telegram_123")).id, "telegram_123");
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await assert.rejects(b2.groups.getGroup("telegram:123"), { code: "NOT_FOUND" });
      assert.equal((await b2.groups.getGroup("telegram_123")).id, "telegram_123");
    }
  });

  test("groups: list pages in code point order of ids to the end", async (t) => {
    const f = await s.open(t);
    const ids = Array.from({ length: 20 }, (_, i) => `g${String(i).padStart(2, "0")}`);
    for (const id of [...ids].reverse()) await f.backend.groups.putGroup({ id });
    const check = async (b: Backend) => {
      const five = await allIds(b, 5);
      assert.deepEqual(five.ids, ids);
      assert.equal(five.pages, 4, "a page that ends exactly at the last group has nextCursor null");
      assert.deepEqual((await allIds(b, 7)).ids, ids);
      const one = await b.groups.listGroups({ limit: 1000 });
      assert.equal(one.nextCursor, null);
    };
    await check(f.backend);
    // code point order: "Z" < "a" < "é" < CJK < private use < "\uFF5E" < "🦊" (an astral char sorts after every BMP char)
    for (const id of ["🦊", "\uFF5E", "é", "a", "Z", "\u65E5\u672C", "\u4E2D", "\uE000", "g\u{1F98A}", "g\uFF5E"]) await f.backend.groups.putGroup({ id });
    const all = (await allIds(f.backend, 3)).ids;
    assert.deepEqual(all, ["Z", "a", ...ids, "g\uFF5E", "g\u{1F98A}", "é", "\u4E2D", "\u65E5\u672C", "\uE000", "\uFF5E", "🦊"]);
    if (s.caps.durable) assert.deepEqual((await allIds(await f.reopen(), 4)).ids, all);
  });

  test("groups: rollover moves the current session into history atomically", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.groups.putGroup({ id: "r", currentSessionId: "s1", metadata: { keep: true } });
    f.clock.advance(5000);
    const r1 = await b.groups.rollover({ id: "r", newSessionId: "s2" });
    assert.deepEqual([r1.currentSessionId, r1.history, r1.version], ["s2", ["s1"], 2]);
    assert.equal(r1.lastRolloverAt, f.clock.now().toISOString());
    assert.equal(r1.updatedAt, r1.lastRolloverAt);
    assert.deepEqual(r1.metadata, { keep: true });
    f.clock.advance(5000);
    const r2 = await b.groups.rollover({ id: "r", newSessionId: "s3", expectedVersion: 2 });
    assert.deepEqual([r2.currentSessionId, r2.history, r2.version], ["s3", ["s1", "s2"], 3]);
    await assert.rejects(b.groups.rollover({ id: "r", newSessionId: "s4", expectedVersion: 2 }), { code: "CONFLICT" });
    assert.deepEqual(await b.groups.getGroup("r"), r2);
    // rolling over to the session that is already current is a harmless retry
    assert.deepEqual(await b.groups.rollover({ id: "r", newSessionId: "s3" }), r2);
    assert.deepEqual(await b.groups.getGroup("r"), r2);
    if (s.caps.durable) assert.deepEqual(await (await f.reopen()).groups.getGroup("r"), r2);
  });

  test("groups: rollover of a group with no current session, and createGroup", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.groups.putGroup({ id: "empty" });
    const e = await b.groups.rollover({ id: "empty", newSessionId: "first" });
    assert.deepEqual([e.currentSessionId, e.history, e.version], ["first", [], 2]);
    await assert.rejects(b.groups.rollover({ id: "new", newSessionId: "s", createGroup: true, expectedVersion: 3 }), { code: "CONFLICT" });
    await assert.rejects(b.groups.getGroup("new"), { code: "NOT_FOUND" });
    const created = await b.groups.rollover({ id: "new", newSessionId: "s", createGroup: true });
    assert.deepEqual([created.currentSessionId, created.history, created.version, created.metadata], ["s", [], 1, {}]);
    assert.equal(created.lastRolloverAt, f.clock.now().toISOString());
    const next = await b.groups.rollover({ id: "new", newSessionId: "t", createGroup: true });
    assert.deepEqual([next.currentSessionId, next.history, next.version], ["t", ["s"], 2]);
  });

  test("groups: delete with expectedVersion; the id can be used again", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.groups.putGroup({ id: "d", currentSessionId: "s1" });
    await b.groups.rollover({ id: "d", newSessionId: "s2" });
    await assert.rejects(b.groups.deleteGroup("d", 1), { code: "CONFLICT" });
    assert.equal((await b.groups.getGroup("d")).version, 2);
    await b.groups.deleteGroup("d", 2);
    await assert.rejects(b.groups.getGroup("d"), { code: "NOT_FOUND" });
    const again = await b.groups.putGroup({ id: "d" });
    assert.deepEqual([again.version, again.history, again.currentSessionId], [1, [], undefined]);
    if (s.caps.durable) assert.equal((await (await f.reopen()).groups.getGroup("d")).version, 1);
  });

  test("groups: one change record per write, in order; failed writes record none", async (t) => {
    const { backend: b } = await s.open(t);
    const start = await b.changes.head();
    await b.groups.putGroup({ id: "c", currentSessionId: "s1" });
    await b.groups.putGroup({ id: "c", metadata: { m: 1 } });
    await b.groups.rollover({ id: "c", newSessionId: "s2" });
    await b.groups.rollover({ id: "c", newSessionId: "s2" });
    await assert.rejects(b.groups.rollover({ id: "c", newSessionId: "s3", expectedVersion: 1 }));
    await assert.rejects(b.groups.putGroup({ id: "c", expectedVersion: 9 }));
    await assert.rejects(b.groups.deleteGroup("missing"));
    await b.groups.deleteGroup("c");
    const changes = await changesAfter(b, start);
    assert.deepEqual(changes.map((c) => [c.domain, c.type, c.id, c.version]), [
      ["groups", "group.saved", "c", 1],
      ["groups", "group.saved", "c", 2],
      ["groups", "group.saved", "c", 3],
      ["groups", "group.deleted", "c", 3],
    ]);
  });

  test("groups: restore writes the record as it was (times, version, history), replaces a stored one, and records group.saved", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const restore = b.restore;
    const start = await b.changes.head();
    const old = {
      id: "imported", currentSessionId: "s9", history: ["s1", "s2"], lastRolloverAt: "2024-05-06T07:08:09.010Z", metadata: { from: "picoclaw" },
      createdAt: "2024-01-02T03:04:05.006Z", updatedAt: "2024-05-06T07:08:09.010Z", version: 7,
    };
    await restore.group(old);
    assert.deepEqual(await b.groups.getGroup("imported"), old);
    await restore.group(old); // a resumed restore leaves one copy
    assert.deepEqual((await b.groups.listGroups({ limit: 10 })).items, [old]);
    const next = await b.groups.putGroup({ id: "imported", metadata: { local: true }, expectedVersion: 7 });
    assert.deepEqual([next.version, next.createdAt, next.history], [8, old.createdAt, old.history]);
    const replaced = { ...old, history: [], version: 2 };
    delete (replaced as Partial<typeof old>).currentSessionId;
    await restore.group(replaced);
    assert.deepEqual(await b.groups.getGroup("imported"), replaced);
    await assert.rejects(restore.group({ ...old, id: "bad", version: 0 }), { code: "INVALID_PARAMS" });
    const changes = (await changesAfter(b, start)).map((c) => [c.type, c.id, c.version, (c.data as { restored?: boolean } | undefined)?.restored]);
    assert.deepEqual(changes, [
      ["group.saved", "imported", 7, true], ["group.saved", "imported", 7, true], ["group.saved", "imported", 8, undefined], ["group.saved", "imported", 2, true],
    ]);
    if (s.caps.durable) assert.deepEqual(await (await f.reopen()).groups.getGroup("imported"), replaced);
  });
}
