// The changesets and invocations conformance cases on jsonl, and crash replay of the changesets store.
import assert from "node:assert/strict";
import { promises as fs, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { encodeId } from "../../src/backends/jsonl/encode.js";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import type { ChangeSetWithEntries, ToolInvocation } from "../../src/domain/changesets.js";
import { TestClock } from "../helpers/clock.js";
import { tempDir } from "../helpers/tmp.js";

const root = mkdtempSync(join(tmpdir(), "jsonl-cs-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

const DIFF = "--- a/x.ts\n+++ b/x.ts\n@@ -1 +1 @@\n-a\\b\r\n+\"🦊\"\t\n\\ No newline at end of file\n";

interface Acked {
  cs1: ChangeSetWithEntries;
  cs2: ChangeSetWithEntries;
  reborn: ChangeSetWithEntries;
  i1: ToolInvocation;
  head: string | undefined;
}

/** Writes through the store; returns what was acknowledged, as the store reported it then. */
async function writeAll(b: JsonlBackend, clock: TestClock): Promise<Acked> {
  const cs = b.changesets;
  await cs.start({ id: "cs1", planId: "plan/1" });
  clock.advance(10);
  await cs.record("cs1", [{ id: "e1", path: "a.ts", operation: "modify", diff: DIFF }, { id: "e2", path: "b.ts", operation: "create" }]);
  clock.advance(10);
  await cs.record("cs1", [{ id: "e3", path: "c.ts", operation: "rename", fromPath: "old.ts" }]);
  await cs.start({ id: "cs2", planId: "plan/1" });
  await cs.record("cs2", [{ id: "e4", path: "d.ts", operation: "delete" }]);
  await cs.setStatus("cs2", "applied");
  // an id deleted with its plan and started again in another: replay must not resurrect the first
  await cs.start({ id: "again", planId: "doomed" });
  await cs.record("again", [{ id: "e5", path: "gone.ts", operation: "create" }, { id: "e6", path: "gone2.ts", operation: "create" }]);
  assert.deepEqual(await cs.deleteForPlan("doomed"), { changesets: 1, entries: 2 });
  await cs.start({ id: "again", planId: "reborn" });
  await cs.record("again", [{ id: "e7", path: "new.ts", operation: "create" }]);
  await cs.saveInvocation({ id: "i1", planId: "plan/1", toolName: "edit", arguments: { text: "a\nb" }, status: "running" });
  clock.advance(25);
  await cs.saveInvocation({ id: "i1", planId: "plan/1", toolName: "edit", arguments: { text: "a\nb" }, status: "succeeded", changeIds: ["e1"] });
  await cs.saveInvocation({ id: "i2", planId: "doomed-inv", toolName: "read", arguments: null, status: "running" });
  assert.deepEqual(await cs.deleteInvocationsForPlan("doomed-inv"), { invocations: 1 });
  return {
    cs1: await cs.get("cs1"),
    cs2: await cs.get("cs2"),
    reborn: await cs.get("again"),
    i1: await cs.getInvocation("i1"),
    head: await b.changes.head(),
  };
}

/** The names in a folder, [] when there is none. */
async function filesIn(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [];
    throw err;
  });
}

async function lines(path: string): Promise<string[]> {
  return (await fs.readFile(path, "utf8")).split("\n").filter((l) => l !== "");
}

/** Everything acknowledged is there exactly once, deleted records stay deleted, and writing goes on. */
async function verify(b: JsonlBackend, dataDir: string, acked: Acked): Promise<void> {
  const cs = b.changesets;
  assert.deepEqual(await cs.get("cs1"), acked.cs1);
  assert.deepEqual(await cs.get("cs2"), acked.cs2);
  assert.deepEqual(await cs.get("again"), acked.reborn);
  assert.equal(acked.cs1.entries[0].diff, DIFF);
  assert.deepEqual((await cs.listForPlan({ planId: "plan/1", limit: 10 })).items.map((c) => c.id), ["cs1", "cs2"]);
  assert.deepEqual((await cs.listForPlan({ planId: "doomed", limit: 10 })).items, []);
  assert.deepEqual(await cs.getInvocation("i1"), acked.i1);
  await assert.rejects(cs.getInvocation("i2"), { code: "NOT_FOUND" });
  assert.equal(await b.changes.head(), acked.head, "replay records no change twice");

  const plan = join(dataDir, "changesets", encodeId("plan/1"));
  assert.equal((await lines(join(plan, "cs1.entries.jsonl"))).length, 3, "no entry duplicated by replay");
  assert.equal((await lines(join(dataDir, "changesets", encodeId("reborn"), "again.entries.jsonl"))).length, 1);
  // A deleted plan's files are gone (its emptied folder may stay: file operations remove files only).
  assert.deepEqual(await filesIn(join(dataDir, "changesets", "doomed")), []);
  assert.deepEqual(await filesIn(join(dataDir, "invocations", "doomed-inv")), []);

  assert.equal((await cs.record("cs1", [{ id: "e8", path: "z.ts", operation: "modify" }])).firstSeq, 4);
  assert.deepEqual((await cs.get("cs1")).entries.map((e) => e.seq), [1, 2, 3, 4]);
  await b.engine.applyNow();
  assert.equal((await lines(join(plan, "cs1.entries.jsonl"))).length, 4);
}

/**
 * Opens a backend, writes, lets the files catch up, optionally damages them as a crash before the
 * file writes would have, then drops the backend without close() and opens the directory again.
 */
async function crashAndReopen(t: TestContext, damage?: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = join(tempDir(t, "jsonl-cs-crash-"), "data");
  const clock = new TestClock();
  const opts = { dataDir, now: clock.now, origin: "crash-test" };
  const crashed = new JsonlBackend(opts);
  await crashed.open();
  const acked = await writeAll(crashed, clock);
  await crashed.engine.applyNow(); // the files hold every durable write (the journal keeps them too)
  assert.ok((await fs.stat(join(dataDir, "journal.jsonl"))).size > 0, "the writes are still in the journal, so reopening replays them");
  await damage?.(dataDir);
  await fs.rm(join(dataDir, "agentstate.lock"));
  const reopened = new JsonlBackend(opts);
  try {
    await reopened.open();
    await verify(reopened, dataDir, acked);
  } finally {
    await reopened.close();
    await crashed.close(); // only now, to free its file handles: its writes were all replayed above
  }
}

describe("jsonl changesets: crash replay", () => {
  test("replay over files that already hold every write duplicates nothing", async (t) => {
    await crashAndReopen(t);
  });

  test("replay over files behind the journal restores every acknowledged write once", async (t) => {
    await crashAndReopen(t, async (dataDir) => {
      const plan = join(dataDir, "changesets", encodeId("plan/1"));
      const entries = join(plan, "cs1.entries.jsonl");
      const text = await fs.readFile(entries, "utf8");
      const secondLine = text.indexOf("\n") + 1;
      await fs.truncate(entries, secondLine + 7); // the last two entries lost, a torn line left behind
      await fs.rm(join(plan, "cs2.json")); // a changeset whose record was never written
      await fs.rm(join(dataDir, "invocations", encodeId("plan/1"), "i1.json"));
      await fs.mkdir(join(dataDir, "changesets", "doomed"), { recursive: true }); // deleted folder back
      await fs.writeFile(join(dataDir, "changesets", "doomed", "again.json"), JSON.stringify({
        id: "again", planId: "doomed", status: "open", createdAt: "2026-03-01T12:00:00.020Z", updatedAt: "2026-03-01T12:00:00.020Z", lastSeq: 2,
      }));
    });
  });
});
