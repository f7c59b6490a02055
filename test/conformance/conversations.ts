/** Conformance cases for conversations (SPEC §3.1, §2). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import type { Suite } from "./harness.js";
import { compareCodePoints } from "../../src/domain/order.js";

const ODD_IDS = ["../../etc/passwd", "a/b", "telegram:123", "telegram_123", "ünï cödé 🦊", "CON", ".", "..", "a\\b", " spaced "];
const page = { limit: 100 };

async function appendN(b: Backend, sessionId: string, n: number, prefix = "m") {
  const messages = Array.from({ length: n }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `${prefix}${i + 1}` }));
  return b.conversations.append({ sessionId, messages, createSession: true });
}

const contents = (items: readonly Record<string, unknown>[]) => items.map((m) => m.content);

export function conversationsConformance(s: Suite): void {
  test("sessions: create, get, duplicate id is CONFLICT", async (t) => {
    const { backend: b } = await s.open(t);
    const created = await b.conversations.createSession({ id: "s1", title: "T", tags: ["x"], metadata: { k: [1, { n: null }] } });
    assert.equal(created.version, 1);
    assert.equal(created.messageCount, 0);
    assert.equal(created.lastSeq, 0);
    assert.equal(created.truncatedBeforeSeq, 1);
    assert.deepEqual(await b.conversations.getSession("s1"), created);
    await assert.rejects(b.conversations.createSession({ id: "s1" }), { code: "CONFLICT" });
    await assert.rejects(b.conversations.getSession("nope"), { code: "NOT_FOUND" });
  });

  test("bad input rejects the returned promise, never throws at the call (a malformed cursor, an invalid restore)", async (t) => {
    const { backend: b } = await s.open(t);
    // Each call must hand back a promise: a synchronous throw would escape `.catch` and `await`-less callers.
    const listed = b.conversations.listSessions({ cursor: "not a cursor", limit: 10 });
    await assert.rejects(listed, { code: "INVALID_PARAMS" });
    const session = await b.conversations.createSession({ id: "r" });
    const messages = b.conversations.listMessages({ sessionId: "r", cursor: "%%%", limit: 10 });
    await assert.rejects(messages, { code: "INVALID_PARAMS" });
    const restored = b.restore.session({ ...session, lastSeq: 1 }, [{ seq: 5, role: "user", content: "x", createdAt: session.createdAt }]);
    await assert.rejects(restored, { code: "INVALID_PARAMS" });
  });

  test("sessions: odd ids are data, distinct and round-trip", async (t) => {
    const f = await s.open(t);
    for (const id of ODD_IDS) {
      await f.backend.conversations.createSession({ id, title: id });
      await f.backend.conversations.append({ sessionId: id, messages: [{ role: "user", content: id }] });
    }
    const check = async (b: Backend) => {
      for (const id of ODD_IDS) {
        assert.equal((await b.conversations.getSession(id)).title, id);
        assert.deepEqual(contents((await b.conversations.listMessages({ sessionId: id, ...page })).items), [id]);
      }
      const all = await b.conversations.listSessions({ limit: 1000 });
      assert.deepEqual(all.items.map((x) => x.id).sort(), [...ODD_IDS].sort());
    };
    await check(f.backend);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("sessions: list newest updatedAt first, pages to the end, filters", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    for (let i = 0; i < 25; i++) {
      f.clock.advance(1000);
      await b.conversations.createSession({ id: `s${String(i).padStart(2, "0")}`, groupId: i % 2 ? "odd" : "even", tags: i % 5 === 0 ? ["five"] : [] });
    }
    f.clock.advance(1000);
    await b.conversations.append({ sessionId: "s03", messages: [{ role: "user" }] }); // s03 becomes newest
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await b.conversations.listSessions({ limit: 7, cursor });
      assert.ok(p.items.length <= 7);
      seen.push(...p.items.map((x) => x.id));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25);
    assert.equal(seen[0], "s03");
    assert.equal(seen[1], "s24");
    assert.equal(seen[24], "s00");
    const odd = await b.conversations.listSessions({ groupId: "odd", limit: 100 });
    assert.equal(odd.items.length, 12);
    assert.ok(odd.items.every((x) => x.groupId === "odd"));
    const five = await b.conversations.listSessions({ tag: "five", limit: 100 });
    assert.deepEqual(five.items.map((x) => x.id), ["s20", "s15", "s10", "s05", "s00"]);
    assert.equal(five.nextCursor, null);
  });

  test("sessions: update with expectedVersion; a conflict changes nothing", async (t) => {
    const { backend: b } = await s.open(t);
    await b.conversations.createSession({ id: "u", title: "one", model: "m1" });
    const v2 = await b.conversations.updateSession({ id: "u", title: "two", tags: ["a"], metadata: { x: 1 }, expectedVersion: 1 });
    assert.equal(v2.version, 2);
    assert.equal(v2.title, "two");
    await assert.rejects(b.conversations.updateSession({ id: "u", title: "three", expectedVersion: 1 }), { code: "CONFLICT" });
    assert.deepEqual(await b.conversations.getSession("u"), v2);
    const cleared = await b.conversations.updateSession({ id: "u", model: null, tokenStats: { inputTokens: 5, outputTokens: 7, requests: 1 }, costStats: { usd: 0.01 } });
    assert.equal(cleared.model, undefined);
    assert.deepEqual(cleared.tokenStats, { inputTokens: 5, outputTokens: 7, requests: 1 });
    assert.deepEqual(cleared.costStats, { usd: 0.01 });
    await assert.rejects(b.conversations.updateSession({ id: "missing", title: "x" }), { code: "NOT_FOUND" });
  });

  test("sessions: delete removes messages; expectedVersion guards it", async (t) => {
    const f = await s.open(t);
    await appendN(f.backend, "d", 3);
    await assert.rejects(f.backend.conversations.deleteSession("d", 1), { code: "CONFLICT" });
    await f.backend.conversations.deleteSession("d");
    await assert.rejects(f.backend.conversations.getSession("d"), { code: "NOT_FOUND" });
    await assert.rejects(f.backend.conversations.listMessages({ sessionId: "d", ...page }), { code: "NOT_FOUND" });
    await assert.rejects(f.backend.conversations.deleteSession("d"), { code: "NOT_FOUND" });
    // the id can be used again and starts from seq 1
    const r = await appendN(f.backend, "d", 1);
    assert.deepEqual(r, { firstSeq: 1, lastSeq: 1 });
    if (s.caps.durable) assert.equal((await (await f.reopen()).conversations.getSession("d")).messageCount, 1);
  });

  test("messages: append assigns dense seqs and keeps every field", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await assert.rejects(b.conversations.append({ sessionId: "x", messages: [{ role: "user" }] }), { code: "NOT_FOUND" });
    const odd = { role: "tool", content: [{ type: "text", text: "a\nb\\c\u2028" }], toolCallId: "c1", name: "sh", extra: { deep: [1, 2, { z: null }] }, images: ["data:x"] };
    assert.deepEqual(await b.conversations.append({ sessionId: "x", messages: [{ role: "user", content: "hi" }, odd], createSession: true }), { firstSeq: 1, lastSeq: 2 });
    assert.deepEqual(await b.conversations.append({ sessionId: "x", messages: [{ role: "assistant", content: "yo" }] }), { firstSeq: 3, lastSeq: 3 });
    const check = async (b: Backend) => {
      const { items } = await b.conversations.listMessages({ sessionId: "x", ...page });
      assert.deepEqual(items.map((m) => m.seq), [1, 2, 3]);
      const { seq, createdAt, ...rest } = items[1];
      assert.equal(seq, 2);
      assert.match(createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(rest, odd);
      const session = await b.conversations.getSession("x");
      assert.equal(session.messageCount, 3);
      assert.equal(session.lastSeq, 3);
    };
    await check(b);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("messages: expectedLastSeq mismatch is CONFLICT and writes nothing", async (t) => {
    const { backend: b } = await s.open(t);
    await appendN(b, "e", 2);
    await assert.rejects(b.conversations.append({ sessionId: "e", messages: [{ role: "user" }], expectedLastSeq: 1 }), { code: "CONFLICT" });
    assert.equal((await b.conversations.getSession("e")).lastSeq, 2);
    assert.deepEqual(await b.conversations.append({ sessionId: "e", messages: [{ role: "user" }], expectedLastSeq: 2 }), { firstSeq: 3, lastSeq: 3 });
    await assert.rejects(
      b.conversations.append({ sessionId: "new", messages: [{ role: "user" }], expectedLastSeq: 4, createSession: true }),
      { code: "CONFLICT" },
    );
    await assert.rejects(b.conversations.getSession("new"), { code: "NOT_FOUND" });
  });

  test("messages: a repeated idempotencyKey returns the first result and writes nothing", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const first = await b.conversations.append({ sessionId: "i", messages: [{ role: "user", content: "a" }], createSession: true, idempotencyKey: "k1" });
    await b.conversations.append({ sessionId: "i", messages: [{ role: "user", content: "b" }] });
    const again = await b.conversations.append({ sessionId: "i", messages: [{ role: "user", content: "a" }], idempotencyKey: "k1", expectedLastSeq: 0 });
    assert.deepEqual(again, first);
    assert.equal((await b.conversations.getSession("i")).lastSeq, 2);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(await b2.conversations.append({ sessionId: "i", messages: [{ role: "user" }], idempotencyKey: "k1" }), first);
      assert.equal((await b2.conversations.getSession("i")).lastSeq, 2);
    }
  });

  test("messages: list pages by cursor and afterSeq; tail returns the last N", async (t) => {
    const { backend: b } = await s.open(t);
    await appendN(b, "p", 23);
    const seqs: number[] = [];
    let cursor: string | undefined;
    do {
      const p = await b.conversations.listMessages({ sessionId: "p", limit: 5, cursor });
      seqs.push(...p.items.map((m) => m.seq));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seqs, Array.from({ length: 23 }, (_, i) => i + 1));
    assert.deepEqual((await b.conversations.listMessages({ sessionId: "p", afterSeq: 20, limit: 100 })).items.map((m) => m.seq), [21, 22, 23]);
    assert.deepEqual((await b.conversations.listMessages({ sessionId: "p", tail: 3, limit: 100 })).items.map((m) => m.seq), [21, 22, 23]);
    assert.equal((await b.conversations.listMessages({ sessionId: "p", tail: 50, limit: 100 })).items.length, 23);
  });

  test("messages: pop removes the last visible message and its seq is never reused", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await appendN(b, "pop", 3);
    const popped = await b.conversations.pop("pop");
    assert.equal(popped?.seq, 3);
    assert.equal(popped?.content, "m3");
    const session = await b.conversations.getSession("pop");
    assert.equal(session.messageCount, 2);
    assert.equal(session.lastSeq, 3);
    assert.deepEqual(await appendN(b, "pop", 1, "n"), { firstSeq: 4, lastSeq: 4 });
    const check = async (b: Backend) =>
      assert.deepEqual((await b.conversations.listMessages({ sessionId: "pop", ...page })).items.map((m) => m.seq), [1, 2, 4]);
    await check(b);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("messages: pop on an empty or fully hidden session returns null", async (t) => {
    const { backend: b } = await s.open(t);
    await b.conversations.createSession({ id: "empty" });
    assert.equal(await b.conversations.pop("empty"), null);
    await appendN(b, "hidden", 2);
    await b.conversations.truncate("hidden", 0);
    assert.equal(await b.conversations.pop("hidden"), null);
    await assert.rejects(b.conversations.pop("missing"), { code: "NOT_FOUND" });
  });

  test("sessions: truncate, summary, compact keep visible messages and numbering", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await appendN(b, "tc", 10);
    const truncated = await b.conversations.truncate("tc", 4);
    assert.equal(truncated.messageCount, 4);
    assert.equal(truncated.truncatedBeforeSeq, 7);
    await b.conversations.updateSession({ id: "tc", summary: "the first six" });
    assert.deepEqual((await b.conversations.listMessages({ sessionId: "tc", ...page })).items.map((m) => m.seq), [7, 8, 9, 10]);
    assert.equal((await b.conversations.listMessages({ sessionId: "tc", includeHidden: true, ...page })).items.length, 10);
    const before = await b.conversations.getSession("tc");
    const { removed, session } = await b.conversations.compact("tc");
    assert.equal(removed, 6);
    assert.equal(session.version, before.version);
    assert.equal(session.summary, "the first six");
    const check = async (b: Backend) => {
      assert.deepEqual((await b.conversations.listMessages({ sessionId: "tc", includeHidden: true, ...page })).items.map((m) => m.seq), [7, 8, 9, 10]);
      assert.deepEqual(await appendN(b, "tc", 1), { firstSeq: 11, lastSeq: 11 });
      assert.equal((await b.conversations.compact("tc")).removed, 0);
    };
    await check(b);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.equal((await b2.conversations.getSession("tc")).summary, "the first six");
      assert.deepEqual((await b2.conversations.listMessages({ sessionId: "tc", ...page })).items.map((m) => m.seq), [7, 8, 9, 10, 11]);
    }
    const now = f.backend; // the reopened store on durable backends
    assert.equal((await now.conversations.truncate("tc", 100)).messageCount, (await now.conversations.getSession("tc")).messageCount);
  });

  test("sessions: truncate with a stale expectedVersion is CONFLICT", async (t) => {
    const { backend: b } = await s.open(t);
    await appendN(b, "tv", 3);
    await assert.rejects(b.conversations.truncate("tv", 1, 1), { code: "CONFLICT" });
    assert.equal((await b.conversations.getSession("tv")).messageCount, 3);
  });

  test("sessions: replaceHistory hides the old history and appends the new one", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await appendN(b, "r", 5);
    const replaced = await b.conversations.replaceHistory("r", [{ role: "system", content: "summary" }, { role: "user", content: "again" }]);
    assert.equal(replaced.messageCount, 2);
    assert.equal(replaced.lastSeq, 7);
    const check = async (b: Backend) => {
      const { items } = await b.conversations.listMessages({ sessionId: "r", ...page });
      assert.deepEqual(items.map((m) => [m.seq, m.content]), [[6, "summary"], [7, "again"]]);
      assert.equal((await b.conversations.listMessages({ sessionId: "r", includeHidden: true, ...page })).items.length, 7);
    };
    await check(b);
    if (s.caps.durable) await check(await f.reopen());
    await assert.rejects(f.backend.conversations.replaceHistory("r", [], 1), { code: "CONFLICT" });
  });

  test("sessions: fork copies visible history up to uptoSeq, renumbered", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await appendN(b, "src", 6);
    await b.conversations.updateSession({ id: "src", title: "origin", tags: ["t"], summary: "sum" });
    await b.conversations.truncate("src", 4); // visible 3..6
    const fork = await b.conversations.fork({ id: "src", newId: "dst", uptoSeq: 5 });
    assert.equal(fork.messageCount, 3);
    assert.equal(fork.lastSeq, 3);
    assert.equal(fork.title, "origin");
    assert.deepEqual(fork.tags, ["t"]);
    assert.equal(fork.summary, "sum");
    const { items } = await b.conversations.listMessages({ sessionId: "dst", ...page });
    assert.deepEqual(items.map((m) => [m.seq, m.content]), [[1, "m3"], [2, "m4"], [3, "m5"]]);
    assert.equal((await b.conversations.getSession("src")).messageCount, 4);
    await assert.rejects(b.conversations.fork({ id: "src", newId: "dst" }), { code: "CONFLICT" });
    await assert.rejects(b.conversations.fork({ id: "nope", newId: "x" }), { code: "NOT_FOUND" });
    const all = await b.conversations.fork({ id: "src", newId: "all", title: "copy" });
    assert.equal(all.messageCount, 4);
    assert.equal(all.title, "copy");
  });

  test("messages: 8 concurrent writers on one session get dense unique seqs", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.conversations.createSession({ id: "c" });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        Promise.all(Array.from({ length: 10 }, (_, i) => b.conversations.append({ sessionId: "c", messages: [{ role: "user", content: `${w}-${i}` }, { role: "assistant" }] }))),
      ),
    );
    const ranges = results.flat().sort((x, y) => x.firstSeq - y.firstSeq);
    ranges.forEach((r, i) => assert.deepEqual(r, { firstSeq: i * 2 + 1, lastSeq: i * 2 + 2 }));
    const check = async (b: Backend) => {
      const { items } = await b.conversations.listMessages({ sessionId: "c", limit: 1000 });
      assert.deepEqual(items.map((m) => m.seq), Array.from({ length: 160 }, (_, i) => i + 1));
      assert.equal((await b.conversations.getSession("c")).messageCount, 160);
    };
    await check(b);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("sessions: ids order by Unicode code point (astral, private use, CJK), in lists and across pages", async (t) => {
    const { backend: b } = await s.open(t);
    const ids = ["a\uFF5E", "a\u{1F98A}", "\u4E2D", "\u65E5\u672C", "z", "a\uE000", "a"];
    for (const id of ids) await b.conversations.createSession({ id }); // the clock stands still: one updatedAt
    const expected = [...ids].sort(compareCodePoints).reverse();
    assert.deepEqual(expected.slice(3, 6), ["a\u{1F98A}", "a\uFF5E", "a\uE000"], "the test's own order is code point order");
    assert.deepEqual((await b.conversations.listSessions({ limit: 100 })).items.map((x) => x.id), expected);
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await b.conversations.listSessions({ limit: 2, cursor });
      paged.push(...p.items.map((x) => x.id));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(paged, expected);
  });

  test("messages: the idempotency window keeps exactly the newest 1,000 keys of a session", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const append = (key: string) => b.conversations.append({ sessionId: "w", createSession: true, idempotencyKey: key, messages: [{ role: "user", content: key }] });
    assert.deepEqual(await append("k0"), { firstSeq: 1, lastSeq: 1 });
    assert.deepEqual(await append("k1"), { firstSeq: 2, lastSeq: 2 });
    for (let i = 2; i <= 1000; i += 50) await Promise.all(Array.from({ length: Math.min(50, 1001 - i) }, (_, j) => append(`k${i + j}`)));
    const check = async (b: Backend) => {
      assert.equal((await b.conversations.getSession("w")).lastSeq, 1001);
      // 1,001 keyed appends: k0 is the one beyond the window, k1 the oldest still in it.
      assert.deepEqual(await b.conversations.append({ sessionId: "w", idempotencyKey: "k1", messages: [{ role: "user" }] }), { firstSeq: 2, lastSeq: 2 });
    };
    await check(b);
    const live = s.caps.durable ? await f.reopen() : b;
    await check(live);
    assert.deepEqual(await live.conversations.append({ sessionId: "w", idempotencyKey: "k0", messages: [{ role: "user" }] }), { firstSeq: 1002, lastSeq: 1002 }, "a forgotten key appends again");
    // That append's key is now the newest, so k1 fell out of the window.
    assert.deepEqual(await live.conversations.append({ sessionId: "w", idempotencyKey: "k1", messages: [{ role: "user" }] }), { firstSeq: 1003, lastSeq: 1003 });
    const kept = await live.conversations.append({ sessionId: "w", idempotencyKey: "k500", messages: [{ role: "user" }] });
    assert.ok(kept.lastSeq <= 1001, "a key well inside the window is still remembered");
    assert.equal((await live.conversations.getSession("w")).lastSeq, 1003);
  });

  test("messages: concurrent retries of one keyed append write once and all get its result", async (t) => {
    const f = await s.open(t);
    const stores = [f.backend, ...(s.caps.shared ? [await f.another(), await f.another()] : [])];
    for (const create of [false, true]) {
      const sessionId = create ? "fresh" : "existing";
      if (!create) await f.backend.conversations.append({ sessionId, createSession: true, messages: [{ role: "system" }] });
      const results = await Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          stores[i % stores.length].conversations.append({ sessionId, createSession: create, idempotencyKey: "once", messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }] }),
        ),
      );
      const first = create ? 1 : 2;
      for (const r of results) assert.deepEqual(r, { firstSeq: first, lastSeq: first + 1 });
      const { items } = await f.backend.conversations.listMessages({ sessionId, limit: 100 });
      assert.deepEqual(items.map((m) => m.seq), create ? [1, 2] : [1, 2, 3]);
    }
  });

  test("messages: a keyed append whose flush failed is performed by its retry, not remembered", async (t) => {
    if (!s.requires(t, "faults")) return;
    const f = await s.open(t);
    const b = f.backend;
    await b.conversations.createSession({ id: "f" });
    f.faults.failNextSync("EIO");
    await assert.rejects(b.conversations.append({ sessionId: "f", idempotencyKey: "k", messages: [{ role: "user", content: "lost" }] }), { code: "BACKEND_UNAVAILABLE" });
    assert.equal((await b.conversations.getSession("f")).lastSeq, 0, "the failed write is not visible");
    assert.deepEqual(await b.conversations.append({ sessionId: "f", idempotencyKey: "k", messages: [{ role: "user", content: "kept" }] }), { firstSeq: 1, lastSeq: 1 });
    assert.deepEqual(contents((await b.conversations.listMessages({ sessionId: "f", limit: 10 })).items), ["kept"]);
    if (s.caps.durable) {
      const again = await f.reopen();
      assert.deepEqual(contents((await again.conversations.listMessages({ sessionId: "f", limit: 10 })).items), ["kept"]);
      assert.deepEqual(await again.conversations.append({ sessionId: "f", idempotencyKey: "k", messages: [{ role: "user" }] }), { firstSeq: 1, lastSeq: 1 });
    }
  });

  test("sessions: aliases find their session, belong to one session, and follow updates", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.conversations.createSession({ id: "sk_v1_abc", aliases: ["agent:main:telegram:42", "tg"] });
    assert.equal((await b.conversations.getSessionByAlias("tg")).id, "sk_v1_abc");
    await assert.rejects(b.conversations.createSession({ id: "other", aliases: ["tg"] }), { code: "CONFLICT" });
    await assert.rejects(b.conversations.getSession("other"), { code: "NOT_FOUND" }, "a refused create stores nothing");
    await b.conversations.updateSession({ id: "sk_v1_abc", aliases: ["tg2"] });
    await assert.rejects(b.conversations.getSessionByAlias("tg"), { code: "NOT_FOUND" });
    const check = async (b: Backend) => {
      assert.equal((await b.conversations.getSessionByAlias("tg2")).id, "sk_v1_abc");
      await b.conversations.createSession({ id: `x${Date.now()}`, aliases: ["tg"] });
    };
    await check(b);
    await b.conversations.deleteSession("sk_v1_abc");
    await assert.rejects(b.conversations.getSessionByAlias("tg2"), { code: "NOT_FOUND" });
    if (s.caps.durable) await assert.rejects((await f.reopen()).conversations.getSessionByAlias("tg2"), { code: "NOT_FOUND" });
  });
}
