/**
 * Damaged jsonl files found at open: a coded error (DATA_DAMAGED) that names the file and line,
 * nothing touched, and a daemon that says so in one plain line instead of a stack trace.
 */
import assert from "node:assert/strict";
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { DAEMON_BIN, hermeticEnv, runNode } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

async function storeWithOneSession(dir: string): Promise<void> {
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await b.open();
  await b.conversations.createSession({ id: "kept" });
  await b.conversations.append({ sessionId: "kept", messages: [{ role: "user", content: "hello" }] });
  await b.close();
}

const isDamaged = (pattern: RegExp) => (err: Error & { code?: string }) => err.code === "DATA_DAMAGED" && pattern.test(err.message);

test("jsonl: a journal line that is not JSON is DATA_DAMAGED, named by file and line, and left as it was", async (t) => {
  const dir = join(tempDir(t), "data");
  await storeWithOneSession(dir);
  const journal = join(dir, "journal.jsonl");
  const lines = readFileSync(journal, "utf8").split("\n").length - 1;
  appendFileSync(journal, "{not json\n");
  const before = readFileSync(journal, "utf8");
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await assert.rejects(b.open(), isDamaged(new RegExp(`journal\\.jsonl:${lines + 1} is not a JSON line`)));
  await b.close();
  assert.equal(readFileSync(journal, "utf8"), before);
});

test("jsonl: a session file holding another session's record is DATA_DAMAGED", async (t) => {
  const dir = join(tempDir(t), "data");
  await storeWithOneSession(dir);
  const sessions = join(dir, "sessions");
  const meta = readdirSync(sessions).find((n) => n.endsWith(".meta.json"));
  assert.ok(meta, `a meta file in ${readdirSync(sessions).join(", ")}`);
  const path = join(sessions, meta);
  writeFileSync(path, readFileSync(path, "utf8").replace('"kept"', '"other"'));
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await assert.rejects(b.open(), isDamaged(/holds session "other", which belongs in another file/));
  await b.close();
});

test("jsonl: a session file that does not parse is DATA_DAMAGED, naming the file", async (t) => {
  const dir = join(tempDir(t), "data");
  await storeWithOneSession(dir);
  const meta = readdirSync(join(dir, "sessions")).find((n) => n.endsWith(".meta.json"));
  assert.ok(meta);
  writeFileSync(join(dir, "sessions", meta), '{"id": "kept", "title": ');
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await assert.rejects(b.open(), isDamaged(new RegExp(`sessions/${meta.replace(".", "\\.")} is not valid JSON`)));
  await b.close();
});

test("agentstated on a damaged data directory: exit 1 and one plain line naming the file", async (t) => {
  const root = tempDir(t);
  const dir = join(root, "data");
  await storeWithOneSession(dir);
  appendFileSync(join(dir, "journal.jsonl"), "garbage\n");
  const r = await runNode(t, DAEMON_BIN, ["--backend", "jsonl", "--data-dir", dir, "--socket", join(root, "s.sock")], { env: hermeticEnv(join(root, "config")) });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^agentstated: journal\.jsonl:\d+ is not a JSON line; the data directory was damaged/m);
});
