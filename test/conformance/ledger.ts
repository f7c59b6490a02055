/** Conformance cases for the usage ledger (SPEC §3.7): keys, dedup, query, change records. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { idHash, type StoredTurn, type Turn } from "../../src/domain/ledger.js";
import type { Suite } from "./harness.js";
import { ledgerSummaryConformance } from "./ledger-summary.js";
import { ledgerFaultsConformance } from "./ledger-faults.js";
import { queryAll, SIX, turn } from "./ledger-fixtures.js";

const ODD_IDS = ["../../etc/passwd", "a/b", "telegram:123", "telegram_123", "ünï cödé 🦊", "CON", ".", "..", "a\\b", " spaced ", "'; DROP TABLE turns; --"];

const stored = (t: Turn): StoredTurn => ({ ...t, idHash: idHash(t.source, t.sessionId, t.messageId) });
const ledgerChanges = async (b: Backend) => (await b.changes.since(undefined, 10_000)).changes.filter((c) => c.domain === "ledger");

export function ledgerConformance(s: Suite): void {
  test("ledger: idHash is the first 16 hex digits of sha256(source|sessionId|messageId)", async (t) => {
    const { backend: b } = await s.open(t);
    assert.equal(idHash("claude", "s1", "m1"), "61c6ddb5b48e0070");
    const independent = (...parts: string[]) => createHash("sha256").update(parts.join("|")).digest("hex").slice(0, 16);
    for (const [src, sid, mid] of [["claude", "s1", "m1"], ["codex", "ünï 🦊", "m-2"], ["x", "", "y"]]) {
      assert.equal(idHash(src, sid, mid), independent(src, sid, mid));
    }
    await b.ledger.ingest([turn("m1")]);
    const [only] = (await b.ledger.query({ limit: 10 })).items;
    assert.equal(only.idHash, "61c6ddb5b48e0070");
  });

  test("ledger: ingest stores turns exactly, extra and optional fields included", async (t) => {
    const f = await s.open(t);
    const full = turn("full", {
      turnIndex: 7, project: "/home/me/proj", host: "box-1", costUsd: 0.375, toolCalls: 3,
      usage: { input: 1, output: 2, reasoning: 3, cacheRead: 4, cacheCreate: 5 },
      extra: { nested: { list: [1, "two", null, { deep: true }] }, empty: {}, unicode: "ünï 🦊", n: -0.5 },
    });
    const bare = turn("bare", { ts: "2026-03-01T11:00:00.000Z" });
    assert.deepEqual(await f.backend.ledger.ingest([full, bare]), { inserted: 2, duplicates: 0 });
    const check = async (b: Backend) => assert.deepEqual(await queryAll(b), [stored(full), stored(bare)]);
    await check(f.backend);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await check(b2);
    }
  });

  test("ledger: a duplicate across calls counts as such and changes nothing (first write wins)", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    assert.deepEqual(await b.ledger.ingest([turn("a"), turn("b")]), { inserted: 2, duplicates: 0 });
    const changed = turn("a", { model: "other", usage: { input: 999, output: 999 }, extra: { second: true } });
    assert.deepEqual(await b.ledger.ingest([changed, turn("c")]), { inserted: 1, duplicates: 1 });
    assert.deepEqual(await b.ledger.ingest([turn("a"), turn("b"), turn("c")]), { inserted: 0, duplicates: 3 });
    const check = async (b2: Backend) => {
      const all = await queryAll(b2);
      assert.equal(all.length, 3);
      assert.deepEqual(all.find((x) => x.messageId === "a"), stored(turn("a")));
    };
    await check(b);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await check(b2);
      assert.deepEqual(await b2.ledger.ingest([turn("a")]), { inserted: 0, duplicates: 1 });
    }
  });

  test("ledger: duplicates within one batch count once; the first in the batch wins", async (t) => {
    const { backend: b } = await s.open(t);
    const batch = [turn("x", { model: "first" }), turn("y"), turn("x", { model: "second" }), turn("x"), turn("y")];
    assert.deepEqual(await b.ledger.ingest(batch), { inserted: 2, duplicates: 3 });
    const all = await queryAll(b);
    assert.equal(all.length, 2);
    assert.equal(all.find((x) => x.messageId === "x")?.model, "first");
  });

  test("ledger: the key is source, sessionId and messageId together", async (t) => {
    const { backend: b } = await s.open(t);
    const r = await b.ledger.ingest([turn("m"), turn("m", { source: "codex" }), turn("m", { sessionId: "s2" }), turn("n")]);
    assert.deepEqual(r, { inserted: 4, duplicates: 0 });
    assert.deepEqual(await b.ledger.ingest([turn("m", { host: "elsewhere", ts: "2027-01-01T00:00:00.000Z" })]), { inserted: 0, duplicates: 1 });
  });

  test("ledger: the same 100 turns ingested concurrently by 4 hosts are stored once", async (t) => {
    const f = await s.open(t);
    const turns = Array.from({ length: 100 }, (_, i) =>
      turn(`m${i}`, { sessionId: `s${i % 7}`, ts: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(), usage: { input: i, output: 1 } }));
    const hosts = ["h1", "h2", "h3", "h4"];
    // Each host sends its own batches in its own order, so the batches overlap in every way.
    const results = await Promise.all(
      hosts.map(async (host, h) => {
        const mine = h % 2 ? [...turns].reverse() : turns;
        const out = { inserted: 0, duplicates: 0 };
        const chunks = [mine.slice(0, 30 + h * 10), mine.slice(30 + h * 10)];
        const rs = await Promise.all(chunks.map((c) => f.backend.ledger.ingest(c.map((x) => ({ ...x, host })))));
        for (const r of rs) {
          out.inserted += r.inserted;
          out.duplicates += r.duplicates;
        }
        return out;
      }),
    );
    assert.equal(results.reduce((n, r) => n + r.inserted, 0), 100);
    assert.equal(results.reduce((n, r) => n + r.duplicates, 0), 300);
    const check = async (b: Backend) => {
      const all = await queryAll(b, {}, 17);
      assert.equal(all.length, 100);
      assert.equal(new Set(all.map((x) => x.idHash)).size, 100);
      const [row] = await b.ledger.summary({ groupBy: [], timezone: "UTC" });
      assert.equal(row.turns, 100);
      assert.equal(row.inputTokens, 4950);
    };
    await check(f.backend);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await check(b2);
    }
  });

  test("ledger: query pages in (ts, idHash) order to the end", async (t) => {
    const { backend: b } = await s.open(t);
    const turns = Array.from({ length: 250 }, (_, i) =>
      turn(`m${i}`, { ts: new Date(Date.UTC(2026, 2, 1) + Math.floor(i / 3) * 1000).toISOString() }));
    await b.ledger.ingest(turns.slice(125).reverse());
    await b.ledger.ingest(turns.slice(0, 125));
    const all = await queryAll(b, {}, 7);
    const expected = turns.map(stored).sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : x.idHash < y.idHash ? -1 : 1));
    assert.deepEqual(all.map((x) => x.idHash), expected.map((x) => x.idHash));
    const exact = await b.ledger.query({ limit: 250 });
    assert.equal(exact.items.length, 250);
    assert.equal(exact.nextCursor, null);
    const first = await b.ledger.query({ limit: 249 });
    assert.notEqual(first.nextCursor, null);
    const rest = await b.ledger.query({ limit: 10, cursor: first.nextCursor ?? undefined });
    assert.deepEqual(rest.items.map((x) => x.idHash), [expected[249].idHash]);
    assert.equal(rest.nextCursor, null);
    assert.deepEqual(await b.ledger.query({ limit: 10, since: "2027-01-01T00:00:00.000Z" }), { items: [], nextCursor: null });
    await assert.rejects(b.ledger.query({ limit: 10, cursor: "not-a-cursor" }), { code: "INVALID_PARAMS" });
  });

  test("ledger: query filters by session, project, model, source and host; since inclusive, until exclusive", async (t) => {
    const { backend: b } = await s.open(t);
    await b.ledger.ingest(SIX);
    const ids = async (q: Parameters<typeof queryAll>[1]) => (await queryAll(b, q, 2)).map((x) => x.messageId);
    assert.deepEqual(await ids({}), ["t1", "t2", "t3", "t4", "t5", "t6"]);
    assert.deepEqual(await ids({ sessionId: "s2" }), ["t3", "t4"]);
    assert.deepEqual(await ids({ project: "p1" }), ["t1", "t2"]);
    assert.deepEqual(await ids({ model: "opus" }), ["t1", "t2", "t5", "t6"]);
    assert.deepEqual(await ids({ source: "codex" }), ["t3", "t4"]);
    assert.deepEqual(await ids({ host: "h1" }), ["t1", "t2"]);
    assert.deepEqual(await ids({ model: "opus", sessionId: "s3" }), ["t5", "t6"]);
    assert.deepEqual(await ids({ model: "opus", sessionId: "s2" }), []);
    assert.deepEqual(await ids({ since: "2026-03-01T23:59:59.999Z", until: "2026-03-02T12:00:00.000Z" }), ["t3", "t4"]);
    assert.deepEqual(await ids({ since: "2026-03-02T12:00:00.000Z" }), ["t5", "t6"]);
    assert.deepEqual(await ids({ until: "2026-03-01T10:00:00.000Z" }), ["t1"]);
    assert.deepEqual(await ids({ since: "2026-03-02T00:00:00.000Z", until: "2026-03-02T00:00:00.000Z" }), []);
    assert.deepEqual(await ids({ since: "2026-03-01T00:00:00.000Z", until: "2026-03-03T00:00:00.000Z", model: "sonnet" }), ["t3", "t4"]);
  });

  test("ledger: odd ids are data, hash distinctly and round-trip", async (t) => {
    const f = await s.open(t);
    const turns = ODD_IDS.flatMap((id, i) => [
      turn(`m${i}`, { sessionId: id, project: id, host: id }),
      turn(id, { source: id, sessionId: "s", model: id }),
    ]);
    assert.deepEqual(await f.backend.ledger.ingest(turns), { inserted: turns.length, duplicates: 0 });
    const check = async (b: Backend) => {
      for (const id of ODD_IDS) {
        const bySession = await queryAll(b, { sessionId: id });
        assert.deepEqual(bySession, [stored(turns[ODD_IDS.indexOf(id) * 2])]);
        assert.deepEqual((await queryAll(b, { source: id })).map((x) => x.messageId), [id]);
      }
      const rows = await b.ledger.summary({ groupBy: ["project"], timezone: "UTC" });
      assert.deepEqual(rows.map((r) => r.project).filter((p) => p !== null).sort(), [...ODD_IDS].sort());
    };
    await check(f.backend);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await check(b2);
    }
  });

  test("ledger: one ledger.ingested change per ingest that inserted; none when nothing was", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    assert.deepEqual(await b.ledger.ingest([]), { inserted: 0, duplicates: 0 });
    await b.ledger.ingest([turn("b", { ts: "2026-03-01T12:00:00.000Z" }), turn("a", { ts: "2026-03-01T09:00:00.000Z" })]);
    await b.ledger.ingest([turn("a"), turn("b")]);
    await b.ledger.ingest([turn("a"), turn("c", { ts: "2026-03-05T00:00:00.000Z" })]);
    const changes = await ledgerChanges(b);
    assert.deepEqual(
      changes.map((c) => ({ type: c.type, id: c.id, data: c.data })),
      [
        { type: "ledger.ingested", id: idHash("claude", "s1", "b"), data: { inserted: 2, duplicates: 0, minTs: "2026-03-01T09:00:00.000Z", maxTs: "2026-03-01T12:00:00.000Z" } },
        { type: "ledger.ingested", id: idHash("claude", "s1", "c"), data: { inserted: 1, duplicates: 1, minTs: "2026-03-05T00:00:00.000Z", maxTs: "2026-03-05T00:00:00.000Z" } },
      ],
    );
    assert.ok(changes.every((c) => c.origin !== "" && c.at !== ""));
  });

  ledgerSummaryConformance(s);
  ledgerFaultsConformance(s);
}
