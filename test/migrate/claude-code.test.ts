/**
 * Claude Code: transcripts as conversations with their own times (restore path, recorded), usage
 * as ledger turns keyed like relayburn's (a turn relayburn ingested is not counted twice), the
 * files never renamed, and a re-run importing only what the transcript gained.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { rootsFor, runLegacyImport } from "../../src/migrate/legacy/index.js";
import { tempDir } from "../helpers/tmp.js";
import { writeClaudeTree } from "./fixtures/claude-code.js";
import { LedgerWriter } from "./fixtures/relayburn.js";
import { recordingTarget } from "./recording-restore.js";

test("claude-code: transcripts, usage keyed like relayburn, never renamed, re-runs import only what is new", async (t) => {
  const home = tempDir(t);
  const fx = writeClaudeTree(home);
  const { target, rec, backend } = await recordingTarget();
  // relayburn already ingested the main session from the same transcript.
  const burn = join(home, ".relayburn");
  mkdirSync(burn);
  const w = new LedgerWriter();
  w.appendTurns(fx.main.turns);
  writeFileSync(join(burn, "ledger.jsonl"), w.text);
  await runLegacyImport(target, { roots: rootsFor([burn], ["relayburn"]), maxValueBytes: 1 << 20 });

  const opts = { roots: rootsFor([join(home, ".claude")], ["claude-code"]), maxValueBytes: 1 << 20 };
  const r = await runLegacyImport(target, opts);
  assert.ok(r.files.every((f) => f.status === "imported" && f.renamedTo === undefined), JSON.stringify(r.files));
  assert.ok(existsSync(fx.main.file) && existsSync(fx.other.file), "the tool still owns its transcripts");
  assert.equal(r.counts.turns.existing, fx.main.turns.length, "turns relayburn already stored are not counted twice");
  assert.equal(r.counts.turns.imported, fx.other.turns.length + fx.sub.turns.length);
  const ledger = (await backend.ledger.query({ limit: 100 })).items;
  assert.equal(ledger.length, fx.main.turns.length + fx.other.turns.length + fx.sub.turns.length);

  // A subagent's transcript is its own conversation, named under its parent; its usage is keyed by the parent session, as relayburn keys it.
  const sub = rec.sessions.get(`${fx.main.sessionId}/agent-a8f3c2d`)!.session;
  assert.equal(sub.metadata.parentSessionId, fx.main.sessionId);
  assert.equal((rec.messagesOf(sub.id)[0].transcript as { isSidechain: boolean }).isSidechain, true);
  const subTurn = ledger.find((x) => x.messageId === "msg_01SubAgent00001")!;
  assert.equal(subTurn.sessionId, fx.main.sessionId);
  assert.equal((subTurn.extra as { isSidechain: boolean }).isSidechain, true);
  assert.equal(subTurn.usage.cacheCreate, 3000);

  const main = rec.sessions.get(fx.main.sessionId)!.session;
  const lines = fx.main.lines.filter((l) => typeof l.timestamp === "string" && l.type !== "file-history-snapshot");
  assert.equal(main.title, "Add a config file");
  assert.equal(main.createdAt, lines[0].timestamp);
  assert.equal(main.updatedAt, lines[lines.length - 1].timestamp);
  assert.equal(main.model, "claude-opus-4-1-20250805");
  assert.equal(main.metadata.cwd, "/home/me/proj");
  assert.equal(main.metadata.project, "-home-me-proj");
  assert.deepEqual(main.tokenStats, { inputTokens: 12 + 4 + 9, outputTokens: 310 + 58 + 77, requests: 3 });
  const msgs = rec.messagesOf(fx.main.sessionId);
  assert.equal(msgs.length, fx.main.messages);
  assert.deepEqual(msgs.map((m) => m.seq), msgs.map((_, i) => i + 1));
  assert.deepEqual(msgs.map((m) => m.createdAt), lines.map((l) => l.timestamp));
  assert.deepEqual(msgs.map((m) => m.role), ["user", "assistant", "assistant", "user", "assistant", "system", "assistant"]);
  assert.equal(msgs[1].id, "msg_01AbCdEfGh0001");
  assert.deepEqual((msgs[2].content as { type: string }[])[0].type, "tool_use");
  assert.equal((msgs[1].transcript as { uuid: string }).uuid, lines[1].uuid);
  assert.equal((msgs[3].transcript as { toolUseResult: { stdout: string } }).toolUseResult.stdout, "README.md\nsrc");
  assert.equal(msgs[5].content, "Conversation compacted");
  assert.equal((msgs[5].transcript as { subtype: string }).subtype, "compact_boundary");
  assert.deepEqual(r.files.find((f) => f.path === fx.main.file)!.kept, { "file-history-snapshot": 1 });

  const other = ledger.find((x) => x.sessionId === fx.other.sessionId)!;
  assert.equal(other.source, "claude-code");
  assert.equal(other.messageId, "msg_01ZzYyXxWw0001");
  assert.equal(other.model, "claude-haiku-4-5-20251001");
  assert.equal(other.ts, fx.other.turns[0].ts);
  assert.equal(other.project, "/home/me/proj");

  // Unchanged: nothing written.
  const calls = rec.calls.length;
  const same = await runLegacyImport(target, opts);
  assert.equal(same.counts.sessions.existing, 3);
  assert.equal(same.counts.messages.imported, 0);
  assert.equal(rec.calls.length, calls);

  // The session went on: two complete lines and one still being written.
  const before = fx.main.messages;
  fx.main.user("and a README").assistant("msg_01AbCdEfGh0004", "claude-sonnet-4-5-20250929", [{ type: "text", text: "Done." }], { input: 5, output: 9, cacheRead: 21000, c5: 0, c1: 0 });
  fx.main.appendNew("{\"parentUuid\":\"x\",\"type\":\"user\",\"mess");
  const grown = await runLegacyImport(target, opts);
  assert.equal(grown.counts.messages.imported, 2);
  assert.equal(grown.counts.messages.existing, before + fx.other.messages + fx.sub.messages);
  assert.equal(grown.counts.turns.imported, 1);
  assert.equal(grown.files.find((f) => f.path === fx.main.file)!.unreadLines, undefined, "a line still being written waits for the next run");
  assert.equal(rec.messagesOf(fx.main.sessionId).length, before + 2);
  assert.equal(rec.sessions.get(fx.main.sessionId)!.session.lastSeq, before + 2);
});
