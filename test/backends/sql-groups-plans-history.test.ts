/**
 * Groups, plans and shell history on the shared SQL backend: the conformance cases on sqlite and
 * postgres, plus what the conformance factory cannot reach (a small retention, strings Postgres TEXT
 * cannot hold, the idempotency-key window).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import type { Backend, BackendOptions } from "../../src/backends/contract.js";
import type { HistoryAppendResult } from "../../src/domain/history.js";
import { makeSuite, type FactoryContext, type Suite } from "../conformance/harness.js";
import { postgres } from "../helpers/postgres.js";

const root = mkdtempSync(join(tmpdir(), "sql-gph-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

type Extra = Partial<BackendOptions>;
const engines: Record<string, (ctx: FactoryContext, extra: Extra) => Promise<Backend>> = {
  sqlite: async (ctx, extra) => new SqliteBackend({ ...ctx, ...extra, path: join(root, `${ctx.isolationKey}.sqlite`) }),
  postgres: async (ctx, extra) => new PostgresBackend({ ...ctx, ...extra, url: (await postgres()).url, schema: ctx.isolationKey }),
};

function extras(s: Suite): void {
  test("history: a small retention prunes inside the append and never reuses a seq", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.history.append([{ command: "1" }, { command: "2" }]);
    await b.history.append(["3", "4", "5", "6", "7", "8"].map((command) => ({ command })));
    assert.deepEqual((await b.history.list({ limit: 10 })).items.map((e) => e.seq), [4, 5, 6, 7, 8]);
    const b2 = await f.reopen();
    assert.deepEqual(await b2.history.append([{ command: "9" }]), { firstSeq: 9, lastSeq: 9 });
    const page = await b2.history.list({ limit: 3 });
    assert.deepEqual(page.items.map((e) => e.command), ["7", "8", "9"]);
    const rest = await b2.history.list({ limit: 3, cursor: page.nextCursor ?? undefined });
    assert.deepEqual([rest.items.map((e) => e.command), rest.nextCursor], [["5", "6"], null]);
  });

  test("history: NUL, U+FFFD and lone surrogates survive; contains finds them exactly", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const odd = ["nul\0here", "repl\uFFFDhere", "lone\uD800here", "plain here", "x\0y\0z"];
    await b.history.append(odd.map((command) => ({ command })));
    const find = async (contains: string) => (await b.history.list({ limit: 1, contains })).items.map((e) => e.command);
    assert.deepEqual((await b.history.list({ limit: 10 })).items.map((e) => e.command), odd);
    assert.deepEqual(await find("\0here"), ["nul\0here"]);
    assert.deepEqual(await find("\uFFFDhere"), ["repl\uFFFDhere"]);
    assert.deepEqual(await find("\uD800"), ["lone\uD800here"]);
    assert.deepEqual(await find("here"), ["plain here"]);
    // limit 1 with false candidates in between: the recheck keeps scanning and still pages correctly
    const first = await b.history.list({ limit: 1, contains: "\0" });
    assert.deepEqual(first.items.map((e) => e.command), ["x\0y\0z"]);
    const second = await b.history.list({ limit: 1, contains: "\0", cursor: first.nextCursor ?? undefined });
    assert.deepEqual([second.items.map((e) => e.command), second.nextCursor], [["nul\0here"], null]);
  });

  test("history: only the newest 1,000 idempotency keys are remembered", async (t) => {
    const { backend: b } = await s.open(t);
    await b.history.append([{ command: "k0" }], "key-0");
    const later: HistoryAppendResult[] = [];
    for (let from = 1; from <= 1000; from += 50) {
      // 50 at a time: a few group commits on sqlite, a busy pool on postgres (whose wait for a free
      // connection times out after 2 s as BACKEND_UNAVAILABLE)
      const batch = Array.from({ length: 50 }, (_, i) => b.history.append([{ command: `k${from + i}` }], `key-${from + i}`));
      later.push(...(await Promise.all(batch)));
    }
    assert.deepEqual(await b.history.append([{ command: "again" }], "key-1"), later[0]);
    assert.deepEqual(await b.history.append([{ command: "again" }], "key-1000"), later[999]);
    assert.deepEqual(await b.history.append([{ command: "again" }], "key-0"), { firstSeq: 1002, lastSeq: 1002 });
  });

  test("plans: a body Postgres TEXT could not hold comes back byte for byte", async (t) => {
    const f = await s.open(t);
    const body = "nul\0 lone\uDC00 crlf\r\n\\u0000 🦊";
    await f.backend.plans.savePlan({ id: "p", title: "t", body });
    assert.equal((await (await f.reopen()).plans.getPlan("p")).body, body);
  });

  test("groups: concurrent creates of one id make one group, each put applied once", async (t) => {
    const { backend: b } = await s.open(t);
    await Promise.all(Array.from({ length: 6 }, (_, i) => b.groups.putGroup({ id: "race", metadata: { i } })));
    assert.equal((await b.groups.getGroup("race")).version, 6);
  });
}

for (const [engine, open] of Object.entries(engines)) {
  const small = makeSuite(`${engine}-gph-extra`, (ctx) => open(ctx, { retention: { historyEntries: 5 } }), { durable: true });
  describe(`${engine}: groups, plans, history beyond conformance`, () => extras(small));
}
