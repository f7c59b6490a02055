/** Groups, plans and history on jsonl: a crash (no close) loses nothing acknowledged and duplicates nothing; history retention rewrites. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { promises as fs, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { TestClock } from "../helpers/clock.js";

const root = mkdtempSync(join(tmpdir(), "jsonl-gph-crash-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));
const clock = new TestClock();
const make = (dir: string, historyEntries?: number) =>
  new JsonlBackend({ dataDir: dir, origin: "crash-test", now: clock.now, ...(historyEntries ? { retention: { historyEntries } } : {}) });

/** "Kills" `b`: its watcher stops (a dead process watches nothing), nothing is closed or flushed, the lock goes. */
async function crash(b: JsonlBackend, dir: string): Promise<void> {
  await b.storage.ports.plans.stop();
  await fs.rm(join(dir, "agentstate.lock"));
}

async function writeEverything(b: JsonlBackend, dir: string) {
  await b.groups.putGroup({ id: "g", currentSessionId: "s1", metadata: { k: 1 } });
  await b.groups.rollover({ id: "g", newSessionId: "s2" });
  await b.groups.putGroup({ id: "doomed" });
  await b.groups.deleteGroup("doomed");
  await b.plans.savePlan({ id: "p", title: "Plan", body: "a\r\nb" });
  await b.plans.savePlan({ id: "p", status: "approved" });
  await b.plans.savePlan({ id: "gone", title: "Gone" });
  await b.plans.deletePlan("gone");
  await b.engine.applyNow(); // the files hold every acknowledged write
  await fs.writeFile(join(dir, "plans", "p.md"), (await fs.readFile(join(dir, "plans", "p.md"), "utf8")).replace("a\r\nb", "hand edited"));
  for (let i = 0; i < 50 && (await b.plans.getPlan("p")).version < 3; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await b.plans.getPlan("p")).version, 3);
  await b.history.append([{ command: "one" }, { command: "two\nlines" }], "key-1");
  await b.history.append([{ command: "three" }]);
}

async function checkEverything(b: JsonlBackend) {
  const g = await b.groups.getGroup("g");
  assert.deepEqual([g.currentSessionId, g.history, g.version, g.metadata], ["s2", ["s1"], 2, { k: 1 }]);
  await assert.rejects(b.groups.getGroup("doomed"), { code: "NOT_FOUND" });
  const p = await b.plans.getPlan("p");
  assert.deepEqual([p.body, p.status, p.version], ["hand edited", "approved", 3]);
  await assert.rejects(b.plans.getPlan("gone"), { code: "NOT_FOUND" });
  assert.deepEqual((await b.history.list({ limit: 10 })).items.map((e) => [e.seq, e.command]), [[1, "one"], [2, "two\nlines"], [3, "three"]]);
  assert.deepEqual(await b.history.append([{ command: "one" }], "key-1"), { firstSeq: 1, lastSeq: 2 });
  const changes = (await b.changes.since(undefined, 1000)).changes.map((c) => `${c.type} ${c.id} ${c.version ?? ""}`);
  assert.deepEqual(changes, [
    "group.saved g 1", "group.saved g 2", "group.saved doomed 1", "group.deleted doomed 1",
    "plan.saved p 1", "plan.saved p 2", "plan.saved gone 1", "plan.deleted gone 1", "plan.saved p 3",
    "history.appended 1 ", "history.appended 3 ",
  ]);
  assert.deepEqual(await b.history.append([{ command: "four" }]), { firstSeq: 4, lastSeq: 4 });
}

test("jsonl groups, plans, history: after a crash every acknowledged write is there exactly once", async () => {
  const dir = join(root, "applied");
  const a = make(dir);
  await a.open();
  await writeEverything(a, dir);
  await crash(a, dir); // the journal still holds every transaction: the next open replays them over the files
  const b = make(dir);
  await b.open();
  try {
    await checkEverything(b);
  } finally {
    await b.close();
  }
});

test("jsonl groups, plans, history: a crash before the files were written is repaired from the journal", async () => {
  const dir = join(root, "unapplied");
  const a = make(dir);
  await a.open();
  await writeEverything(a, dir);
  await crash(a, dir);
  // as if the process died after the journal fsync but before the apply loop wrote the files
  await fs.rm(join(dir, "groups"), { recursive: true, force: true });
  await fs.rm(join(dir, "history.jsonl"), { force: true });
  await fs.rm(join(dir, "history.idem.jsonl"), { force: true });
  await fs.writeFile(join(dir, "plans", "p.md"), "---\nid: p\n---\n# stale\n");
  const b = make(dir);
  await b.open();
  try {
    assert.deepEqual((await b.probe()).warnings, undefined);
    await checkEverything(b);
    assert.match(await fs.readFile(join(dir, "plans", "p.md"), "utf8"), /\n# Plan\n\nhand edited$/);
  } finally {
    await b.close();
  }
});

test("jsonl history: retention rewrites history.jsonl, keeps the newest N and the idempotency keys, across reopen", async () => {
  const dir = join(root, "retention");
  let b = make(dir, 5);
  await b.open();
  try {
    await b.history.append([{ command: "keyed" }], "k");
    for (let i = 0; i < 40; i++) await b.history.append([{ command: `a${i}` }, { command: `b${i}` }]);
    await b.history.append(Array.from({ length: 300 }, (_, i) => ({ command: `big${i}` })));
    await b.history.append([{ command: "last" }]);
    await b.engine.applyNow(); // the pruning done by the appends is in the file
    const lines = (await fs.readFile(join(dir, "history.jsonl"), "utf8")).split("\n").length - 1;
    assert.ok(lines <= 5 + 64 + 1, `history.jsonl was pruned (${lines} lines)`);
    const expected = ["big296", "big297", "big298", "big299", "last"];
    const check = async (b: JsonlBackend) => {
      const { items, nextCursor } = await b.history.list({ limit: 100 });
      assert.deepEqual([items.map((e) => e.command), items[0].seq, nextCursor], [expected, 378, null]);
      assert.deepEqual(await b.history.append([{ command: "keyed" }], "k"), { firstSeq: 1, lastSeq: 1 });
      assert.deepEqual((await b.history.list({ limit: 2, contains: "big29" })).items.map((e) => e.command), ["big298", "big299"]);
    };
    await check(b);
    await b.close();
    b = make(dir, 5);
    await b.open();
    await check(b);
    assert.deepEqual(await b.history.append([{ command: "next" }]), { firstSeq: 383, lastSeq: 383 });
  } finally {
    await b.close();
  }
});
