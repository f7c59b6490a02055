// The ledger conformance suite on jsonl, plus what only a file-backed ledger can get wrong: replay
// after a crash, torn tails, and the segment index over many lines.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { KeySet } from "../../src/backends/jsonl/key-set.js";
import type { Backend } from "../../src/backends/contract.js";
import { idHash, type Turn } from "../../src/domain/ledger.js";
import { queryAll, turn } from "../conformance/ledger-fixtures.js";

const root = mkdtempSync(join(tmpdir(), "jsonl-ledger-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

let dirs = 0;
const freshDir = () => join(root, `crash-${dirs++}`);
const openAt = async (dataDir: string) => {
  const b = new JsonlBackend({ dataDir, origin: "test", now: () => new Date("2026-03-01T00:00:00.000Z") });
  await b.open();
  return b;
};
/**
 * Leaves `b` as a crash would: no close(), no checkpoint. Its plans watcher stops (a dead process
 * watches nothing, and it would keep this one alive) and the lock goes, so a new backend may open.
 */
const crash = async (b: JsonlBackend, dataDir: string) => {
  await b.engine.applyNow();
  await b.storage.ports.plans.stop();
  rmSync(join(dataDir, "agentstate.lock"), { force: true });
};
const fileLines = (dataDir: string) => readFileSync(join(dataDir, "ledger.jsonl"), "utf8").split("\n").filter((l) => l !== "");
const ledgerChanges = async (b: Backend) => (await b.changes.since(undefined, 10_000)).changes.filter((c) => c.domain === "ledger");
const asBackend = (b: JsonlBackend) => b as unknown as Backend;

const A = [turn("a1"), turn("a2", { ts: "2026-03-01T11:00:00.000Z" }), turn("a3", { ts: "2026-03-01T09:00:00.000Z" })];
const B = [turn("b1", { ts: "2026-03-02T10:00:00.000Z" }), turn("b2", { ts: "2026-03-02T11:00:00.000Z" })];

describe("jsonl ledger: crash and replay", () => {
  test("turns already in the file when the journal is replayed are stored once", async () => {
    const dir = freshDir();
    const old = await openAt(dir);
    await old.ledger.ingest(A);
    await old.ledger.ingest(B);
    await crash(old, dir);
    assert.ok(statSync(join(dir, "journal.jsonl")).size > 0, "the journal still holds the ingests");
    const b = await openAt(dir);
    try {
      const all = await queryAll(asBackend(b));
      assert.deepEqual(all.map((t) => t.messageId), ["a3", "a1", "a2", "b1", "b2"]);
      assert.equal(fileLines(dir).length, 5);
      assert.equal((await ledgerChanges(asBackend(b))).length, 2);
      assert.deepEqual(await b.ledger.ingest([...A, ...B]), { inserted: 0, duplicates: 5 });
    } finally {
      await b.close();
    }
  });

  test("turns only in the journal are written at reopen, after a torn last line is cut", async () => {
    const dir = freshDir();
    const old = await openAt(dir);
    await old.ledger.ingest(A);
    await old.engine.applyNow();
    const sizeAfterA = statSync(join(dir, "ledger.jsonl")).size;
    await old.ledger.ingest(B);
    await crash(old, dir);
    // As if the crash came while B's lines were being written: only part of the first one is there.
    truncateSync(join(dir, "ledger.jsonl"), sizeAfterA);
    appendFileSync(join(dir, "ledger.jsonl"), `{"idHash":"${idHash("claude", "s1", "b1")}","ts":"2026-03-02T1`);
    const b = await openAt(dir);
    try {
      const all = await queryAll(asBackend(b));
      assert.deepEqual(all.map((t) => t.messageId), ["a3", "a1", "a2", "b1", "b2"]);
      const lines = fileLines(dir);
      assert.equal(lines.length, 5);
      for (const line of lines) JSON.parse(line);
      const [row] = await b.ledger.summary({ groupBy: [], timezone: "UTC" });
      assert.equal(row.turns, 5);
    } finally {
      await b.close();
    }
  });
});

describe("jsonl ledger: many segments", () => {
  test("paging and summary over 3,000 turns ingested out of time order equal a sorted scan, before and after reopen", async () => {
    const dir = freshDir();
    const hour = (i: number) => new Date(Date.UTC(2026, 0, 1) + ((i * 7919) % 3000) * 3_600_000).toISOString();
    const turns: Turn[] = Array.from({ length: 3000 }, (_, i) =>
      turn(`m${i}`, { ts: hour(i), model: i % 3 === 0 ? "opus" : "sonnet", usage: { input: i, output: 1 } }));
    const b = await openAt(dir);
    for (let i = 0; i < turns.length; i += 500) await b.ledger.ingest(turns.slice(i, i + 500));
    const expected = turns
      .map((t) => ({ ts: t.ts, idHash: idHash(t.source, t.sessionId, t.messageId) }))
      .sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : x.idHash < y.idHash ? -1 : 1))
      .map((t) => t.idHash);
    const since = "2026-02-01T00:00:00.000Z";
    const until = "2026-03-01T00:00:00.000Z";
    const inRange = turns.filter((t) => t.ts >= since && t.ts < until);
    const check = async (x: Backend) => {
      assert.deepEqual((await queryAll(x, {}, 97)).map((t) => t.idHash), expected);
      assert.equal((await queryAll(x, { since, until, model: "opus" }, 10)).length, inRange.filter((t) => t.model === "opus").length);
      const rows = await x.ledger.summary({ groupBy: ["model"], since, until, timezone: "UTC" });
      assert.deepEqual(rows.map((r) => [r.model, r.turns, r.inputTokens]), ["opus", "sonnet"].map((m) => {
        const mine = inRange.filter((t) => t.model === m);
        return [m, mine.length, mine.reduce((n, t) => n + t.usage.input, 0)];
      }));
    };
    await check(asBackend(b));
    await b.close();
    const again = await openAt(dir);
    try {
      await check(asBackend(again));
      assert.deepEqual(await again.ledger.ingest(turns.slice(0, 10)), { inserted: 0, duplicates: 10 });
    } finally {
      await again.close();
    }
  });
});

describe("jsonl ledger: key set", () => {
  test("holds every key loaded and added across merges, none other", () => {
    const key = (i: number) => idHash("k", String(i), "m");
    const set = new KeySet();
    const first = BigUint64Array.from([3, 1, 2, 1].map((i) => BigInt("0x" + key(i))));
    assert.equal(set.load(first, 4), 1, "one repeated key");
    for (let i = 3; i < 30_000; i++) set.add(key(i));
    assert.equal(set.size, 30_000 - 1);
    for (let i = 1; i < 30_000; i++) assert.ok(set.has(key(i)), `key ${i}`);
    for (let i = 30_000; i < 31_000; i++) assert.ok(!set.has(key(i)));
    assert.ok(!set.has(key(0)));
  });
});
