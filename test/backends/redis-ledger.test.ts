/**
 * The ledger on Redis: the conformance cases, plus real separate daemons on one key prefix (the
 * conformance race shares one backend object), a full 10,000-turn batch, and the index choice.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RedisBackend } from "../../src/backends/redis/index.js";
import type { Backend } from "../../src/backends/contract.js";
import { makeSuite, type BackendFactory, type Suite } from "../conformance/harness.js";
import { queryAll, turn } from "../conformance/ledger-fixtures.js";
import { redis } from "../helpers/redis.js";

const factory: BackendFactory = async (ctx) => new RedisBackend({ ...ctx, url: (await redis()).url, prefix: `${ctx.isolationKey}:` });

function extras(s: Suite): void {
  test("ledger: 4 daemons on one prefix ingest the same 100 turns; each is stored once", async (t) => {
    const f = await s.open(t);
    const prefix = (f.backend as unknown as RedisBackend).keys.prefix;
    const url = (await redis()).url;
    const hosts = await Promise.all(
      ["h1", "h2", "h3", "h4"].map(async (origin) => {
        const b = new RedisBackend({ origin, now: () => new Date(), url, prefix }) as unknown as Backend;
        await b.open();
        t.after(() => b.close());
        return b;
      }),
    );
    const turns = Array.from({ length: 100 }, (_, i) => turn(`m${i}`, { ts: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(), usage: { input: i, output: 1 } }));
    const results = await Promise.all(hosts.map((b, h) => b.ledger.ingest((h % 2 ? [...turns].reverse() : turns).map((x) => ({ ...x, host: `h${h}` })))));
    assert.equal(results.reduce((n, r) => n + r.inserted, 0), 100);
    assert.equal(results.reduce((n, r) => n + r.duplicates, 0), 300);
    const all = await queryAll(f.backend, {}, 33);
    assert.equal(new Set(all.map((x) => x.idHash)).size, 100);
    const [row] = await f.backend.ledger.summary({ groupBy: [], timezone: "UTC" });
    assert.deepEqual([row.turns, row.inputTokens], [100, 4950]);
    const changes = (await f.backend.changes.since(undefined, 100)).changes.filter((c) => c.domain === "ledger");
    assert.equal(changes.reduce((n, c) => n + (c.data as { inserted: number }).inserted, 0), 100);
  });

  test("ledger: a 10,000-turn batch is one write; a repeat is all duplicates", async (t) => {
    const { backend: b } = await s.open(t);
    const turns = Array.from({ length: 10_000 }, (_, i) =>
      turn(`m${i}`, { sessionId: `s${i % 50}`, model: i % 2 ? "opus" : "sonnet", ts: new Date(Date.UTC(2026, 2, 1) + i * 60_000).toISOString() }));
    assert.deepEqual(await b.ledger.ingest(turns), { inserted: 10_000, duplicates: 0 });
    assert.deepEqual(await b.ledger.ingest([...turns.slice(0, 5000), turn("new")]), { inserted: 1, duplicates: 5000 });
    const rows = await b.ledger.summary({ groupBy: ["model"], timezone: "UTC" });
    assert.deepEqual(rows.map((r) => [r.model, r.turns]), [["opus", 5001], ["sonnet", 5000]]);
    const s7 = await queryAll(b, { sessionId: "s7", model: "opus", since: "2026-03-02T00:00:00.000Z" }, 50);
    const expected = turns.filter((x, i) => i % 50 === 7 && i % 2 === 1 && x.ts >= "2026-03-02T00:00:00.000Z");
    assert.deepEqual(s7.map((x) => x.messageId), expected.map((x) => x.messageId));
  });
}

describe("redis: ledger beyond conformance", () => extras(makeSuite("redis-ledger-extra", factory, { durable: true })));
