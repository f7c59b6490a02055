/**
 * picoclaw: the key from the content, aliases onto the session (so the name a user knows finds
 * it), scope and the other meta fields kept in metadata, the skip prefix hidden, the meta's times.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { rootsFor, runLegacyImport } from "../../src/migrate/legacy/index.js";
import { tempDir } from "../helpers/tmp.js";
import { writePicoclawTree, writeTornPicoclaw } from "./fixtures/picoclaw.js";
import { recordingTarget } from "./recording-restore.js";

test("picoclaw: keys, aliases, scope, skip and times", async (t) => {
  const root = join(tempDir(t), "workspace");
  const fx = writePicoclawTree(root);
  const { target, rec } = await recordingTarget();
  const r = await runLegacyImport(target, { roots: rootsFor([root], ["picoclaw"]), maxValueBytes: 1 << 20 });
  assert.ok(r.files.every((f) => f.status === "imported"), JSON.stringify(r.files));
  assert.equal(r.counts.sessions.imported, fx.sessions);
  assert.equal(r.counts.messages.imported, fx.messages);

  const { current } = fx;
  const s = rec.sessions.get(current.key)!.session;
  assert.deepEqual(s.aliases, current.aliases);
  assert.deepEqual(s.metadata.scope, current.scope);
  assert.equal(s.metadata.history_slot, "main");
  assert.equal(s.metadata.thread_attached_at, "0001-01-01T00:00:00Z", "kept as picoclaw wrote it");
  assert.equal(s.metadata.count, current.messages.length);
  assert.equal(s.title, current.threadTitle);
  assert.equal(s.summary, current.summary);
  assert.equal(s.createdAt, current.createdAt);
  assert.equal(s.updatedAt, current.updatedAt);
  assert.equal(s.truncatedBeforeSeq, current.skip + 1);
  assert.equal(s.messageCount, current.messages.length - current.skip);
  assert.equal(s.lastSeq, current.messages.length);
  const msgs = rec.messagesOf(current.key);
  assert.deepEqual(msgs.map((m) => m.content), current.messages.map((m) => m.content));
  assert.ok(msgs.every((m) => m.createdAt === current.createdAt), "picoclaw kept no per-message times: the session's created_at");
  assert.equal(msgs[4].toolCallId, "call_1");
  assert.equal((msgs[3].toolCalls as unknown[]).length, 1);
  assert.equal(msgs[5].reasoning, "so…");

  const older = rec.sessions.get(fx.older.key)!.session;
  assert.equal(older.aliases, undefined);
  assert.equal(older.truncatedBeforeSeq, 1);
  assert.equal(rec.messagesOf(fx.older.key).length, 2, "a blank line is not a message");
  const legacy = rec.sessions.get(fx.legacy.key)!.session;
  assert.equal(legacy.createdAt, fx.legacy.createdAt);
  assert.equal(legacy.updatedAt, fx.legacy.updatedAt);
  assert.equal(legacy.summary, "greeting");
  assert.equal(rec.messagesOf(fx.legacy.key)[1].reasoning, "think");

  const names = readdirSync(join(root, "sessions"));
  assert.ok(names.some((n) => n.startsWith(`${current.file}.meta.json.migrated-`)), "the meta file goes with its jsonl");
  assert.ok(names.includes("old_done.json.migrated"));

  // Again with the files put back (a crash before the renames): nothing restored twice.
  const again = writePicoclawTree(root);
  const calls = rec.calls.length;
  const r2 = await runLegacyImport(target, { roots: rootsFor([root], ["picoclaw"]), maxValueBytes: 1 << 20 });
  assert.equal(r2.counts.sessions.existing, again.sessions);
  assert.equal(r2.counts.sessions.imported, 0);
  assert.equal(rec.calls.length, calls, "nothing written");
});

test("picoclaw: a torn last line keeps the file and its meta in place, and the report names it", async (t) => {
  const root = join(tempDir(t), "workspace");
  const torn = writeTornPicoclaw(root);
  const { target, rec } = await recordingTarget();
  const r = await runLegacyImport(target, { roots: rootsFor([root], ["picoclaw"]), maxValueBytes: 1 << 20 });
  const f = r.files.find((x) => x.path === torn.file)!;
  assert.equal(f.status, "partial");
  assert.deepEqual(f.unreadLines, [torn.tornLine]);
  assert.ok(existsSync(torn.file) && existsSync(torn.file.replace(/\.jsonl$/, ".meta.json")));
  assert.equal(rec.messagesOf(torn.key).length, 2);
});

test("picoclaw: a session whose alias another session holds is skipped with the reason, and stays", async (t) => {
  const root = join(tempDir(t), "workspace");
  const fx = writePicoclawTree(root);
  const dup = join(root, "sessions", "sk_v1_dup.jsonl");
  writeFileSync(dup, JSON.stringify({ role: "user", content: "x" }) + "\n");
  writeFileSync(dup.replace(/\.jsonl$/, ".meta.json"), JSON.stringify({ key: "sk_v1_dup", summary: "", skip: 0, count: 1, aliases: ["telegram:123"] }, null, 2));
  const { target, rec } = await recordingTarget();
  const r = await runLegacyImport(target, { roots: rootsFor([root], ["picoclaw"]), maxValueBytes: 1 << 20 });
  const f = r.files.find((x) => x.path === dup)!;
  assert.equal(f.status, "skipped");
  assert.match(f.reason!, /alias "telegram:123" already names session/);
  assert.ok(existsSync(dup));
  assert.equal(rec.sessions.has("sk_v1_dup"), false);
  assert.equal(r.counts.sessions.imported, fx.sessions);
  assert.equal(r.counts.sessions.skipped, 1);
});
