/**
 * Journal failures and units that broke while applying (src/backends/jsonl/engine.ts failed,
 * journal.ts abandon). A failed write while other units wait their turn: the model is reloaded
 * before the next unit decides, and the units already queued go on (the reload used to be queued
 * behind them while each of them waited for it: every write and read hung). An abandoned unit is
 * failed, never counted durable, once, however the writer was busy when it broke.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { nodeDisk } from "../../src/backends/jsonl/disk.js";
import { Journal } from "../../src/backends/jsonl/journal.js";
import type { JournalLine } from "../../src/backends/jsonl/journal-segment.js";
import { FaultyDisk } from "../helpers/faulty-disk.js";
import { openFaultyJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/tmp.js";

async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** The next journal flush waits until the returned function is called, then fails with EIO. */
function failingFlush(disk: FaultyDisk): () => void {
  const flush = gate();
  disk.holdNext("datasync", /journal\.jsonl$/, flush.opened);
  disk.fail({ op: "datasync", path: /journal\.jsonl$/, code: "EIO", times: 1 });
  return flush.open;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

test("jsonl: a journal write that fails while units are queued does not hang them; they run on the reloaded model", { timeout: 20_000 }, async (t) => {
  const { b, say, disk } = await openFaultyJsonl(t);
  await say("one");
  const flushing = failingFlush(disk);
  const lost = say("lost"); // its flush is held, then fails
  await tick();
  const { opened: gateOpened, open } = gate();
  const holder = b.engine.unit(async () => gateOpened); // holds the section while the flush fails
  const queued = say("queued"); // waits its turn behind the holder
  const reader = b.conversations.listMessages({ sessionId: "s", limit: 10 });
  flushing();
  await assert.rejects(lost, { code: "BACKEND_UNAVAILABLE" });
  open();
  await within(5000, holder, "the unit holding the section");
  await within(5000, queued, "the unit queued behind it");
  const read = await within(5000, reader, "a read meanwhile");
  assert.deepEqual(read.items.map((m) => m.content).filter((c) => c !== "queued"), ["one"]);
  assert.deepEqual((await b.conversations.listMessages({ sessionId: "s", limit: 10 })).items.map((m) => m.content), ["one", "queued"]);
});

test("jsonl: a unit whose function ran across a failed write is refused, even when the journal recovered before it returned", { timeout: 20_000 }, async (t) => {
  const { b, say, disk } = await openFaultyJsonl(t);
  await say("one");
  const flushing = failingFlush(disk);
  const lost = say("lost");
  await tick();
  const { opened: gateOpened, open } = gate();
  // Decides after reading the model as it was before the failure (with "lost" in it), then writes.
  const stale = b.engine.unit(async (ctx) => {
    await gateOpened;
    ctx.change({ domain: "sessions", type: "session.updated", id: "s" });
    return "written";
  });
  flushing();
  await assert.rejects(lost, { code: "BACKEND_UNAVAILABLE" });
  assert.equal(await b.engine.probeWrites(), true, "health's probe finds the journal writable again");
  open();
  await assert.rejects(stale, { code: "BACKEND_UNAVAILABLE" }, "what it decided from is gone: it must not be acknowledged");
  await say("two");
  assert.deepEqual((await b.conversations.listMessages({ sessionId: "s", limit: 10 })).items.map((m) => m.content), ["one", "two"]);
});

/** A journal on `disk` in a fresh directory, emptied and ready; closed after the test. */
async function openJournal(t: TestContext, disk: FaultyDisk | typeof nodeDisk = nodeDisk): Promise<{ journal: Journal; dir: string }> {
  const dir = tempDir(t);
  const journal = new Journal(disk, (name) => join(dir, name));
  await journal.reset();
  t.after(() => journal.close());
  return { journal, dir };
}

const broke = () => new Error("the unit broke while applying");

test("journal: a unit abandoned while a batch gathers fails, is never counted durable, and the next batch's p is the line before it", async (t) => {
  const { journal, dir } = await openJournal(t);
  const unit = () => ({ w: [] });
  const [a, b] = [journal.reserve(), journal.reserve()];
  journal.submit(a, unit());
  journal.submit(b, unit());
  await journal.durable(b); // a batch of two: the next one waits to gather two
  await new Promise((resolve) => setImmediate(resolve)); // the writer is idle
  const c = journal.reserve();
  journal.submit(c, unit()); // the writer starts and waits for a second unit to join c
  const broken = journal.reserve(); // its unit breaks while the batch of c gathers
  journal.abandon(broke());
  assert.throws(() => journal.reserve(), { code: "BACKEND_UNAVAILABLE" }, "no unit joins the batch after an abandon");
  await journal.durable(c);
  await assert.rejects(journal.durable(broken), { code: "BACKEND_UNAVAILABLE" });
  assert.equal(await journal.recover(), true);
  const d = journal.reserve();
  journal.submit(d, unit());
  await journal.durable(d);
  const lines = readFileSync(join(dir, "journal.jsonl"), "utf8").replace(/\0+$/, "").trimEnd().split("\n").map((l) => JSON.parse(l) as JournalLine);
  assert.deepEqual(lines.map((l) => [l.j, l.p]), [[a, 0], [b, 0], [c, b], [d, c]], "p is the j of the last line written before the batch");
  assert.equal(new Set(lines.map((l) => l.s)).size, 1, "one segment id");
});

test("journal: a unit abandoned while a rotation runs is failed when the rotation ends, not at the next write", { timeout: 20_000 }, async (t) => {
  const disk = new FaultyDisk();
  const { journal } = await openJournal(t, disk);
  const a = journal.reserve();
  journal.submit(a, { w: [] });
  await journal.durable(a);
  const sync = gate();
  disk.holdNext("datasync", /journal\.jsonl$/, sync.opened); // the rotation's sync of the old segment
  const rotated = journal.rotate();
  await tick();
  const broken = journal.reserve();
  journal.abandon(broke());
  const settled = journal.durable(broken);
  sync.open();
  await rotated;
  await assert.rejects(within(5000, settled, "the abandoned unit"), { code: "BACKEND_UNAVAILABLE" });
});

test("journal: a unit abandoned during a flush that then fails is failed once, with the flush's error", async (t) => {
  const disk = new FaultyDisk();
  const { journal } = await openJournal(t, disk);
  const failures: Error[] = [];
  journal.onFailure = (_last, err) => void failures.push(err);
  const flushing = failingFlush(disk);
  const c = journal.reserve();
  journal.submit(c, { w: [] });
  await tick();
  const broken = journal.reserve();
  journal.abandon(broke());
  flushing();
  await assert.rejects(journal.durable(c), { code: "BACKEND_UNAVAILABLE" });
  await assert.rejects(journal.durable(broken), { code: "BACKEND_UNAVAILABLE" });
  assert.equal(await journal.recover(), true);
  const d = journal.reserve();
  journal.submit(d, { w: [] });
  await journal.durable(d); // the abandon was covered by the failure: it does not fail this write later
  assert.deepEqual(failures.map((e) => (e as NodeJS.ErrnoException).code), ["EIO"]);
});
