/**
 * relayburn, end to end through a real daemon on every backend: envelope turns, stamps applied as
 * enrichment, cache writes = 5m + 1h with the split kept, the other kinds counted and left in the
 * renamed file — and `ledger.summary` by model equal to relayburn's own per-model totals for the
 * same file (computed as relayburn's reader and `burn summary` do, fixtures/relayburn.ts).
 */
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { rootsFor } from "../../src/migrate/legacy/index.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { BACKENDS, openStore, unavailable } from "./backends.js";
import { relayburnModelTotals, writeRelayburnTree } from "./fixtures/relayburn.js";

for (const name of BACKENDS) {
  test(`relayburn into ${name}: the ledger summary by model equals relayburn's own totals`, { timeout: 120_000 }, async (t) => {
    const reason = await unavailable(name);
    if (reason !== undefined) return t.skip(reason);
    const dir = tempDir(t);
    const store = await openStore(name, join(dir, "data"), "burn");
    const d = await startTestDaemon(t, { backend: name, store });
    const client = await d.client();
    const root = join(dir, "relayburn");
    const fx = writeRelayburnTree(root);
    const expected = relayburnModelTotals(fx.text);
    assert.equal([...expected.values()].reduce((n, r) => n + r.turns, 0), fx.turns.length, "the writer stored each turn once");

    const r = await client.migrate.legacy({ roots: rootsFor([root], ["relayburn"]) });
    const file = r.files[0];
    assert.equal(file.status, "imported", JSON.stringify(file));
    assert.equal(r.counts.turns.imported, fx.turns.length);
    assert.equal(r.counts.stamps.imported, fx.stamps - 1);
    for (const [kind, n] of Object.entries(fx.kept)) assert.equal(r.counts[kind].kept, n, kind);
    assert.deepEqual(file.kept, fx.kept);
    assert.ok(file.renamedTo?.startsWith(`${fx.file}.migrated-`));
    assert.equal(file.keptIn, file.renamedTo, "the kinds agentstate does not store stay in the renamed file");
    assert.equal(readFileSync(file.renamedTo!, "utf8"), fx.text, "renamed, not rewritten");

    const summary = await client.ledger.summary({ groupBy: ["model"] });
    const actual = new Map(summary.rows.map((row) => [row.model!, {
      turns: row.turns, input: row.inputTokens, output: row.outputTokens, reasoning: row.reasoningTokens,
      cacheRead: row.cacheReadTokens, cacheCreate: row.cacheCreateTokens,
    }]));
    assert.deepEqual(Object.fromEntries(actual), Object.fromEntries(expected));

    // Fields a turn keeps: the cache-write split, the stamps' enrichment, relayburn's other fields.
    const turns = (await client.ledger.query({ sessionId: fx.turns[0].sessionId, limit: 1000 })).items;
    const big = turns.find((x) => x.messageId === fx.turns[3].messageId) ?? (await client.ledger.query({ sessionId: fx.turns[3].sessionId, limit: 1000 })).items.find((x) => x.messageId === fx.turns[3].messageId)!;
    assert.equal(big.usage.cacheCreate, 4773 + fx.turns[3].usage.cacheCreate1h);
    assert.deepEqual((big.extra as { usage: unknown }).usage, { cacheCreate5m: 4773, cacheCreate1h: fx.turns[3].usage.cacheCreate1h });
    const enriched = turns.find((x) => x.messageId === fx.enriched.messageId)!;
    assert.deepEqual((enriched.extra as { enrichment: unknown }).enrichment, fx.enriched.enrichment);
    assert.equal((enriched.extra as { projectKey: string }).projectKey, "github.com/me/proj");
    assert.equal(enriched.toolCalls, fx.turns[2].toolCalls.length);
    const unknownModel = (await client.ledger.query({ model: "unknown", limit: 10 })).items;
    assert.equal(unknownModel.length, 1, "relayburn groups an empty model as unknown");

    const again = await client.migrate.legacy({ roots: rootsFor([root], ["relayburn"]) });
    assert.equal(again.files.length, 0, "the renamed file is not read again");
  });
}

test("relayburn: a file with a torn last line is imported but stays, and the report names the line", async (t) => {
  const d = await startTestDaemon(t);
  const client = await d.client();
  const root = join(tempDir(t), "relayburn");
  const fx = writeRelayburnTree(root);
  appendFileSync(fx.file, "{\"v\":1,\"kind\":\"turn\",\"record\":{\"source\":\"claude-co");
  const line = readFileSync(fx.file, "utf8").split("\n").length;
  const r = await client.migrate.legacy({ roots: rootsFor([root], ["relayburn"]) });
  assert.equal(r.files[0].status, "partial");
  assert.deepEqual(r.files[0].unreadLines, [line]);
  assert.equal(r.files[0].renamedTo, undefined);
  assert.equal(r.files[0].keptIn, fx.file);
  assert.ok(existsSync(fx.file));
  assert.equal(r.counts.turns.imported, fx.turns.length);
  const second = await client.migrate.legacy({ roots: rootsFor([root], ["relayburn"]) });
  assert.equal(second.counts.turns.existing, fx.turns.length, "read again while it stays; nothing stored twice");
});
