/** Conformance cases for ledger summaries: grouping, sums, order, ranges, zones. Sums are hand-computed over SIX. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, LedgerSummaryQuery } from "../../src/backends/contract.js";
import type { SummaryRow } from "../../src/domain/ledger.js";
import type { Suite } from "./harness.js";
import { SIX, sums, turn } from "./ledger-fixtures.js";

const summary = (b: Backend, q: Partial<LedgerSummaryQuery> & Pick<LedgerSummaryQuery, "groupBy">) =>
  b.ledger.summary({ timezone: "UTC", ...q });

/** Rows compared exactly: every cost in SIX is a multiple of 1/8, so every sum is exact in binary. */
const rows = (...r: SummaryRow[]) => r;

export function ledgerSummaryConformance(s: Suite): void {
  test("ledger: summary by model sums tokens, turns and cost exactly", async (t) => {
    const f = await s.open(t);
    await f.backend.ledger.ingest(SIX);
    const expected = rows(
      { model: "opus", ...sums(4, 1400, 140, 5, 6000, 150, 3.75, 4) },
      { model: "sonnet", ...sums(2, 700, 70, 7, 0, 0, 0.125, 1) },
    );
    assert.deepEqual(await summary(f.backend, { groupBy: ["model"] }), expected);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(await summary(b2, { groupBy: ["model"] }), expected);
    }
  });

  test("ledger: summary by UTC day, and by model and day", async (t) => {
    const { backend: b } = await s.open(t);
    await b.ledger.ingest(SIX);
    assert.deepEqual(await summary(b, { groupBy: ["day"] }), rows(
      { day: "2026-03-01", ...sums(3, 600, 60, 5, 3000, 50, 0.875, 3) },
      { day: "2026-03-02", ...sums(2, 900, 90, 7, 0, 100, 1, 1) },
      { day: "2026-03-03", ...sums(1, 600, 60, 0, 3000, 0, 2, 1) },
    ));
    assert.deepEqual(await summary(b, { groupBy: ["model", "day"] }), rows(
      { model: "opus", day: "2026-03-01", ...sums(2, 300, 30, 5, 3000, 50, 0.75, 2) },
      { model: "opus", day: "2026-03-02", ...sums(1, 500, 50, 0, 0, 100, 1, 1) },
      { model: "opus", day: "2026-03-03", ...sums(1, 600, 60, 0, 3000, 0, 2, 1) },
      { model: "sonnet", day: "2026-03-01", ...sums(1, 300, 30, 0, 0, 0, 0.125, 1) },
      { model: "sonnet", day: "2026-03-02", ...sums(1, 400, 40, 7, 0, 0, 0, 0) },
    ));
    assert.deepEqual(await summary(b, { groupBy: ["day", "model"] }), rows(
      { day: "2026-03-01", model: "opus", ...sums(2, 300, 30, 5, 3000, 50, 0.75, 2) },
      { day: "2026-03-01", model: "sonnet", ...sums(1, 300, 30, 0, 0, 0, 0.125, 1) },
      { day: "2026-03-02", model: "opus", ...sums(1, 500, 50, 0, 0, 100, 1, 1) },
      { day: "2026-03-02", model: "sonnet", ...sums(1, 400, 40, 7, 0, 0, 0, 0) },
      { day: "2026-03-03", model: "opus", ...sums(1, 600, 60, 0, 3000, 0, 2, 1) },
    ));
  });

  test("ledger: summary by session, project, source and host; missing project and host group under null, first", async (t) => {
    const { backend: b } = await s.open(t);
    await b.ledger.ingest(SIX);
    const s1 = sums(2, 300, 30, 5, 3000, 50, 0.75, 2);
    const s2 = sums(2, 700, 70, 7, 0, 0, 0.125, 1);
    const s3 = sums(2, 1100, 110, 0, 3000, 100, 3, 2);
    assert.deepEqual(await summary(b, { groupBy: ["session"] }), rows({ sessionId: "s1", ...s1 }, { sessionId: "s2", ...s2 }, { sessionId: "s3", ...s3 }));
    assert.deepEqual(await summary(b, { groupBy: ["project"] }), rows({ project: null, ...s3 }, { project: "p1", ...s1 }, { project: "p2", ...s2 }));
    assert.deepEqual(await summary(b, { groupBy: ["host"] }), rows({ host: null, ...s3 }, { host: "h1", ...s1 }, { host: "h2", ...s2 }));
    assert.deepEqual(await summary(b, { groupBy: ["source"] }), rows(
      { source: "claude", ...sums(4, 1400, 140, 5, 6000, 150, 3.75, 4) },
      { source: "codex", ...s2 },
    ));
    assert.deepEqual(await summary(b, { groupBy: ["source", "project", "host", "session"] }), rows(
      { source: "claude", project: null, host: null, sessionId: "s3", ...s3 },
      { source: "claude", project: "p1", host: "h1", sessionId: "s1", ...s1 },
      { source: "codex", project: "p2", host: "h2", sessionId: "s2", ...s2 },
    ));
  });

  test("ledger: summary with no groupBy is one row of totals; no matching turns give no rows", async (t) => {
    const { backend: b } = await s.open(t);
    assert.deepEqual(await summary(b, { groupBy: [] }), []);
    assert.deepEqual(await summary(b, { groupBy: ["model", "day"] }), []);
    await b.ledger.ingest(SIX);
    assert.deepEqual(await summary(b, { groupBy: [] }), rows(sums(6, 2100, 210, 12, 6000, 150, 3.875, 5)));
    assert.deepEqual(await summary(b, { groupBy: ["model"], model: "nope" }), []);
  });

  test("ledger: summary bounds: since inclusive, until exclusive; filters apply", async (t) => {
    const { backend: b } = await s.open(t);
    await b.ledger.ingest(SIX);
    const range = { since: "2026-03-01T23:59:59.999Z", until: "2026-03-02T12:00:00.000Z" };
    assert.deepEqual(await summary(b, { groupBy: [], ...range }), rows(sums(2, 700, 70, 7, 0, 0, 0.125, 1)));
    assert.deepEqual(await summary(b, { groupBy: ["day"], since: "2026-03-02T00:00:00.000Z" }), rows(
      { day: "2026-03-02", ...sums(2, 900, 90, 7, 0, 100, 1, 1) },
      { day: "2026-03-03", ...sums(1, 600, 60, 0, 3000, 0, 2, 1) },
    ));
    assert.deepEqual(await summary(b, { groupBy: ["day"], until: "2026-03-02T00:00:00.000Z" }), rows(
      { day: "2026-03-01", ...sums(3, 600, 60, 5, 3000, 50, 0.875, 3) },
    ));
    assert.deepEqual(await summary(b, { groupBy: ["model"], project: "p1" }), rows({ model: "opus", ...sums(2, 300, 30, 5, 3000, 50, 0.75, 2) }));
    assert.deepEqual(await summary(b, { groupBy: ["model"], source: "codex", host: "h2", sessionId: "s2" }), rows(
      { model: "sonnet", ...sums(2, 700, 70, 7, 0, 0, 0.125, 1) },
    ));
  });

  test("ledger: summary days follow the given time zone", async (t) => {
    const { backend: b } = await s.open(t);
    await b.ledger.ingest(SIX);
    // New York is UTC-5 on these days (DST starts 2026-03-08).
    assert.deepEqual(await summary(b, { groupBy: ["day"], timezone: "America/New_York" }), rows(
      { day: "2026-03-01", ...sums(4, 1000, 100, 12, 3000, 50, 0.875, 3) },
      { day: "2026-03-02", ...sums(2, 1100, 110, 0, 3000, 100, 3, 2) },
    ));
    // Kolkata is UTC+5:30: 2026-03-01T23:59:59.999Z is already 03-02 there, 2026-03-03T01:00Z is 03-03.
    const kolkata = await summary(b, { groupBy: ["day"], timezone: "Asia/Kolkata" });
    assert.deepEqual(kolkata.map((r) => [r.day, r.turns]), [["2026-03-01", 2], ["2026-03-02", 3], ["2026-03-03", 1]]);
  });

  test("ledger: summary rows sort by code point, and large sums stay exact", async (t) => {
    const { backend: b } = await s.open(t);
    const models = ["b", "B", "a", "ä", "\u{ff5e}", "\u{1f98a}", "a b", "a-b"];
    await b.ledger.ingest(models.flatMap((model, i) => Array.from({ length: 4 }, (_, j) =>
      turn(`${i}-${j}`, { model, usage: { input: 1_000_000_007, output: j }, costUsd: 0.0625 * (j + 1) }))));
    const got = await summary(b, { groupBy: ["model"] });
    assert.deepEqual(got.map((r) => r.model), ["B", "a", "a b", "a-b", "b", "ä", "\u{ff5e}", "\u{1f98a}"]);
    for (const r of got) {
      assert.equal(r.inputTokens, 4_000_000_028);
      assert.equal(r.outputTokens, 6);
      assert.equal(r.costUsd, 0.625);
    }
  });
}
