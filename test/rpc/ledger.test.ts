/** The usage ledger over the socket: defaults, canonical times, every caller-caused error, the CLI. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { RpcCallError } from "../../src/client/errors.js";
import { runCli } from "../../src/client/cli/main.js";
import type { SummaryResult, Turn } from "../../src/domain/ledger.js";
import { startTestDaemon } from "../helpers/daemon.js";

const turn = (messageId: string, over: Partial<Turn> = {}): Turn => ({
  source: "claude", sessionId: "s1", messageId, ts: "2026-03-01T10:00:00.000Z", model: "opus", usage: { input: 10, output: 5 }, ...over,
});

const TURNS: Turn[] = [
  turn("a", { ts: "2026-03-01T09:00:00.000Z", model: "opus", usage: { input: 1000, output: 100, cacheRead: 2_000_000 }, costUsd: 1.5 }),
  turn("b", { ts: "2026-03-01T22:00:00.000Z", model: "sonnet", usage: { input: 20, output: 2 }, costUsd: 0.25 }),
  turn("c", { ts: "2026-03-02T01:00:00.000Z", model: "opus", usage: { input: 300, output: 30, reasoning: 9 } }),
];

async function expectError(p: Promise<unknown>, rpcCode: number, code: string): Promise<RpcCallError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcCallError, `expected RpcCallError, got ${String(e)}`);
    assert.equal(e.rpcCode, rpcCode, e.message);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail("expected the call to fail");
}

/** INVALID_PARAMS whose data.issues names `path`. */
async function expectInvalid(p: Promise<unknown>, path: string): Promise<void> {
  const e = await expectError(p, -32602, "INVALID_PARAMS");
  const issues = e.data?.issues as { path: string; message: string }[];
  assert.ok(issues.some((i) => i.path === path), `issues ${JSON.stringify(issues)} should name ${path}`);
}

function capture() {
  const io = { stdout: "", stderr: "" };
  return { io, sink: { out: (s: string) => void (io.stdout += s), err: (s: string) => void (io.stderr += s) } };
}

test("ledger rpc: ingest, query and summary round trip; times become canonical UTC", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const offset = turn("z", { ts: "2026-03-02T01:30:00+02:00", model: "haiku" });
  assert.deepEqual(await c.ledger.ingest({ turns: [...TURNS, offset, TURNS[0]] }), { inserted: 4, duplicates: 1 });
  assert.deepEqual(await c.ledger.ingest({ turns: TURNS }), { inserted: 0, duplicates: 3 });
  const page = await c.ledger.query({});
  assert.deepEqual(page.items.map((x) => [x.messageId, x.ts]), [
    ["a", "2026-03-01T09:00:00.000Z"], ["b", "2026-03-01T22:00:00.000Z"], ["z", "2026-03-01T23:30:00.000Z"], ["c", "2026-03-02T01:00:00.000Z"],
  ]);
  assert.equal(page.nextCursor, null);
  const paged = await c.ledger.query({ limit: 3, since: "2026-03-01T10:00:00Z" });
  assert.deepEqual(paged.items.map((x) => x.messageId), ["b", "z", "c"]);
  assert.equal(paged.nextCursor, null);
  const noZone = await c.ledger.query({ until: "2026-03-01T22:00:00" });
  assert.deepEqual(noZone.items.map((x) => x.messageId), ["a"], "a time without an offset is UTC");
  const s = await c.ledger.summary({ groupBy: ["model", "day"] });
  assert.equal(s.timezone, "UTC");
  assert.deepEqual(s.rows.map((r) => [r.model, r.day, r.turns]), [
    ["haiku", "2026-03-01", 1], ["opus", "2026-03-01", 1], ["opus", "2026-03-02", 1], ["sonnet", "2026-03-01", 1],
  ]);
  assert.deepEqual(s.totals, {
    turns: 4, inputTokens: 1330, outputTokens: 137, reasoningTokens: 9, cacheReadTokens: 2_000_000, cacheCreateTokens: 0, costUsd: 1.75, pricedTurns: 2,
  });
  const berlin = await c.ledger.summary({ groupBy: ["day"], timezone: "europe/berlin" });
  assert.equal(berlin.timezone, "Europe/Berlin");
  assert.deepEqual(berlin.rows.map((r) => [r.day, r.turns]), [["2026-03-01", 2], ["2026-03-02", 2]]);
  const empty = await c.ledger.summary({ groupBy: [], since: "2030-01-01T00:00:00.000Z" });
  assert.deepEqual([empty.rows, empty.totals.turns], [[], 0]);
});

test("ledger rpc: ingest records one ledger.ingested change; an all-duplicate ingest none", async (t) => {
  const store = new MemoryBackend({ origin: "test", now: () => new Date() });
  const d = await startTestDaemon(t, { store });
  const c = await d.client();
  await c.ledger.ingest({ turns: TURNS });
  await c.ledger.ingest({ turns: TURNS });
  const changes = (await store.changes.since(undefined, 100)).changes.filter((x) => x.domain === "ledger");
  assert.deepEqual(changes.map((x) => [x.type, (x.data as { inserted: number }).inserted]), [["ledger.ingested", 3]]);
});

test("ledger rpc: bad params are INVALID_PARAMS naming the field", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const call = (method: string, params: unknown) => (c.call as (m: string, p: unknown) => Promise<unknown>)(method, params);
  await expectInvalid(call("ledger.summary", { groupBy: ["model", "week"] }), "/groupBy/1");
  await expectInvalid(call("ledger.summary", {}), "/groupBy");
  await expectInvalid(call("ledger.summary", { groupBy: ["day", "day"] }), "/groupBy");
  await expectInvalid(c.ledger.summary({ groupBy: ["day"], timezone: "Mars/Olympus_Mons" }), "/timezone");
  await expectInvalid(c.ledger.summary({ groupBy: [], since: "2026-03-02T00:00:00.000Z", until: "2026-03-01T00:00:00.000Z" }), "/until");
  await expectInvalid(call("ledger.ingest", { turns: [TURNS[1], { ...TURNS[0], usage: { output: 100 } }] }), "/turns/1/usage/input");
  await expectInvalid(call("ledger.ingest", { turns: [{ ...TURNS[0], usage: { input: -1, output: 0 } }] }), "/turns/0/usage/input");
  await expectInvalid(call("ledger.ingest", { turns: [{ ...TURNS[0], tokens: 5 }] }), "/turns/0/tokens");
  await expectInvalid(call("ledger.ingest", { turns: [{ ...TURNS[0], sessionId: "" }] }), "/turns/0/sessionId");
  await expectInvalid(call("ledger.ingest", { turns: [{ ...TURNS[0], ts: "yesterday" }] }), "/turns/0/ts");
  await expectInvalid(call("ledger.ingest", { turns: [{ ...TURNS[0], ts: "9999-12-31T23:30:00-05:00" }] }), "/turns/0/ts");
  await expectInvalid(call("ledger.ingest", { turns: Array.from({ length: 10_001 }, (_, i) => turn(`m${i}`)) }), "/turns");
  await expectInvalid(c.ledger.query({ cursor: "bogus" }), "/cursor");
  await expectInvalid(call("ledger.query", { limit: 1001 }), "/limit");
  assert.deepEqual((await c.ledger.query({})).items, [], "nothing was stored by the failed calls");
});

test("ledger rpc: an oversized extra is TOO_LARGE and nothing of the batch is stored", async (t) => {
  const d = await startTestDaemon(t, { maxValueBytes: 100 });
  const c = await d.client();
  const e = await expectError(
    c.ledger.ingest({ turns: [turn("ok", { extra: { small: true } }), turn("big", { extra: { blob: "x".repeat(200) } })] }),
    -32003,
    "TOO_LARGE",
  );
  assert.equal(e.data?.what, "turns[1].extra");
  assert.deepEqual((await c.ledger.query({})).items, []);
  assert.deepEqual(await c.ledger.ingest({ turns: [turn("ok", { extra: { small: true } })] }), { inserted: 1, duplicates: 0 });
});

test("ledger cli: summary --json prints the method's result", async (t) => {
  const d = await startTestDaemon(t);
  await (await d.client()).ledger.ingest({ turns: TURNS });
  const { io, sink } = capture();
  const code = await runCli(["ledger", "summary", "--by", "model,day", "--socket", d.socket, "--json"], sink);
  assert.equal(code, 0, io.stderr);
  const result = JSON.parse(io.stdout) as SummaryResult;
  assert.deepEqual(result.groupBy, ["model", "day"]);
  assert.deepEqual(result.rows.map((r) => [r.model, r.day, r.inputTokens, r.costUsd]), [
    ["opus", "2026-03-01", 1000, 1.5], ["opus", "2026-03-02", 300, 0], ["sonnet", "2026-03-01", 20, 0.25],
  ]);
  assert.equal(result.totals.turns, 3);
  const { io: io2, sink: sink2 } = capture();
  assert.equal(await runCli(["ledger", "summary", "--by", "day", "--since", "2026-03-02", "--socket", d.socket, "--json"], sink2), 0, io2.stderr);
  assert.deepEqual((JSON.parse(io2.stdout) as SummaryResult).rows.map((r) => r.day), ["2026-03-02"]);
});

test("ledger cli: summary prints a table with right-aligned numbers and a total", async (t) => {
  const d = await startTestDaemon(t);
  await (await d.client()).ledger.ingest({ turns: TURNS });
  const { io, sink } = capture();
  assert.equal(await runCli(["ledger", "summary", "--by", "model,day", "--socket", d.socket], sink), 0, io.stderr);
  const lines = io.stdout.trimEnd().split("\n");
  assert.match(lines[0], /^MODEL\s+DAY\s+TURNS\s+INPUT\s+OUTPUT\s+REASONING\s+CACHE READ\s+CACHE WRITE\s+COST USD$/);
  assert.match(lines[1], /^opus\s+2026-03-01\s+1\s+1,000\s+100\s+0\s+2,000,000\s+0\s+1\.5000$/);
  assert.match(lines[2], /^opus\s+2026-03-02\s+1\s+300\s+30\s+9\s+0\s+0\s+-$/);
  assert.match(lines[3], /^sonnet\s+2026-03-01\s+1\s+20\s+2\s+0\s+0\s+0\s+0\.2500$/);
  assert.match(lines[4], /^-+(\s+-+)+$/);
  assert.match(lines[5], /^TOTAL\s+3\s+1,320\s+132\s+9\s+2,000,000\s+0\s+1\.7500\*$/);
  assert.match(lines[6], /lower bound/);
  const ends = lines.slice(0, 6).filter((_, i) => i !== 4).map((l) => l.replace(/\*$/, "").length);
  assert.ok(ends.every((n) => n === ends[0]), `number columns end in one place: ${JSON.stringify(lines)}`);

  const { io: io2, sink: sink2 } = capture();
  assert.equal(await runCli(["ledger", "summary", "--since", "2031-01-01", "--socket", d.socket], sink2), 0, io2.stderr);
  assert.equal(io2.stdout, "no turns match\n");
});

test("ledger cli: a bad --by is a usage error (exit 2) without a round trip", async (t) => {
  const d = await startTestDaemon(t);
  const { io, sink } = capture();
  assert.equal(await runCli(["ledger", "summary", "--by", "model,week", "--socket", d.socket], sink), 2);
  assert.match(io.stderr, /unknown dimension "week"/);
  const { io: io2, sink: sink2 } = capture();
  // The server refuses the zone (INVALID_PARAMS): bad input exits 2 whoever rejects it (issue 19, item 8).
  assert.equal(await runCli(["ledger", "summary", "--tz", "Nowhere/Land", "--socket", d.socket, "--no-autostart"], sink2), 2);
  assert.match(io2.stderr, /INVALID_PARAMS/);
});
