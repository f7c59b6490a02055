/**
 * Ledger cases for the storage core's rules around durability and order: an ingest whose flush
 * failed is not remembered (its retry inserts), and summary keys with astral and CJK values sort
 * by code point whether the store sums by scanning or next to the data.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SIX, turn } from "./ledger-fixtures.js";
import type { Suite } from "./harness.js";

export function ledgerFaultsConformance(s: Suite): void {
  test("ledger: an ingest whose flush failed is not visible, and its retry inserts", async (t) => {
    if (!s.requires(t, "faults")) return;
    const f = await s.open(t);
    const b = f.backend;
    await b.ledger.ingest(SIX.slice(0, 2));
    f.faults.failNextSync("EIO");
    await assert.rejects(b.ledger.ingest(SIX.slice(2)), { code: "BACKEND_UNAVAILABLE" });
    assert.equal((await b.ledger.query({ limit: 100 })).items.length, 2, "the failed ingest is not visible");
    assert.deepEqual(await b.ledger.ingest(SIX), { inserted: 4, duplicates: 2 });
    const [row] = await b.ledger.summary({ groupBy: [], timezone: "UTC" });
    assert.equal(row.turns, 6);
    if (s.caps.durable) {
      const again = await f.reopen();
      assert.equal((await again.ledger.query({ limit: 100 })).items.length, 6);
      assert.deepEqual(await again.ledger.ingest(SIX), { inserted: 0, duplicates: 6 });
    }
  });

  test("ledger: summary and query by session order astral and CJK values by code point", async (t) => {
    const { backend: b } = await s.open(t);
    const sessions = ["s\u00e9", "s\u4e2d", "s\uff5e", "s\u{1f98a}"];
    await b.ledger.ingest([...sessions].reverse().map((sessionId, i) => turn(`m${i}`, { sessionId, model: sessionId })));
    const bySession = await b.ledger.summary({ groupBy: ["session"], timezone: "UTC" });
    assert.deepEqual(bySession.map((r) => r.sessionId), sessions);
    const byModelDay = await b.ledger.summary({ groupBy: ["day", "model"], timezone: "Asia/Tokyo" });
    assert.deepEqual(byModelDay.map((r) => [r.day, r.model]), sessions.map((m) => ["2026-03-01", m]));
  });
}
