/** Conformance cases for shell history (SPEC §3.5, §4). */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, HistoryQuery } from "../../src/backends/contract.js";
import type { HistoryEntry, HistoryEntryInput } from "../../src/domain/history.js";
import type { Suite } from "./harness.js";

const NASTY = [
  "echo 'a\nb'",
  "printf '%s\\n' x\\\\y",
  "C:\\Users\\me\\dir",
  "\ttab\tseparated\t",
  "ünï cödé 🦊 — “quotes” \u2028 \u2029",
  "cr\r\nlf",
  "literal \\n is two characters",
  "",
  "   ",
  "SELECT * FROM history; -- '); DROP TABLE history;--",
  "{\"json\": [1, null]}",
  "trailing backslash \\",
];

const cmds = (items: readonly HistoryEntry[]) => items.map((e) => e.command);
const seqs = (items: readonly HistoryEntry[]) => items.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function appendCommands(b: Backend, commands: string[]) {
  return b.history.append(commands.map((command) => ({ command })));
}

/** Every page of a query, following nextCursor back in time; returns pages oldest-first joined. */
async function walkBack(b: Backend, q: Omit<HistoryQuery, "cursor">): Promise<{ items: HistoryEntry[]; pages: number }> {
  const pages: HistoryEntry[][] = [];
  let cursor: string | undefined;
  do {
    const p = await b.history.list({ ...q, cursor });
    assert.ok(p.items.length <= q.limit);
    pages.unshift(p.items);
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return { items: pages.flat(), pages: pages.length };
}

export function historyConformance(s: Suite): void {
  test("history: an empty history lists nothing", async (t) => {
    const { backend: b } = await s.open(t);
    assert.deepEqual(await b.history.list({ limit: 10 }), { items: [], nextCursor: null });
    assert.deepEqual(await b.history.list({ limit: 10, beforeSeq: 5, contains: "x" }), { items: [], nextCursor: null });
  });

  test("history: append assigns increasing seqs; commands and fields survive exactly", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    assert.deepEqual(await appendCommands(b, NASTY), { firstSeq: 1, lastSeq: NASTY.length });
    f.clock.advance(1000);
    const rich: HistoryEntryInput = { command: "make\\\n  test", cwd: "/tmp/ü dir", exitCode: -1, sessionId: "telegram:123", host: "box-1", createdAt: "2024-02-29T23:59:59+02:00" };
    const r = await b.history.append([rich, { command: "ls", exitCode: 0 }]);
    assert.deepEqual(r, { firstSeq: NASTY.length + 1, lastSeq: NASTY.length + 2 });
    const check = async (b: Backend) => {
      const { items, nextCursor } = await b.history.list({ limit: 100 });
      assert.equal(nextCursor, null);
      assert.deepEqual(seqs(items), range(1, NASTY.length + 2));
      assert.deepEqual(cmds(items).slice(0, NASTY.length), NASTY);
      const [first, , last] = [items[0], items[NASTY.length], items[NASTY.length + 1]];
      assert.deepEqual(Object.keys(first).sort(), ["command", "createdAt", "seq"]);
      assert.equal(first.createdAt, "2026-03-01T12:00:00.000Z");
      assert.deepEqual(items[NASTY.length], { seq: NASTY.length + 1, ...rich, createdAt: "2024-02-29T21:59:59.000Z" });
      assert.deepEqual(last, { seq: NASTY.length + 2, command: "ls", exitCode: 0, createdAt: "2026-03-01T12:00:01.000Z" });
    };
    await check(b);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await check(b2);
      assert.deepEqual(await appendCommands(b2, ["after reopen"]), { firstSeq: NASTY.length + 3, lastSeq: NASTY.length + 3 });
    }
  });

  test("history: list is the newest limit, oldest first; cursor and beforeSeq page back", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    for (let i = 0; i < 5; i++) await appendCommands(b, range(i * 5 + 1, i * 5 + 5).map((n) => `cmd ${n}`));
    const p1 = await b.history.list({ limit: 10 });
    assert.deepEqual(seqs(p1.items), range(16, 25));
    assert.ok(p1.nextCursor);
    const p2 = await b.history.list({ limit: 10, cursor: p1.nextCursor });
    assert.deepEqual(seqs(p2.items), range(6, 15));
    const p3 = await b.history.list({ limit: 10, cursor: p2.nextCursor ?? undefined });
    assert.deepEqual(seqs(p3.items), range(1, 5));
    assert.equal(p3.nextCursor, null);
    const exact = await walkBack(b, { limit: 5 });
    assert.deepEqual(seqs(exact.items), range(1, 25));
    assert.equal(exact.pages, 5, "a page that ends exactly at the oldest entry has nextCursor null");
    assert.deepEqual(cmds((await b.history.list({ limit: 3, beforeSeq: 8 })).items), ["cmd 5", "cmd 6", "cmd 7"]);
    assert.deepEqual((await b.history.list({ limit: 3, beforeSeq: 1 })).items, []);
    assert.deepEqual(seqs((await b.history.list({ limit: 3, beforeSeq: 1000 })).items), [23, 24, 25]);
    // the smaller of beforeSeq and the cursor's bound wins
    assert.deepEqual(seqs((await b.history.list({ limit: 2, beforeSeq: 4, cursor: p1.nextCursor })).items), [2, 3]);
    await assert.rejects(b.history.list({ limit: 2, cursor: "garbage!" }), { code: "INVALID_PARAMS" });
    if (s.caps.durable) assert.deepEqual(seqs((await walkBack(await f.reopen(), { limit: 4 })).items), range(1, 25));
  });

  test("history: contains is a literal, case-sensitive substring and pages with the cursor", async (t) => {
    const { backend: b } = await s.open(t);
    await appendCommands(b, [
      "git status", "GIT LOG", "ls -la", "git commit -m '100% done'", "echo a_b", "echo axb", "git push",
      "grep -E 'a.*b' f", "echo a\nb", "git diff", "rm -rf *", "echo 'x'",
    ]);
    const find = async (contains: string, limit = 100) => cmds((await walkBack(b, { limit, contains })).items);
    assert.deepEqual(await find("git"), ["git status", "git commit -m '100% done'", "git push", "git diff"]);
    assert.deepEqual(await find("git", 1), ["git status", "git commit -m '100% done'", "git push", "git diff"]);
    assert.deepEqual(await find("GIT"), ["GIT LOG"]);
    assert.deepEqual(await find("%"), ["git commit -m '100% done'"]);
    assert.deepEqual(await find("a_b"), ["echo a_b"]);
    assert.deepEqual(await find(".*"), ["grep -E 'a.*b' f"]);
    assert.deepEqual(await find("*"), ["grep -E 'a.*b' f", "rm -rf *"]);
    assert.deepEqual(await find("a\nb"), ["echo a\nb"]);
    assert.deepEqual(await find("'"), ["git commit -m '100% done'", "grep -E 'a.*b' f", "echo 'x'"]);
    assert.deepEqual(await find("nothing like this"), []);
    const newest2 = await b.history.list({ limit: 2, contains: "git" });
    assert.deepEqual(cmds(newest2.items), ["git push", "git diff"]);
    assert.ok(newest2.nextCursor);
    assert.deepEqual(cmds((await b.history.list({ limit: 2, contains: "git", beforeSeq: 7 })).items), ["git status", "git commit -m '100% done'"]);
  });

  test("history: retention keeps the newest entries and seqs are never reused", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const total = 10_006; // the default retention is 10,000
    await b.history.append(range(1, 5000).map((n) => ({ command: `c${n}` })));
    await b.history.append(range(5001, 10_000).map((n) => ({ command: `c${n}` })));
    assert.deepEqual(await appendCommands(b, range(10_001, total).map((n) => `c${n}`)), { firstSeq: 10_001, lastSeq: total });
    const check = async (b: Backend) => {
      const oldest = await b.history.list({ limit: 2, beforeSeq: 9 });
      assert.deepEqual(cmds(oldest.items), ["c7", "c8"]);
      assert.equal(oldest.nextCursor, null);
      assert.deepEqual(seqs((await b.history.list({ limit: 1 })).items), [total]);
      assert.deepEqual(await b.history.list({ limit: 10, beforeSeq: 7 }), { items: [], nextCursor: null });
      assert.deepEqual(cmds((await b.history.list({ limit: 10, contains: "c6", beforeSeq: 62 })).items), ["c60", "c61"]);
    };
    await check(b);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      await check(b2);
      assert.deepEqual(await appendCommands(b2, ["next"]), { firstSeq: total + 1, lastSeq: total + 1 });
    }
  });

  test("history: a repeated idempotencyKey returns the first result and writes nothing", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const first = await b.history.append([{ command: "a" }, { command: "b" }], "import:file-1");
    await appendCommands(b, ["c"]);
    const head = await b.changes.head();
    assert.deepEqual(await b.history.append([{ command: "a" }, { command: "b" }], "import:file-1"), first);
    assert.equal(await b.changes.head(), head);
    assert.deepEqual(cmds((await b.history.list({ limit: 10 })).items), ["a", "b", "c"]);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(await b2.history.append([{ command: "a" }], "import:file-1"), first);
      assert.equal((await b2.history.list({ limit: 10 })).items.length, 3);
    }
  });

  test("history: concurrent appends get dense, unique seqs in batch order", async (t) => {
    const { backend: b } = await s.open(t);
    const results = await Promise.all(range(1, 8).map((w) => b.history.append(range(1, 3).map((i) => ({ command: `${w}.${i}` })))));
    const sorted = [...results].sort((x, y) => x.firstSeq - y.firstSeq);
    sorted.forEach((r, i) => assert.deepEqual(r, { firstSeq: i * 3 + 1, lastSeq: i * 3 + 3 }));
    const { items } = await b.history.list({ limit: 100 });
    assert.deepEqual(seqs(items), range(1, 24));
    for (const [w, r] of results.entries()) {
      assert.deepEqual(cmds(items.slice(r.firstSeq - 1, r.lastSeq)), [`${w + 1}.1`, `${w + 1}.2`, `${w + 1}.3`]);
    }
  });

  test("history: one change record per append with the seq range, never a command", async (t) => {
    const { backend: b } = await s.open(t);
    const start = await b.changes.head();
    await b.history.append([{ command: "echo SECRET-ONE" }]);
    await b.history.append([{ command: "echo SECRET-TWO" }, { command: "x" }, { command: "y" }]);
    const { changes } = await b.changes.since(start, 100);
    assert.deepEqual(changes.map((c) => [c.domain, c.type, c.id, c.data]), [
      ["history", "history.appended", "1", { firstSeq: 1, lastSeq: 1 }],
      ["history", "history.appended", "2", { firstSeq: 2, lastSeq: 4 }],
    ]);
    assert.ok(!JSON.stringify(changes).includes("SECRET"));
  });

  test("history: the idempotency window is the newest 1,000 keys, at its edge", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const first = await b.history.append([{ command: "k0" }], "key-0");
    const later: Array<{ firstSeq: number; lastSeq: number }> = [];
    for (let from = 1; from < 1000; from += 50) {
      const batch = range(from, Math.min(from + 49, 999)).map((i) => b.history.append([{ command: `k${i}` }], `key-${i}`));
      later.push(...(await Promise.all(batch)));
    }
    // 1,000 keys so far: the oldest is still remembered
    assert.deepEqual(await b.history.append([{ command: "again" }], "key-0"), first);
    await b.history.append([{ command: "k1000" }], "key-1000");
    // the 1,001st key pushed key-0 out; key-1 is now the oldest remembered
    assert.deepEqual(await b.history.append([{ command: "again" }], "key-1"), later[0]);
    const b2 = s.caps.durable ? await f.reopen() : b;
    assert.deepEqual(await b2.history.append([{ command: "again" }], "key-1"), later[0]);
    assert.deepEqual(await b2.history.append([{ command: "k0 again" }], "key-0"), { firstSeq: 1002, lastSeq: 1002 });
  });

  test("history: restore writes entries with their own seqs and times; the next seq follows the highest", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const restore = b.restore;
    const start = await b.changes.head();
    const old: HistoryEntry[] = [
      { seq: 3, command: "git status", createdAt: "2023-01-01T00:00:00.000Z", cwd: "/src", exitCode: 0, host: "h1" },
      { seq: 7, command: "echo 'a\nb'", createdAt: "2023-01-02T00:00:00.000Z", sessionId: "s1" },
      { seq: 40, command: "make", createdAt: "2023-01-03T00:00:00.000Z", exitCode: 2 },
    ];
    await restore.history(old);
    assert.deepEqual((await b.history.list({ limit: 10 })).items, old);
    await restore.history(old); // a resumed restore adds nothing
    assert.deepEqual((await b.history.list({ limit: 2 })).items, old.slice(1));
    assert.deepEqual((await b.history.list({ limit: 10, contains: "echo" })).items, [old[1]]);
    assert.deepEqual(await appendCommands(b, ["after"]), { firstSeq: 41, lastSeq: 41 });
    await assert.rejects(restore.history([{ seq: 50, command: "x", createdAt: old[0].createdAt }, { seq: 50, command: "y", createdAt: old[0].createdAt }]), { code: "INVALID_PARAMS" });
    const changes = (await b.changes.since(start, 100)).changes.map((c) => [c.type, c.data]);
    assert.deepEqual(changes, [
      ["history.appended", { firstSeq: 3, lastSeq: 40, restored: true }],
      ["history.appended", { firstSeq: 41, lastSeq: 41 }],
    ]);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(seqs((await b2.history.list({ limit: 10 })).items), [3, 7, 40, 41]);
      assert.deepEqual(await appendCommands(b2, ["next"]), { firstSeq: 42, lastSeq: 42 });
    }
  });
}
