/**
 * A file written while the applier flushes it stays marked for the next flush: a checkpoint that
 * cleared the mark would retire journal lines whose bytes only the page cache holds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { FaultyDisk } from "../helpers/faulty-disk.js";
import { tempDir } from "../helpers/tmp.js";

interface ApplierView {
  sync(): Promise<void>;
  dirtyFiles: Map<string, number>;
}

test("jsonl: a write landing while its file is being flushed keeps the file marked for the next flush", async (t) => {
  const disk = new FaultyDisk();
  const b = new JsonlBackend({ dataDir: join(tempDir(t), "data"), origin: "t", now: () => new Date(), disk });
  await b.open();
  t.after(() => b.close());
  const say = (content: string) => b.conversations.append({ sessionId: "s", createSession: true, messages: [{ role: "user", content }] });
  await say("first");
  await b.engine.applyNow();
  const applier = (b.engine as unknown as { applier: ApplierView }).applier;
  const path = "sessions/s.jsonl";
  assert.ok(applier.dirtyFiles.has(path));
  let release!: () => void;
  disk.holdNext("datasync", /sessions\/s\.jsonl$/, new Promise<void>((r) => (release = r)));
  const syncing = applier.sync();
  await new Promise((r) => setTimeout(r, 20)); // the flush of s.jsonl is waiting
  await say("second");
  await b.engine.applyNow(); // written while the flush waits
  release();
  await syncing;
  assert.ok(applier.dirtyFiles.has(path), "the second write still needs a flush");
  await applier.sync();
  assert.ok(!applier.dirtyFiles.has(path));
});
