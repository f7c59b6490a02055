/**
 * R10 for jsonl: injected file-system failures (test/helpers/faulty-disk.ts) on the journal and on
 * the data files. What must hold every time: a failed write is neither acknowledged nor visible,
 * an acknowledged one is never lost (also after a restart), a retry performs the write, health says
 * why writes are refused, and writes resume by themselves once the cause is gone.
 */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { FaultyDisk } from "../helpers/faulty-disk.js";
import { crashImage, journalText } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/tmp.js";

async function open(t: TestContext, dataDir = join(tempDir(t, "jsonl-faults-"), "data")) {
  const disk = new FaultyDisk();
  const b = new JsonlBackend({ dataDir, now: () => new Date(), origin: "faults", disk });
  await b.open();
  let closed = false;
  t.after(async () => {
    if (!closed) await b.close();
  });
  return {
    b,
    disk,
    dataDir,
    /** Close (cleanly) and open the directory again with a healthy disk. */
    reopen: async () => {
      closed = true;
      disk.clear();
      await b.close();
      const again = new JsonlBackend({ dataDir, now: () => new Date(), origin: "faults" });
      await again.open();
      t.after(() => again.close());
      return again;
    },
  };
}

const say = (content: string, idempotencyKey?: string) => ({ sessionId: "s", messages: [{ role: "user", content }], idempotencyKey });
const contents = async (b: JsonlBackend) => (await b.conversations.listMessages({ sessionId: "s", limit: 1000 })).items.map((m) => m.content);

for (const [name, fault] of [
  ["ENOSPC on the journal write", { op: "write", code: "ENOSPC" }],
  ["EIO on the journal fsync", { op: "datasync", code: "EIO" }],
] as const) {
  test(`jsonl: ${name} fails the write, hides it, reports it, and writes resume`, async (t) => {
    const { b, disk, reopen } = await open(t);
    await b.conversations.append({ ...say("one"), createSession: true });
    disk.fail({ ...fault, path: /journal/ });
    await assert.rejects(b.conversations.append(say("lost", "k")), { code: "BACKEND_UNAVAILABLE" });
    await assert.rejects(b.conversations.append(say("lost too")), { code: "BACKEND_UNAVAILABLE" });
    assert.deepEqual(await contents(b), ["one"], "a failed write is not visible");
    const probe = await b.probe();
    assert.equal(probe.ok, false);
    assert.match(String(probe.error), new RegExp(fault.code));
    disk.clear();
    assert.deepEqual(await b.conversations.append(say("two", "k")), { firstSeq: 2, lastSeq: 2 }, "the retry performs the write");
    assert.equal((await b.probe()).ok, true);
    assert.deepEqual(await contents(b), ["one", "two"]);
    assert.deepEqual(await contents(await reopen()), ["one", "two"]);
  });
}

test("jsonl: a journal write cut short by a full disk is cut back, so a restart cannot resurrect it", async (t) => {
  const { b, disk, dataDir } = await open(t);
  await b.conversations.append({ ...say("one"), createSession: true });
  disk.partialWriteBytes = 40; // part of the line reaches the disk, then ENOSPC
  await assert.rejects(b.conversations.append(say("x".repeat(500))), { code: "BACKEND_UNAVAILABLE" });
  await b.conversations.append(say("two")); // the disk has room again: the next write lands
  // A crash now: no close, the journal is what a restart replays.
  const journal = journalText(dataDir);
  assert.ok(journal.split("\n").every((l) => l === "" || JSON.parse(l)), "only whole lines in the journal");
  assert.ok(!journal.includes("xxxx"), "the failed line is gone from the journal");
  const after = new JsonlBackend({ dataDir: crashImage(dataDir), now: () => new Date(), origin: "after-crash" });
  await after.open();
  t.after(() => after.close());
  assert.deepEqual(await contents(after), ["one", "two"]);
});

test("jsonl: a read racing a write whose fsync fails never shows that write", async (t) => {
  const { b, disk } = await open(t);
  await b.conversations.append({ ...say("one"), createSession: true });
  let release!: () => void;
  disk.holdNext("datasync", /journal/, new Promise<void>((r) => (release = r)));
  disk.fail({ op: "datasync", path: /journal/, code: "EIO", times: 1 });
  const failing = b.conversations.append(say("phantom"));
  await new Promise((r) => setTimeout(r, 30)); // the write is in the model, its sync held
  const seen = b.conversations.getSession("s");
  const tail = b.conversations.listMessages({ sessionId: "s", tail: 5, limit: 100 });
  await new Promise((r) => setTimeout(r, 30));
  release();
  await assert.rejects(failing, { code: "BACKEND_UNAVAILABLE" });
  assert.equal((await seen).lastSeq, 1, "the read is answered from durable state only");
  assert.deepEqual((await tail).items.map((m) => m.content), ["one"]);
});

test("jsonl: data files that cannot be written (EMFILE) lag behind the journal without losing a write", async (t) => {
  const { b, disk, reopen } = await open(t);
  disk.fail({ op: "open", path: /sessions/, code: "EMFILE" });
  for (let i = 0; i < 20; i++) await b.conversations.append({ ...say(`m${i}`), createSession: i === 0 });
  await new Promise((r) => setTimeout(r, 300)); // the applier has tried and failed meanwhile
  assert.deepEqual(await contents(b), Array.from({ length: 20 }, (_, i) => `m${i}`), "reads see the journaled writes");
  const probe = await b.probe();
  assert.equal(probe.ok, true, "writes are still accepted");
  assert.match(String(probe.warnings), /behind the journal.*EMFILE/);
  disk.clear();
  const deadline = Date.now() + 3000;
  while ((await b.probe()).warnings !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.equal((await b.probe()).warnings, undefined, "the files catch up by themselves");
  assert.equal((await contents(await reopen())).length, 20);
});

test("jsonl: a checkpoint whose file fsync fails keeps the journal, and a restart recovers every write", async (t) => {
  const { b, disk, dataDir } = await open(t);
  for (let i = 0; i < 10; i++) await b.conversations.append({ ...say(`m${i}`), createSession: i === 0 });
  disk.fail({ op: "datasync", path: /sessions/, code: "EIO" });
  await assert.rejects(b.storage.engine.checkpoint(), { code: "EIO" });
  const segments = (await fs.readdir(dataDir)).filter((n) => n.startsWith("journal"));
  assert.ok(segments.includes("journal.old.jsonl"), "the retired segment stays until its files are synced");
  await fs.rm(join(dataDir, "agentstate.lock"));
  const after = new JsonlBackend({ dataDir, now: () => new Date(), origin: "after" });
  await after.open();
  t.after(() => after.close());
  assert.deepEqual(await contents(after), Array.from({ length: 10 }, (_, i) => `m${i}`));
});
