import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { runLegacyImport, rootsFor } from "../../src/migrate/legacy/index.js";
import { parseHistory, splitCronTz } from "../../src/migrate/legacy/infer.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { writeInfer, writePicoclaw, writeRelayburn } from "./fixtures.js";

const backend = () => {
  const b = new MemoryBackend({ origin: "test", now: () => new Date() });
  return b;
};

test("parsers: CRON_TZ prefix and literal \\n history", () => {
  assert.deepEqual(splitCronTz("CRON_TZ=Asia/Tokyo 0 9 * * *", "UTC"), { cron: "0 9 * * *", timezone: "Asia/Tokyo" });
  assert.deepEqual(splitCronTz("@every 5m", "Europe/Paris"), { cron: "@every 5m", timezone: "Europe/Paris" });
  assert.deepEqual(parseHistory("a\\nb\n\n  c  \n"), ["a\nb", "c"]);
});

test("infer, picoclaw and relayburn trees import completely, then a second run imports nothing", async (t) => {
  const dir = tempDir(t);
  const infer = writeInfer(join(dir, "infer"), { conversations: 3 });
  const pico = writePicoclaw(join(dir, "pico"));
  const burn = writeRelayburn(join(dir, "burn"), 20);
  const b = backend();
  await b.open();
  const roots = [{ source: "infer" as const, path: join(dir, "infer") }, { source: "picoclaw" as const, path: join(dir, "pico") }, { source: "relayburn" as const, path: join(dir, "burn") }];

  const dry = await runLegacyImport(b, { roots, dryRun: true, maxValueBytes: 1 << 20, hostZone: "America/New_York" });
  assert.equal(dry.counts.sessions.imported, infer.sessions + pico.sessions);
  assert.equal((await b.conversations.listSessions({ limit: 10 })).items.length, 0, "dry run writes nothing");
  assert.ok(existsSync(join(dir, "infer", "plans", "2025-03-04-101500-fix-login.md")), "dry run renames nothing");

  const r = await runLegacyImport(b, { roots, maxValueBytes: 1 << 20, hostZone: "America/New_York" });
  assert.equal(r.counts.jobs.imported, infer.jobs);
  assert.equal(r.counts.jobs.skipped, 1, "the broken cron is skipped");
  assert.equal(r.counts.plans.imported, infer.plans);
  assert.equal(r.counts.history.imported, infer.history);
  assert.equal(r.counts.sessions.imported, infer.sessions + pico.sessions);
  assert.equal(r.counts.messages.imported, infer.messages + pico.messages);
  assert.equal(r.counts.groups.imported, 1);
  assert.equal(r.counts.turns.imported, burn.turns);
  assert.equal(r.counts.turns.existing, 1, "the duplicate relayburn line");
  const skipped = r.files.filter((f) => f.status !== "imported").map((f) => f.path.split("/").pop());
  assert.deepEqual(skipped.sort(), ["broken.yaml", "garbage.jsonl"]);

  // Jobs: zone from CRON_TZ, else the host's; run_once; @every anchored at the last run; payload keeps the rest.
  const daily = await b.jobs.getJob("daily-report");
  assert.equal(daily.timezone, "Europe/Berlin");
  assert.deepEqual(daily.schedule, { cron: "30 8 * * 1-5" });
  const payload = daily.payload as { recipientId: string; imported: { createdAt: string } };
  assert.equal(payload.recipientId, "12345");
  assert.equal(payload.imported.createdAt, "2025-01-02T03:04:05.123Z");
  const ping = await b.jobs.getJob("ping");
  assert.equal(ping.deleteAfterRun, true);
  assert.equal(ping.timezone, "America/New_York");
  assert.equal(ping.anchorAt, "2025-02-01T07:30:00.000Z");
  // Plans: title from the heading, body byte for byte, id = file stem.
  const plan = await b.plans.getPlan("2025-03-04-101500-fix-login");
  assert.equal(plan.title, "Fix the login bug");
  assert.equal(plan.body, "1. Reproduce\n2. Fix\r\n  trailing  \n");
  assert.equal((await b.plans.getPlan("2025-03-04-101500-fix-login-2")).body, "Second try");
  // History: literal \n became a newline, trimmed, blanks skipped, order kept.
  const hist = await b.history.list({ limit: 10 });
  assert.deepEqual(hist.items.map((e) => e.command), ["ls -la", "git status", "echo 'a'\necho 'b'", "printf 'x\\\\y'"]);
  // Conversations: v1 tool calls renamed, entry fields kept; v2 last meta wins, leading hidden entry hidden.
  const v1 = await b.conversations.getSession("conv-v1");
  assert.equal(v1.title, "Old chat");
  assert.deepEqual(v1.tokenStats, { inputTokens: 100, outputTokens: 50, requests: 2 });
  const v1m = await b.conversations.listMessages({ sessionId: "conv-v1", limit: 10 });
  assert.equal(v1m.items[1].toolCalls && (v1m.items[1].toolCalls as unknown[]).length, 1);
  assert.equal(v1m.items[2].toolCallId, "t1");
  assert.deepEqual(v1m.items[2].tool_execution, { ok: true });
  assert.equal(v1m.items[0].time, "2024-12-01T10:00:00.5Z");
  const v2 = await b.conversations.getSession("conv-v2-1");
  assert.equal(v2.title, "Chat 1");
  assert.deepEqual(v2.tags, ["v2"]);
  assert.equal(v2.messageCount, v2.lastSeq - 1, "the leading hidden entry stays hidden");
  // picoclaw: key from content, skip lines hidden, summary kept.
  const tg = await b.conversations.getSession("telegram:123");
  assert.equal(tg.messageCount, 3);
  assert.equal(tg.lastSeq, 5);
  const cli = await b.conversations.getSession("cli:default");
  assert.equal(cli.summary, "greeting");
  assert.equal((await b.conversations.listMessages({ sessionId: "cli:default", limit: 5 })).items[1].reasoning, "think");
  // Groups keep lastRolloverAt.
  const g = await b.groups.getGroup("telegram:42");
  assert.equal(g.currentSessionId, "conv-v2-1");
  assert.equal(g.lastRolloverAt, "2025-01-02T00:00:00.123Z");
  // Ledger: snake_case mapped, leftovers in extra.
  const codex = (await b.ledger.query({ limit: 100, source: "codex" })).items[0];
  assert.deepEqual(codex.usage, { input: 3, output: 4, reasoning: 1 });
  assert.equal(codex.toolCalls, 1);
  assert.equal((codex.extra as Record<string, unknown>).branch, "main");
  // Files renamed; the .tmp, runs/ and *.migrated stay.
  const sched = readdirSync(join(dir, "infer", "schedules")).sort();
  assert.ok(sched.includes("half-written.yaml.tmp") && sched.includes("runs") && sched.includes("broken.yaml"));
  assert.equal(sched.filter((n) => /\.yaml\.migrated-\d{8}T\d{6}Z$/.test(n)).length, 3);
  assert.ok(readdirSync(join(dir, "pico", "sessions")).some((n) => n.startsWith("telegram_123.meta.json.migrated-")));

  const again = await runLegacyImport(b, { roots, maxValueBytes: 1 << 20 });
  assert.equal(again.counts.sessions?.imported ?? 0, 0);
  assert.equal(again.files.filter((f) => f.status === "imported").length, 0, "nothing new the second time");
});

test("a file put back after import (or a crash before the rename) imports nothing twice", async (t) => {
  const dir = tempDir(t);
  const roots = rootsFor([join(dir, "infer"), join(dir, "burn")]);
  const b = backend();
  await b.open();
  writeInfer(join(dir, "infer"), { conversations: 2 });
  writeRelayburn(join(dir, "burn"), 5);
  await runLegacyImport(b, { roots, maxValueBytes: 1 << 20 });
  // Same files again, as if the process had died before renaming them.
  const infer = writeInfer(join(dir, "infer"), { conversations: 2 });
  writeRelayburn(join(dir, "burn"), 5);
  const r = await runLegacyImport(b, { roots, maxValueBytes: 1 << 20 });
  assert.equal(r.counts.sessions.imported, 0);
  assert.equal(r.counts.sessions.existing, infer.sessions);
  assert.equal(r.counts.messages.imported, 0);
  assert.equal(r.counts.history.imported, 0);
  assert.equal(r.counts.turns.imported, 0);
  assert.equal(r.counts.plans.existing, infer.plans);
  assert.equal((await b.history.list({ limit: 100 })).items.length, infer.history);
  const s = await b.conversations.getSession("conv-v1");
  assert.equal(s.lastSeq, 3);
});

test("migrate.legacy over RPC sends progress and the CLI prints a report", async (t) => {
  const d = await startTestDaemon(t);
  const dir = tempDir(t);
  writeRelayburn(join(dir, "burn"), 3);
  writePicoclaw(join(dir, "pico"));
  const client = await d.client();
  const report = await client.migrate.legacy({ roots: rootsFor([join(dir, "burn"), join(dir, "pico")]) });
  assert.equal(report.counts.turns.imported, 4);
  assert.equal(report.counts.sessions.imported, 2);
  await assert.rejects(client.migrate.legacy({ roots: [{ source: "infer", path: "relative/dir" }] }), /absolute/);

  writeRelayburn(join(dir, "burn2"), 3);
  const { runCli } = await import("../../src/client/cli/main.js");
  let out = "";
  let err = "";
  const code = await runCli(["migrate", "legacy", "--socket", d.socket, "--path", join(dir, "burn2"), "--source", "relayburn"], {
    out: (s) => (out += s),
    err: (s) => (err += s),
  });
  assert.equal(code, 0, err);
  assert.match(out, /turns\s+0\s+5\s+1/);
});
