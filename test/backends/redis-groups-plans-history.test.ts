/**
 * Groups, plans and shell history on Redis: the conformance cases, plus what the conformance
 * factory cannot reach (a small retention, strings Redis would mangle without JSON, the
 * idempotency-key window) and several daemons sharing one key prefix.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RedisBackend } from "../../src/backends/redis/index.js";
import type { Backend, BackendOptions } from "../../src/backends/contract.js";
import type { HistoryAppendResult } from "../../src/domain/history.js";
import { makeSuite, type FactoryContext, type Suite } from "../conformance/harness.js";
import { redis } from "../helpers/redis.js";

const open = async (ctx: FactoryContext, extra: Partial<BackendOptions> = {}) =>
  new RedisBackend({ ...ctx, ...extra, url: (await redis()).url, prefix: `${ctx.isolationKey}:` }) as unknown as Backend;

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
    const { backend: b } = await s.open(t);
    const odd = ["nul\0here", "repl\uFFFDhere", "lone\uD800here", "plain here", "x\0y\0z"];
    await b.history.append(odd.map((command) => ({ command })));
    const find = async (contains: string) => (await b.history.list({ limit: 1, contains })).items.map((e) => e.command);
    assert.deepEqual((await b.history.list({ limit: 10 })).items.map((e) => e.command), odd);
    assert.deepEqual(await find("\0here"), ["nul\0here"]);
    assert.deepEqual(await find("\uFFFDhere"), ["repl\uFFFDhere"]);
    assert.deepEqual(await find("\uD800"), ["lone\uD800here"]);
    const first = await b.history.list({ limit: 1, contains: "\0" });
    assert.deepEqual(first.items.map((e) => e.command), ["x\0y\0z"]);
    const second = await b.history.list({ limit: 1, contains: "\0", cursor: first.nextCursor ?? undefined });
    assert.deepEqual([second.items.map((e) => e.command), second.nextCursor], [["nul\0here"], null]);
  });

  test("history: only the newest 1,000 idempotency keys are remembered, across a restart", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.history.append([{ command: "k0" }], "key-0");
    const later: HistoryAppendResult[] = [];
    for (let from = 1; from <= 1000; from += 10) {
      const batch = Array.from({ length: 10 }, (_, i) => b.history.append([{ command: `k${from + i}` }], `key-${from + i}`));
      later.push(...(await Promise.all(batch)));
    }
    const b2 = await f.reopen();
    assert.deepEqual(await b2.history.append([{ command: "again" }], "key-1"), later[0]);
    assert.deepEqual(await b2.history.append([{ command: "again" }], "key-1000"), later[999]);
    assert.deepEqual(await b2.history.append([{ command: "again" }], "key-0"), { firstSeq: 1002, lastSeq: 1002 });
  });

  test("history: a 10,000-entry append is one write, retention applied in it", async (t) => {
    const { backend: b } = await s.open(t);
    const r = await b.history.append(Array.from({ length: 10_000 }, (_, i) => ({ command: `c${i}` })));
    assert.deepEqual(r, { firstSeq: 1, lastSeq: 10_000 });
    assert.deepEqual((await b.history.list({ limit: 1000 })).items.map((e) => e.seq), [9996, 9997, 9998, 9999, 10_000]);
    assert.equal((await b.changes.since(undefined, 100)).changes.filter((c) => c.domain === "history").length, 1);
  });

  test("plans: a body with NUL, lone surrogates and CRLF comes back byte for byte", async (t) => {
    const f = await s.open(t);
    const body = "nul\0 lone\uDC00 crlf\r\n\\u0000 🦊 trailing  ";
    await f.backend.plans.savePlan({ id: "p", title: "t", body });
    await f.backend.plans.savePlan({ id: "p", status: "approved" });
    assert.equal((await (await f.reopen()).plans.getPlan("p")).body, body);
  });

  test("plans: list with both filters walks the session's plans and checks the status", async (t) => {
    const { backend: b, clock } = await s.open(t);
    for (let i = 0; i < 30; i++) {
      clock.advance(1000);
      await b.plans.savePlan({ id: `p${i}`, title: `t${i}`, sessionId: i % 3 === 0 ? "s" : "other", status: i % 2 ? "approved" : "draft" });
    }
    await b.plans.savePlan({ id: "p6", status: "approved" });
    await b.plans.savePlan({ id: "p9", sessionId: null });
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await b.plans.listPlans({ sessionId: "s", status: "approved", limit: 2, cursor });
      ids.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(ids, ["p27", "p21", "p15", "p6", "p3"]);
    assert.deepEqual((await b.plans.listPlans({ sessionId: "other", limit: 100 })).items.length, 20);
    assert.deepEqual((await b.plans.listPlans({ status: "draft", limit: 100 })).items.length, 14);
  });

  test("groups: concurrent creates of one id make one group, each put applied once", async (t) => {
    const { backend: b } = await s.open(t);
    await Promise.all(Array.from({ length: 6 }, (_, i) => b.groups.putGroup({ id: "race", metadata: { i } })));
    assert.equal((await b.groups.getGroup("race")).version, 6);
  });
}

/** Several daemons on one Redis and one key prefix: the guards decide every race. */
function multiHost(s: Suite): void {
  test("three daemons: rollovers, plan saves and history appends interleave without loss", async (t) => {
    const f = await s.open(t);
    const ctx: FactoryContext = { isolationKey: "", now: () => new Date(), origin: "", after: () => undefined };
    const prefix = (f.backend as unknown as RedisBackend).keys.prefix;
    const others = await Promise.all(
      ["h2", "h3"].map(async (origin) => {
        const b = new RedisBackend({ ...ctx, origin, url: (await redis()).url, prefix }) as unknown as Backend;
        await b.open();
        t.after(() => b.close());
        return b;
      }),
    );
    const all = [f.backend, ...others];
    await f.backend.groups.putGroup({ id: "g" });
    await Promise.all(all.flatMap((b, h) => Array.from({ length: 5 }, (_, i) => b.groups.rollover({ id: "g", newSessionId: `h${h}-s${i}` }))));
    const g = await others[0].groups.getGroup("g");
    assert.equal(g.version, 16);
    assert.equal(new Set([...g.history, g.currentSessionId]).size, 15);
    const appends = await Promise.all(all.flatMap((b, h) => Array.from({ length: 5 }, (_, i) => b.history.append([{ command: `${h}.${i}a` }, { command: `${h}.${i}b` }]))));
    const seqs = appends.flatMap((r) => [r.firstSeq, r.lastSeq]).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => i + 1));
    await Promise.all(all.map((b, h) => b.plans.savePlan({ id: "p", title: `from ${h}` })));
    assert.equal((await f.backend.plans.getPlan("p")).version, 3);
  });
}

const small = makeSuite("redis-gph-extra", (ctx) => open(ctx, { retention: { historyEntries: 5 } }), { durable: true });
describe("redis: groups, plans, history beyond conformance", () => {
  extras(small);
  multiHost(small);
});
