/**
 * A file written while the applier flushes it stays marked for the next flush: a checkpoint that
 * cleared the mark would retire journal lines whose bytes only the page cache holds.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { openFaultyJsonl } from "../helpers/jsonl.js";

interface ApplierView {
  sync(): Promise<void>;
  dirtyFiles: Map<string, number>;
}

test("jsonl: a write landing while its file is being flushed keeps the file marked for the next flush", async (t) => {
  const { b, disk, say } = await openFaultyJsonl(t);
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
