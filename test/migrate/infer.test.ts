/**
 * infer: every field issue 17 lists, checked on what the importer hands the restore path (a
 * recording test double until backends expose it): job bookkeeping, plan times from local stamps,
 * group rollover times (Go's zero time absent), token stats, message times, subagent history.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { nextOccurrence } from "../../src/domain/schedule.js";
import { rootsFor, runLegacyImport } from "../../src/migrate/legacy/index.js";
import { parseHistory, splitCronTz } from "../../src/migrate/legacy/infer.js";
import { tempDir } from "../helpers/tmp.js";
import { asIso } from "./fixtures/formats.js";
import { writeInferTree } from "./fixtures/infer.js";
import { recordingTarget } from "./recording-restore.js";

const NOW = new Date("2025-06-01T12:00:00Z");

test("parsers: CRON_TZ prefix and literal \\n history", () => {
  assert.deepEqual(splitCronTz("CRON_TZ=Asia/Tokyo 0 9 * * *", "UTC"), { cron: "0 9 * * *", timezone: "Asia/Tokyo" });
  assert.deepEqual(splitCronTz("@every 5m", "Europe/Paris"), { cron: "@every 5m", timezone: "Europe/Paris" });
  assert.deepEqual(parseHistory("a\\nb\n\n  c  \n"), ["a\nb", "c"]);
});

test("infer: jobs, plans, groups, conversations and history keep every field", async (t) => {
  const root = join(tempDir(t), "infer");
  const fx = writeInferTree(root, { conversations: 3 });
  const { target, rec, backend } = await recordingTarget();
  const r = await runLegacyImport(target, { roots: rootsFor([root], ["infer"]), maxValueBytes: 1 << 20, hostZone: fx.zone, now: () => NOW });
  assert.ok(r.files.every((f) => f.status !== "failed"), JSON.stringify(r.files));

  // Jobs: last_run/last_error are the job's bookkeeping; created/updated its times; next run from the import time.
  assert.deepEqual([...rec.jobs.keys()].sort(), ["backup", "daily-report", "nightly", "ping"]);
  const daily = rec.jobs.get("daily-report")!;
  assert.equal(daily.createdAt, asIso("2025-01-02T03:04:05Z", 123456789));
  assert.equal(daily.updatedAt, asIso("2025-01-03T02:04:05Z", 987654321));
  assert.equal(daily.lastRunAt, "2025-02-03T07:30:00.000Z");
  assert.equal(daily.lastStatus, "succeeded");
  assert.equal(daily.lastError, undefined);
  assert.equal(daily.timezone, "Europe/Berlin");
  assert.deepEqual(daily.schedule, { cron: "30 8 * * 1-5" });
  assert.equal(daily.nextRunAt, nextOccurrence({ cron: "30 8 * * 1-5" }, "Europe/Berlin", NOW)!.toISOString());
  assert.equal(daily.version, 1);
  assert.deepEqual(daily.payload, {
    prompt: "Write the daily report", channel: "telegram", recipientId: "12345", model: "openai/gpt-4o",
    imported: { from: "infer", file: join(root, "schedules", "daily-report.yaml"), key: (daily.payload as { imported: { key: string } }).imported.key },
  });
  const backup = rec.jobs.get("backup")!;
  assert.equal(backup.lastRunAt, "2025-02-04T18:00:00.000Z");
  assert.equal(backup.lastStatus, "failed");
  assert.equal(backup.lastError, "agent exited with status 1");
  assert.equal(backup.timezone, fx.zone, "no CRON_TZ: the host's zone");
  const ping = rec.jobs.get("ping")!;
  assert.equal(ping.deleteAfterRun, true);
  assert.equal(ping.enabled, false, "a run_once job that already ran does not run again");
  assert.equal(ping.nextRunAt, undefined);
  assert.equal(ping.anchorAt, "2025-02-01T07:30:00.000Z", "@every keeps its rhythm from the last run");
  const nightly = rec.jobs.get("nightly")!;
  assert.equal(nightly.lastRunAt, undefined);
  assert.equal(nightly.lastStatus, undefined);
  assert.equal(nightly.enabled, true);
  assert.ok(nightly.nextRunAt! > NOW.toISOString());
  assert.equal(r.counts.jobs.skipped, 1, "the broken cron");

  // Plans: createdAt is the local-time stamp of the file name, read in the host's zone (also inside the repeated DST hour).
  assert.equal(rec.plans.size, fx.plans.length);
  for (const p of fx.plans) {
    const plan = rec.plans.get(p.id);
    assert.ok(plan, p.id);
    assert.equal(plan.createdAt, p.createdAt, p.id);
    assert.equal(plan.updatedAt, p.createdAt);
    assert.equal(plan.title, p.title);
    assert.equal(plan.body, p.body);
    assert.equal(plan.status, "draft");
    assert.equal(plan.uri, `agentstate://plans/${p.id}`);
  }

  // Groups: last_rollover is lastRolloverAt; Go's zero time is absent.
  for (const g of fx.groups) {
    const group = rec.groups.get(g.id);
    assert.ok(group, g.id);
    assert.equal(group.lastRolloverAt, g.lastRolloverAt);
    assert.equal(group.currentSessionId, g.current);
    assert.deepEqual(group.history, g.history);
    assert.equal((group.metadata.imported as { from: string }).from, "infer");
    assert.equal("last_rollover" in group.metadata, false);
  }
  assert.equal(rec.groups.get("channel-telegram-42")!.createdAt, "2025-01-02T00:00:01.000Z");

  // Conversations: times, seqs, token stats (the three agentstate has) and every other token_stats field kept.
  assert.equal(rec.sessions.size, fx.conversations.length);
  for (const c of fx.conversations) {
    const s = rec.sessions.get(c.id)!.session;
    assert.equal(s.createdAt, c.createdAt);
    assert.deepEqual(s.tokenStats, { inputTokens: c.tokens.input, outputTokens: c.tokens.output, requests: c.tokens.requests });
    const kept = s.metadata.token_stats as Record<string, number>;
    assert.equal(kept.total_tokens, c.tokens.input + c.tokens.output);
    assert.equal(kept.last_input_tokens, c.tokens.lastInput);
    assert.equal(kept.total_cached_tokens, c.tokens.cached);
    assert.equal(kept.total_cache_write_tokens, c.tokens.cacheWrite);
    assert.equal(s.metadata.project, "/home/me/proj");
    assert.equal(s.metadata.message_count, c.messages);
    assert.deepEqual(s.costStats, { total_cost: 0.0123, input_cost: 0.01, output_cost: 0.0023, currency: "USD", per_model: {} });
    assert.equal(s.lastSeq, c.messages);
    const msgs = rec.messagesOf(c.id);
    assert.deepEqual(msgs.map((m) => m.seq), Array.from({ length: c.messages }, (_, i) => i + 1));
    for (const m of msgs) assert.equal("time" in m, false, "time became createdAt");
  }
  const v1 = rec.messagesOf(fx.conversations[0].id);
  assert.deepEqual(v1.map((m) => m.createdAt), ["2024-12-01T10:00:00.250Z", "2024-12-01T10:00:01.250Z", "2024-12-01T10:00:02.250Z"]);
  assert.equal(v1[1].model, "anthropic/claude-sonnet-4");
  assert.equal((v1[1].toolCalls as unknown[]).length, 1);
  assert.equal(v1[2].toolCallId, "t1");
  const hidden = rec.sessions.get(fx.conversations[1].id)!.session;
  assert.equal(hidden.truncatedBeforeSeq, 3, "two leading hidden entries");
  assert.equal(hidden.messageCount, fx.conversations[1].messages - 2);
  assert.equal(hidden.title, "Chat 1", "the last meta line wins");
  assert.equal(rec.messagesOf(fx.conversations[1].id)[1].reasoning, "thinking");

  // History: the agent's, then the subagent's, whose entries say whose they were.
  const hist = (await backend.history.list({ limit: 100 })).items;
  assert.deepEqual(hist.map((e) => e.command), [...fx.history, ...fx.subagentHistory.commands]);
  assert.deepEqual(hist.slice(fx.history.length).map((e) => e.sessionId), fx.subagentHistory.commands.map(() => `infer-subagent:${fx.subagentHistory.name}`));
  assert.equal(hist[0].sessionId, undefined);

  // Every file read in full was renamed; the broken schedule and the .tmp stayed.
  const sched = readdirSync(join(root, "schedules")).sort();
  assert.ok(sched.includes("broken.yaml") && sched.includes("daily-report.yaml.tmp"));
  assert.equal(sched.filter((n) => /\.yaml\.migrated-\d{8}T\d{6}Z$/.test(n)).length, 4);
  assert.ok(readdirSync(join(root, "history")).every((n) => n.includes(".migrated-")), "both history files renamed");
  assert.ok(!existsSync(join(root, "session_groups.json")));
});

test("infer: a conversation with a torn last line stays in place and the report names the line", async (t) => {
  const root = join(tempDir(t), "infer");
  const fx = writeInferTree(root, { conversations: 2 });
  const { appendFileSync } = await import("node:fs");
  const file = join(root, "conversations", `${fx.conversations[1].id}.jsonl`);
  appendFileSync(file, "{\"type\":\"entry\",\"index\":9,\"entry\":{\"message\":{\"role\"");
  const lines = (await import("node:fs")).readFileSync(file, "utf8").split("\n").length;
  const { target, rec } = await recordingTarget();
  const r = await runLegacyImport(target, { roots: rootsFor([root], ["infer"]), maxValueBytes: 1 << 20, hostZone: fx.zone, now: () => NOW });
  const outcome = r.files.find((f) => f.path === file)!;
  assert.equal(outcome.status, "partial");
  assert.deepEqual(outcome.unreadLines, [lines]);
  assert.equal(outcome.renamedTo, undefined);
  assert.ok(existsSync(file), "the file stays");
  assert.equal(rec.messagesOf(fx.conversations[1].id).length, fx.conversations[1].messages, "what could be read was imported");
});
