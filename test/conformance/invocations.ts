/** Conformance cases for tool invocations (SPEC §3.6); registered by ./changesets.ts. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, InvocationInput } from "../../src/backends/contract.js";
import { changesSince, ODD_PLAN_IDS } from "./changesets-fixtures.js";
import type { Suite } from "./harness.js";

const call = (id: string, planId: string, extra: Partial<InvocationInput> = {}): InvocationInput => ({
  id,
  planId,
  toolName: "edit_file",
  arguments: { path: "a.ts" },
  status: "running",
  ...extra,
});

export function invocationsConformance(s: Suite): void {
  test("invocations: save creates, a second save replaces; arrays and JSON kept exactly", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const args = { path: "src/ünï.ts", edits: [{ old: "a\\b\n\t", new: "🦊" }], n: 1.5, z: null, deep: { e: [] } };
    const first = await b.changesets.saveInvocation(call("i1", "p", {
      arguments: args, sessionId: "s1", changesetId: "cs1", startedAt: "2026-03-01T11:00:00.000Z",
      providerMetadata: { provider: "anthropic", raw: { stop_reason: "tool_use" } }, resourceRefs: ["file:///tmp/x"],
    }));
    assert.deepEqual(first, {
      id: "i1", planId: "p", toolName: "edit_file", arguments: args, status: "running", sessionId: "s1", changesetId: "cs1",
      startedAt: "2026-03-01T11:00:00.000Z", changeIds: [], resourceRefs: ["file:///tmp/x"],
      providerMetadata: { provider: "anthropic", raw: { stop_reason: "tool_use" } },
    });
    f.clock.advance(2500);
    const second = await b.changesets.saveInvocation(call("i1", "p", {
      arguments: [1, "two", { three: 3 }], status: "succeeded", result: { ok: true, lines: ["x\ny"] },
      changeIds: ["e3", "e1", "e2"], resourceRefs: ["agentstate://plans/p", "b.ts", "a.ts"],
    }));
    assert.deepEqual(second, {
      id: "i1", planId: "p", toolName: "edit_file", arguments: [1, "two", { three: 3 }], status: "succeeded",
      result: { ok: true, lines: ["x\ny"] }, startedAt: "2026-03-01T11:00:00.000Z", finishedAt: "2026-03-01T12:00:02.500Z",
      durationMs: 3_602_500, changeIds: ["e3", "e1", "e2"], resourceRefs: ["agentstate://plans/p", "b.ts", "a.ts"],
    }, "fields the second save leaves out are gone; startedAt is kept; finishedAt and durationMs filled in");
    const check = async (b: Backend) => {
      assert.deepEqual(await b.changesets.getInvocation("i1"), second);
      assert.deepEqual((await b.changesets.listInvocationsForPlan({ planId: "p", limit: 10 })).items, [second]);
    };
    await check(b);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("invocations: startedAt, finishedAt and durationMs defaults", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const running = await b.changesets.saveInvocation(call("r", "p"));
    assert.equal(running.startedAt, "2026-03-01T12:00:00.000Z");
    assert.equal(running.finishedAt, undefined);
    assert.equal(running.durationMs, undefined);
    f.clock.advance(40);
    const failed = await b.changesets.saveInvocation(call("r", "p", { status: "failed", error: "EACCES: permission denied" }));
    assert.deepEqual([failed.finishedAt, failed.durationMs, failed.error], ["2026-03-01T12:00:00.040Z", 40, "EACCES: permission denied"]);
    f.clock.advance(1000);
    const again = await b.changesets.saveInvocation(call("r", "p", { status: "failed" }));
    assert.equal(again.finishedAt, failed.finishedAt, "a repeated terminal save keeps finishedAt");
    assert.equal(again.error, undefined);
    const given = await b.changesets.saveInvocation(call("g", "p", {
      status: "succeeded", startedAt: "2026-01-01T00:00:00.000Z", finishedAt: "2026-01-01T00:00:01.000Z", durationMs: 7,
    }));
    assert.deepEqual([given.finishedAt, given.durationMs], ["2026-01-01T00:00:01.000Z", 7], "given values win");
  });

  test("invocations: planId never changes; get of a missing one is NOT_FOUND", async (t) => {
    const { backend: b } = await s.open(t);
    const saved = await b.changesets.saveInvocation(call("fixed", "p1"));
    const head = await b.changes.head();
    await assert.rejects(b.changesets.saveInvocation(call("fixed", "p2", { status: "succeeded" })), { code: "CONFLICT" });
    assert.equal(await b.changes.head(), head);
    assert.deepEqual(await b.changesets.getInvocation("fixed"), saved);
    assert.deepEqual((await b.changesets.listInvocationsForPlan({ planId: "p2", limit: 10 })).items, []);
    await assert.rejects(b.changesets.getInvocation("missing"), { code: "NOT_FOUND" });
  });

  test("invocations: listForPlan is ordered by startedAt then id and pages to the end", async (t) => {
    const { backend: b } = await s.open(t);
    const expected: string[] = [];
    for (let i = 0; i < 17; i++) {
      const minute = String(Math.floor((16 - i) / 2)).padStart(2, "0"); // later saves start earlier; pairs tie
      const id = `inv${String(i).padStart(2, "0")}`;
      await b.changesets.saveInvocation(call(id, "p", { startedAt: `2026-03-01T10:${minute}:00.000Z` }));
      await b.changesets.saveInvocation(call(`x${i}`, "elsewhere"));
      expected.push(id);
    }
    expected.sort((x, y) => {
      const mx = Math.floor((16 - Number(x.slice(3))) / 2);
      const my = Math.floor((16 - Number(y.slice(3))) / 2);
      return mx - my || (x < y ? -1 : 1);
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await b.changesets.listInvocationsForPlan({ planId: "p", limit: 4, cursor });
      assert.ok(p.items.length <= 4);
      seen.push(...p.items.map((i) => i.id));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, expected);
    assert.deepEqual(await b.changesets.listInvocationsForPlan({ planId: "nobody", limit: 4 }), { items: [], nextCursor: null });
  });

  test("invocations: deleteForPlan counts, records one change each, leaves the rest", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.changesets.start({ id: "cs", planId: "p" });
    await b.changesets.saveInvocation(call("a", "p", { changesetId: "cs", startedAt: "2026-03-01T10:00:00.000Z" }));
    await b.changesets.saveInvocation(call("b", "p", { startedAt: "2026-03-01T09:00:00.000Z" }));
    await b.changesets.saveInvocation(call("c", "q"));
    const start = await b.changes.head();
    assert.deepEqual(await b.changesets.deleteInvocationsForPlan("p"), { invocations: 2 });
    assert.deepEqual(await b.changesets.deleteInvocationsForPlan("p"), { invocations: 0 });
    const changes = await changesSince(b, start);
    assert.deepEqual(changes.map((c) => [c.domain, c.type, c.id, c.data]), [
      ["changesets", "invocation.deleted", "b", { planId: "p" }],
      ["changesets", "invocation.deleted", "a", { planId: "p" }],
    ]);
    const check = async (b: Backend) => {
      await assert.rejects(b.changesets.getInvocation("a"), { code: "NOT_FOUND" });
      assert.deepEqual((await b.changesets.listInvocationsForPlan({ planId: "p", limit: 10 })).items, []);
      assert.equal((await b.changesets.getInvocation("c")).planId, "q");
      assert.equal((await b.changesets.get("cs")).planId, "p", "changesets are not touched");
    };
    await check(b);
    if (s.caps.durable) await check(await f.reopen());
    // deleting a plan's changesets leaves its invocations (f.backend: reopened on durable backends)
    const after = f.backend;
    await after.changesets.saveInvocation(call("d", "p", { changesetId: "cs" }));
    await after.changesets.deleteForPlan("p");
    assert.equal((await after.changesets.getInvocation("d")).changesetId, "cs");
  });

  test("invocations: odd planIds stay distinct; saves record invocation.saved", async (t) => {
    const f = await s.open(t);
    const start = await f.backend.changes.head();
    for (const [i, planId] of ODD_PLAN_IDS.entries()) await f.backend.changesets.saveInvocation(call(`i${i}`, planId));
    await f.backend.changesets.saveInvocation(call("i0", ODD_PLAN_IDS[0], { status: "succeeded", arguments: { secret: "argument body" } }));
    const changes = await changesSince(f.backend, start);
    assert.equal(changes.length, ODD_PLAN_IDS.length + 1);
    assert.ok(changes.every((c) => c.type === "invocation.saved" && c.domain === "changesets"));
    assert.deepEqual(changes[0].data, { planId: ODD_PLAN_IDS[0], status: "running", created: true });
    assert.deepEqual(changes[changes.length - 1].data, { planId: ODD_PLAN_IDS[0], status: "succeeded", created: false });
    assert.ok(!JSON.stringify(changes).includes("argument body"));
    const check = async (b: Backend) => {
      for (const [i, planId] of ODD_PLAN_IDS.entries()) {
        assert.deepEqual((await b.changesets.listInvocationsForPlan({ planId, limit: 10 })).items.map((x) => x.id), [`i${i}`]);
      }
    };
    await check(f.backend);
    if (s.caps.durable) await check(await f.reopen());
  });
}
