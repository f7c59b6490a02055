/**
 * R10 for sqlite without root: `PRAGMA max_page_count` makes the database "full" exactly as a full
 * disk would (SQLITE_FULL, inside a statement or at COMMIT), while group commit has a batch open.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { tempDir } from "../helpers/tmp.js";

const body = "x".repeat(4000);

test("sqlite: SQLITE_FULL under concurrent appends fails them cleanly, acknowledges nothing lost, and writes resume", async (t) => {
  const path = join(tempDir(t, "sqlite-full-"), "db.sqlite");
  const b = new SqliteBackend({ origin: "full", now: () => new Date(), path });
  await b.open();
  t.after(() => b.close());
  await b.conversations.createSession({ id: "s" });
  const writer = (b.db as unknown as { writer: { pragma(s: string, o?: { simple: boolean }): unknown } }).writer;
  const pages = Number(writer.pragma("page_count", { simple: true }));
  writer.pragma(`max_page_count = ${pages + 40}`);
  const acked: number[] = [];
  const failures = new Map<string, number>();
  let unhandled: unknown;
  const onUnhandled = (e: unknown) => (unhandled = e);
  process.on("unhandledRejection", onUnhandled);
  t.after(() => process.off("unhandledRejection", onUnhandled));
  for (let round = 0; round < 12; round++) {
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => b.conversations.append({ sessionId: "s", messages: [{ role: "user", content: `${round}-${i}-${body}` }] })),
    );
    for (const r of results) {
      if (r.status === "fulfilled") acked.push(r.value.firstSeq);
      else failures.set((r.reason as { code?: string }).code ?? String(r.reason), (failures.get((r.reason as { code?: string }).code ?? "?") ?? 0) + 1);
    }
  }
  assert.equal(unhandled, undefined, "no rejection escaped the group-commit loop");
  assert.ok(failures.size > 0, "the database filled up");
  assert.deepEqual([...failures.keys()], ["BACKEND_UNAVAILABLE"], `every failure is BACKEND_UNAVAILABLE: ${JSON.stringify([...failures])}`);
  const probe = await b.probe();
  assert.equal(probe.ok, false, "health reports the refused writes");
  assert.match(String(probe.error), /full/i);
  writer.pragma("max_page_count = 1073741823");
  const after = await b.conversations.append({ sessionId: "s", messages: [{ role: "user", content: "after" }] });
  assert.ok((await b.probe()).ok, "health recovers with the next write");
  const { items } = await b.conversations.listMessages({ sessionId: "s", limit: 1000 });
  const stored = items.map((m) => m.seq);
  for (const seq of acked) assert.ok(stored.includes(seq), `acknowledged seq ${seq} is stored`);
  assert.equal(stored.length, acked.length + 1, "nothing that failed was stored");
  assert.equal(stored.at(-1), after.firstSeq);
});
