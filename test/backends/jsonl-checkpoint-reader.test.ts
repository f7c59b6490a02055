/**
 * A checkpoint that must wait for a reader: the applier leaves a cut of a file that a read has open
 * for later, and the checkpoint tries again after a pause — it must not spin without letting the
 * read finish (before, it looped on microtasks and hung the daemon).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { tempDir } from "../helpers/tmp.js";

test("jsonl: a checkpoint waits for an open read without starving it, then applies the cut", { timeout: 20_000 }, async (t) => {
  const dir = join(tempDir(t), "data");
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await b.open();
  t.after(() => b.close());
  const messages = [1, 2, 3].map((i) => ({ role: "user" as const, content: `m${i}` }));
  await b.conversations.append({ sessionId: "s", createSession: true, messages });
  const engine = b.storage.engine;
  await engine.applyNow();
  const reader = await engine.vfs.open("sessions/s.jsonl");
  assert.ok(reader);
  await b.conversations.pop("s"); // a cut of the file the read has open: left for later
  const checkpoint = engine.checkpoint();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  await new Promise((resolve) => setTimeout(resolve, 100));
  clearInterval(timer);
  assert.ok(ticks >= 5, `the event loop turned ${ticks} times in 100 ms while the checkpoint waited`);
  await reader.close();
  await checkpoint;
  const lines = readFileSync(join(dir, "sessions", "s.jsonl"), "utf8").trim().split("\n");
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { seq: number }).seq), [1, 2]);
});
