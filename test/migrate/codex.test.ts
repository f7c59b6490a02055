/**
 * Codex: rollouts as conversations with their own times (restore path, recorded), per-turn usage
 * derived and keyed as relayburn's reader does (so turns relayburn ingested count once), never
 * renamed, a re-run importing only what the rollout gained, an unfinished turn left for later.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { rootsFor, runLegacyImport } from "../../src/migrate/legacy/index.js";
import { tempDir } from "../helpers/tmp.js";
import { writeCodexTree } from "./fixtures/codex.js";
import { LedgerWriter } from "./fixtures/relayburn.js";
import { recordingTarget } from "./recording-restore.js";

test("codex: rollouts, usage keyed like relayburn, never renamed, re-runs import only what is new", async (t) => {
  const home = tempDir(t);
  const fx = writeCodexTree(home);
  const { target, rec, backend } = await recordingTarget();
  const burn = join(home, ".relayburn");
  mkdirSync(burn);
  const w = new LedgerWriter();
  w.appendTurns(fx.a.turns);
  writeFileSync(join(burn, "ledger.jsonl"), w.text);
  await runLegacyImport(target, { roots: rootsFor([burn], ["relayburn"]), maxValueBytes: 1 << 20 });

  const opts = { roots: rootsFor([join(home, ".codex")], ["codex"]), maxValueBytes: 1 << 20 };
  const r = await runLegacyImport(target, opts);
  assert.ok(r.files.every((f) => f.status === "imported" && f.renamedTo === undefined), JSON.stringify(r.files));
  assert.ok(existsSync(fx.a.file));
  assert.equal(r.counts.turns.existing, fx.a.turns.length, "relayburn's turns are the same turns");
  assert.equal(r.counts.turns.imported, fx.b.turns.length);

  // The derived usage is exactly relayburn's (the fixture computes relayburn's records independently).
  const ledger = (await backend.ledger.query({ limit: 100 })).items;
  for (const want of [...fx.a.turns, ...fx.b.turns]) {
    const got = ledger.find((x) => x.sessionId === want.sessionId && x.messageId === want.messageId);
    assert.ok(got, want.messageId);
    assert.equal(got.source, "codex");
    assert.equal(got.model, want.model);
    assert.equal(got.ts, want.ts);
    assert.deepEqual(
      { input: got.usage.input, output: got.usage.output, reasoning: got.usage.reasoning, cacheRead: got.usage.cacheRead },
      { input: want.usage.input, output: want.usage.output, reasoning: want.usage.reasoning, cacheRead: want.usage.cacheRead },
    );
  }
  const b = ledger.find((x) => x.sessionId === fx.b.id)!;
  assert.equal(b.toolCalls, 1);
  assert.equal(b.project, "/home/me/other");

  const s = rec.sessions.get(fx.a.id)!.session;
  assert.equal(s.createdAt, "2025-10-29T00:59:38.317Z");
  assert.equal(s.updatedAt, fx.a.lines[fx.a.lines.length - 1].timestamp);
  assert.equal(s.model, "gpt-5-codex");
  assert.equal(s.metadata.cwd, "/home/me/proj");
  assert.equal(s.metadata.cli_version, "0.58.0");
  assert.deepEqual(s.metadata.git, { commit_hash: "3f9c1d2e4b5a69788e0f1a2b3c4d5e6f7a8b9c0d", branch: "main", repository_url: "git@github.com:me/proj.git" });
  assert.deepEqual(s.tokenStats, { inputTokens: (6040 - 4992) + (9100 - 8800), outputTokens: 129 + 410, requests: 2 });
  const msgs = rec.messagesOf(fx.a.id);
  assert.equal(msgs.length, fx.a.messages);
  const items = fx.a.lines.filter((l) => l.type === "response_item");
  assert.deepEqual(msgs.map((m) => m.createdAt), items.map((l) => l.timestamp));
  assert.deepEqual(msgs.slice(0, 5).map((m) => [m.role, m.type]), [
    ["user", "message"], ["assistant", "reasoning"], ["assistant", "function_call"], ["tool", "function_call_output"], ["assistant", "message"],
  ]);
  assert.equal(msgs[3].toolCallId, msgs[2].call_id);
  const kept = r.files.find((f) => f.path === fx.a.file)!.kept!;
  assert.equal(kept.turnContexts, 2);
  assert.equal(kept.events, 2 * 2, "user_message and agent_message events mirror response items");

  // The session goes on: a finished turn, then one still running when the import reads the file.
  fx.a.turn("0199a213-9000-7000-8000-000000000003", "gpt-5-codex", "and docs", "Docs added.", { input: 12000, cached: 11000, output: 300, reasoning: 128 });
  fx.a.turn("0199a213-9000-7000-8000-000000000004", "gpt-5-codex", "and more", "…", { input: 100, cached: 0, output: 10, reasoning: 0 }, false, false);
  fx.a.appendNew();
  const grown = await runLegacyImport(target, opts);
  assert.equal(grown.counts.turns.imported, 1, "only the finished turn; the running one waits (as in relayburn)");
  assert.equal(grown.counts.messages.imported, 10);
  assert.equal(grown.counts.messages.existing, fx.a.messages - 10 + fx.b.messages);
  const third = ledger.length + 1;
  assert.equal((await backend.ledger.query({ limit: 100 })).items.length, third);
  const turn3 = (await backend.ledger.query({ sessionId: fx.a.id, limit: 100 })).items.find((x) => x.messageId.endsWith("03"))!;
  assert.deepEqual({ input: turn3.usage.input, cacheRead: turn3.usage.cacheRead }, { input: 1000, cacheRead: 11000 });
});
