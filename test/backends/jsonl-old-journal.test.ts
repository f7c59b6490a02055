/**
 * A journal left by a crash of a version whose stores applied their own writes (`l` ops) cannot be
 * replayed by this one: open refuses it with what to do, and touches nothing.
 */
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { tempDir } from "../helpers/tmp.js";

test("jsonl: a journal holding an earlier version's store ops is refused at open, and left as it was", async (t) => {
  const dir = join(tempDir(t), "data");
  const make = () => new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  const first = make();
  await first.open();
  await first.conversations.createSession({ id: "kept" });
  await first.close();
  const line = JSON.stringify({ j: 1, l: [{ k: "grp", g: { id: "g" } }] }) + "\n";
  appendFileSync(join(dir, "journal.jsonl"), line);
  const before = readFileSync(join(dir, "journal.jsonl"), "utf8");

  const second = make();
  await assert.rejects(second.open(), (err: Error & { code?: string }) =>
    err.code === "BACKEND_UNAVAILABLE" && /earlier agentstate; start that version once and stop it cleanly/.test(err.message));
  await second.close();
  assert.equal(readFileSync(join(dir, "journal.jsonl"), "utf8"), before, "the journal is kept for the version that can apply it");
});
