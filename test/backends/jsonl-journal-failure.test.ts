/**
 * A failed journal write while other units wait their turn (src/backends/jsonl/engine.ts, failed):
 * the model is reloaded before the next unit decides, and the units already queued go on. The
 * reload used to be queued behind them while each of them waited for it: every write and read hung.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { openFaultyJsonl } from "../helpers/jsonl.js";

async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

test("jsonl: a journal write that fails while units are queued does not hang them; they run on the reloaded model", { timeout: 20_000 }, async (t) => {
  const { b, say, disk } = await openFaultyJsonl(t);
  await say("one");
  let flushing!: () => void;
  disk.holdNext("datasync", /journal\.jsonl$/, new Promise<void>((resolve) => (flushing = resolve)));
  disk.fail({ op: "datasync", path: /journal\.jsonl$/, code: "EIO", times: 1 });
  const lost = say("lost"); // its flush is held, then fails
  await new Promise((resolve) => setTimeout(resolve, 20));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const holder = b.engine.unit(async () => gate); // holds the section while the flush fails
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
  let flushing!: () => void;
  disk.holdNext("datasync", /journal\.jsonl$/, new Promise<void>((resolve) => (flushing = resolve)));
  disk.fail({ op: "datasync", path: /journal\.jsonl$/, code: "EIO", times: 1 });
  const lost = say("lost");
  await new Promise((resolve) => setTimeout(resolve, 20));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  // Decides after reading the model as it was before the failure (with "lost" in it), then writes.
  const stale = b.engine.unit(async (ctx) => {
    await gate;
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
