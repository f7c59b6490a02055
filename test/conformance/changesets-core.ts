/**
 * Conformance cases for the rules the storage core keeps for changesets and invocations on every
 * backend: code point id order, the restore path (SPEC §2 "Restore keeps everything"), and that a
 * write whose flush failed is neither visible nor remembered.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, RestoreStore } from "../../src/backends/contract.js";
import type { ChangeEntry, ChangeSet, ToolInvocation } from "../../src/domain/changesets.js";
import { changesSince } from "./changesets-fixtures.js";
import type { Suite } from "./harness.js";

/** The restore path (SPEC §2) as the importer and `migrate copy` reach it. */
const restoreOf = (b: Backend): Pick<RestoreStore, "changeset" | "invocation"> => b.restore;

/** The ids of every page, following nextCursor to the end. */
async function allIds(page: (cursor: string | undefined) => Promise<{ items: { id: string }[]; nextCursor: string | null }>): Promise<string[]> {
  const ids: string[] = [];
  for (let cursor: string | undefined; ; ) {
    const p = await page(cursor);
    ids.push(...p.items.map((i) => i.id));
    if (!p.nextCursor) return ids;
    cursor = p.nextCursor;
  }
}

/** Ids whose UTF-16 order differs from their code point order: U+1F98A sorts after U+FF5E by code point. */
const IDS_CODE_POINT_ORDER = ["a", "a\u00e9", "a\u4e2d", "a\uff5e", "a\u{1f98a}", "b"];

const OLD: ChangeSet = { id: "old", planId: "p", status: "applied", createdAt: "2024-01-02T03:04:05.006Z", updatedAt: "2024-02-03T04:05:06.007Z" };
const oldEntry = (seq: number, extra: Partial<ChangeEntry> = {}): ChangeEntry => ({
  id: `oe${seq}`, changesetId: "old", planId: "p", seq, path: `f${seq}.ts`, operation: "modify", createdAt: "2024-01-02T03:04:05.006Z", ...extra,
});
const INV: ToolInvocation = {
  id: "inv", planId: "p", toolName: "edit", arguments: { a: [1, "x"] }, result: { ok: true }, status: "failed", error: "boom",
  startedAt: "2024-01-02T03:04:05.006Z", finishedAt: "2024-01-02T03:04:06.000Z", durationMs: 12345, changeIds: ["oe1"], resourceRefs: ["file:///x"],
};

export function changesetsCoreConformance(s: Suite): void {
  test("changesets and invocations: ids with the same time list in code point order (astral after CJK and U+FF5E)", async (t) => {
    const { backend: b } = await s.open(t);
    for (const id of [...IDS_CODE_POINT_ORDER].reverse()) {
      await b.changesets.start({ id, planId: "order" });
      await b.changesets.saveInvocation({ id, planId: "order", toolName: "t", arguments: null, status: "running", startedAt: "2026-01-01T00:00:00.000Z" });
    }
    assert.deepEqual(await allIds((cursor) => b.changesets.listForPlan({ planId: "order", limit: 2, cursor })), IDS_CODE_POINT_ORDER);
    assert.deepEqual(await allIds((cursor) => b.changesets.listInvocationsForPlan({ planId: "order", limit: 4, cursor })), IDS_CODE_POINT_ORDER);
    const changes = await changesSince(b);
    assert.deepEqual(
      changes.filter((c) => c.type === "invocation.saved").length,
      IDS_CODE_POINT_ORDER.length,
    );
    await b.changesets.deleteInvocationsForPlan("order");
    assert.deepEqual(
      (await changesSince(b)).filter((c) => c.type === "invocation.deleted").map((c) => c.id),
      IDS_CODE_POINT_ORDER,
      "deleted in listing order",
    );
  });

  test("changesets: restore keeps status, times and entry seqs; a restored open changeset records on", async (t) => {
    const f = await s.open(t);
    const restore = restoreOf(f.backend);
    const entries = [oldEntry(1, { diff: "--- a\n+++ b\n", invocationId: "inv" }), oldEntry(2, { operation: "rename", fromPath: "g.ts" }), oldEntry(3)];
    await restore.changeset(OLD, entries);
    await restore.changeset({ ...OLD, id: "open", status: "open" }, [{ ...oldEntry(1), changesetId: "open", id: "o1" }]);
    const check = async (b: Backend) => {
      assert.deepEqual(await b.changesets.get("old"), { ...OLD, entries });
      const { items } = await b.changesets.listForPlan({ planId: "p", limit: 10 });
      assert.deepEqual([items[0], items.map((c) => [c.id, c.status, c.createdAt])], [OLD, [["old", "applied", OLD.createdAt], ["open", "open", OLD.createdAt]]]);
    };
    await check(f.backend);
    const r = await f.backend.changesets.record("open", [{ id: "n2", path: "n.ts", operation: "create" }]);
    assert.deepEqual([r.firstSeq, r.lastSeq], [2, 2]);
    await assert.rejects(f.backend.changesets.record("old", [{ id: "n3", path: "n.ts", operation: "create" }]), { code: "INVALID_STATE" });
    const restored = (await changesSince(f.backend)).filter((c) => (c.data as { restored?: unknown } | undefined)?.restored === true);
    assert.deepEqual(restored.map((c) => [c.type, c.id]), [["changeset.started", "old"], ["changeset.started", "open"]]);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("changesets: restoring again replaces the changeset and its entries; entries must be its own, seq 1…n", async (t) => {
    const { backend: b } = await s.open(t);
    const restore = restoreOf(b);
    await restore.changeset(OLD, [oldEntry(1), oldEntry(2), oldEntry(3)]);
    await restore.changeset({ ...OLD, planId: "q" }, [{ ...oldEntry(1), planId: "q" }]);
    assert.deepEqual((await b.changesets.get("old")).entries.map((e) => [e.seq, e.planId]), [[1, "q"]]);
    assert.deepEqual((await b.changesets.listForPlan({ planId: "p", limit: 10 })).items, []);
    assert.deepEqual(await b.changesets.deleteForPlan("q"), { changesets: 1, entries: 1 });
    await assert.rejects(restore.changeset(OLD, [oldEntry(1), oldEntry(3)]), { code: "INVALID_PARAMS" });
    await assert.rejects(restore.changeset(OLD, [{ ...oldEntry(1), changesetId: "other" }]), { code: "INVALID_PARAMS" });
    await assert.rejects(b.changesets.get("old"), { code: "NOT_FOUND" }, "a refused restore writes nothing");
  });

  test("invocations: restore keeps the record exactly, replaces a stored one, and may move it to its plan", async (t) => {
    const f = await s.open(t);
    const restore = restoreOf(f.backend);
    await f.backend.changesets.saveInvocation({ id: "inv", planId: "elsewhere", toolName: "x", arguments: 1, status: "running" });
    await restore.invocation(INV);
    await restore.invocation(INV);
    const check = async (b: Backend) => {
      assert.deepEqual(await b.changesets.getInvocation("inv"), INV);
      assert.deepEqual((await b.changesets.listInvocationsForPlan({ planId: "p", limit: 10 })).items, [INV]);
      assert.deepEqual((await b.changesets.listInvocationsForPlan({ planId: "elsewhere", limit: 10 })).items, []);
    };
    await check(f.backend);
    const running: ToolInvocation = { id: "run", planId: "r", toolName: "t", arguments: null, status: "running", startedAt: "2024-01-01T00:00:00.000Z", changeIds: [], resourceRefs: [] };
    await restore.invocation(running);
    assert.deepEqual(await f.backend.changesets.getInvocation("run"), running, "no finishedAt or durationMs filled in");
    if (s.caps.durable) await check(await f.reopen());
  });

  test("changesets: a record whose flush failed is not visible, and its retry is performed", async (t) => {
    if (!s.requires(t, "faults")) return;
    const f = await s.open(t);
    const b = f.backend;
    await b.changesets.start({ id: "cs", planId: "p" });
    f.faults.failNextSync("EIO");
    await assert.rejects(b.changesets.record("cs", [{ id: "lost", path: "a", operation: "create" }]), { code: "BACKEND_UNAVAILABLE" });
    assert.deepEqual((await b.changesets.get("cs")).entries, [], "the failed write is not visible");
    const r = await b.changesets.record("cs", [{ id: "kept", path: "a", operation: "create" }]);
    assert.deepEqual([r.firstSeq, r.lastSeq], [1, 1]);
    f.faults.failNextSync("ENOSPC");
    await assert.rejects(b.changesets.setStatus("cs", "applied"), { code: "BACKEND_UNAVAILABLE" });
    assert.equal((await b.changesets.get("cs")).status, "open");
    assert.equal((await b.changesets.setStatus("cs", "applied")).status, "applied");
    if (s.caps.durable) {
      const again = await f.reopen();
      const got = await again.changesets.get("cs");
      assert.deepEqual([got.status, got.entries.map((e) => e.id)], ["applied", ["kept"]]);
    }
  });
}
