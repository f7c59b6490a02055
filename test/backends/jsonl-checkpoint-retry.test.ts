/**
 * A checkpoint that fails after rotating the journal leaves the old segment behind; later writes
 * try it again, so the journal does not grow until the daemon stops.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { OLD } from "../../src/backends/jsonl/journal.js";
import { openFaultyJsonl } from "../helpers/jsonl.js";

test("jsonl: a checkpoint that failed after rotating is tried again by later writes", { timeout: 20_000 }, async (t) => {
  const { b, disk, dir, say } = await openFaultyJsonl(t);
  await say("one");
  await b.engine.applyNow();
  disk.fail({ op: "datasync", path: /sessions\//, code: "EIO", times: 1 });
  await assert.rejects(b.engine.checkpoint(), { code: "EIO" });
  assert.ok(existsSync(join(dir, OLD)), "the failed checkpoint left the old segment");
  const deadline = Date.now() + 10_000;
  for (let i = 0; existsSync(join(dir, OLD)); i++) {
    assert.ok(Date.now() < deadline, "the old segment was never retired");
    await say(`more ${i}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual((await b.conversations.listMessages({ sessionId: "s", limit: 2 })).items.map((m) => m.content), ["one", "more 0"]);
});
