/**
 * What a complete legacy import of the fixture trees (fixtures.ts) must leave in a backend, shared
 * by legacy.test.ts (the importer called directly) and legacy-backends.test.ts (through the daemon,
 * on every backend). Everything is read through the store contract, so any backend can be checked.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Backend } from "../../src/backends/contract.js";
import type { LegacyReport, LegacyRoot } from "../../src/domain/migrate.js";
import { COPY_DOMAINS, digestDomain, pages, storedMessages } from "../../src/migrate/checksum.js";
import { writeInfer, writePicoclaw, writeRelayburn } from "./fixtures.js";

export interface LegacyFixture {
  dir: string;
  roots: LegacyRoot[];
  infer: ReturnType<typeof writeInfer>;
  pico: ReturnType<typeof writePicoclaw>;
  burn: ReturnType<typeof writeRelayburn>;
}

const INFER_CONVERSATIONS = 3;
const RELAYBURN_TURNS = 20;

/** The three trees under `dir` (again: writing them a second time puts back the files an import renamed). */
export function writeLegacyFixture(dir: string): LegacyFixture {
  const infer = writeInfer(join(dir, "infer"), { conversations: INFER_CONVERSATIONS });
  const pico = writePicoclaw(join(dir, "pico"));
  const burn = writeRelayburn(join(dir, "burn"), RELAYBURN_TURNS);
  const roots: LegacyRoot[] = [
    { source: "infer", path: join(dir, "infer") },
    { source: "picoclaw", path: join(dir, "pico") },
    { source: "relayburn", path: join(dir, "burn") },
  ];
  return { dir, roots, infer, pico, burn };
}

/** Every file under `dir`, relative, sorted: a dry run must leave this unchanged. */
export function listTree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

/** A digest of everything the backend holds, per domain (the copy checksums): equal means nothing was added or changed. */
export async function snapshot(b: Backend): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const d of COPY_DOMAINS) out[d] = Object.fromEntries(await digestDomain(b, d));
  return out;
}

/** The dry run counted what the real run will import, wrote nothing and renamed nothing. */
export async function expectDryRun(b: Backend, fx: LegacyFixture, dry: LegacyReport, treeBefore: string[]): Promise<void> {
  assert.equal(dry.dryRun, true);
  assert.equal(dry.counts.sessions.imported, fx.infer.sessions + fx.pico.sessions);
  assert.equal(dry.counts.messages.imported, fx.infer.messages + fx.pico.messages);
  assert.equal(dry.counts.turns.imported, fx.burn.turns);
  assert.ok(dry.files.every((f) => f.renamedTo === undefined), "a dry run renames nothing");
  assert.deepEqual(listTree(fx.dir), treeBefore, "a dry run leaves every file where it was");
  assert.ok(existsSync(join(fx.dir, "infer", "plans", "2025-03-04-101500-fix-login.md")));
  const empty = await snapshot(b);
  for (const d of COPY_DOMAINS) assert.deepEqual(empty[d], {}, `a dry run writes nothing (${d})`);
}

/** The report of the first real run: every record imported, the two bad files skipped. */
export function expectImportReport(r: LegacyReport, fx: LegacyFixture): void {
  const { infer, pico, burn } = fx;
  assert.equal(r.dryRun, false);
  assert.equal(r.counts.jobs.imported, infer.jobs);
  assert.equal(r.counts.jobs.skipped, 1, "the broken cron is skipped");
  assert.equal(r.counts.plans.imported, infer.plans);
  assert.equal(r.counts.history.imported, infer.history);
  assert.equal(r.counts.sessions.imported, infer.sessions + pico.sessions);
  assert.equal(r.counts.messages.imported, infer.messages + pico.messages);
  assert.equal(r.counts.groups.imported, infer.groups);
  assert.equal(r.counts.turns.imported, burn.turns);
  assert.equal(r.counts.turns.existing, 1, "the duplicate relayburn line");
  const skipped = r.files.filter((f) => f.status !== "imported").map((f) => f.path.split("/").pop());
  assert.deepEqual(skipped.sort(), ["broken.yaml", "garbage.jsonl"]);
  assert.ok(r.files.every((f) => f.status !== "failed"), JSON.stringify(r.files.filter((f) => f.status === "failed")));
}

/** Every record of the fixture is in the backend, with its content. `hostZone`: the zone the importer took for the host's. */
export async function expectImportedContent(b: Backend, fx: LegacyFixture, hostZone: string): Promise<void> {
  const { infer, pico, burn } = fx;

  // Jobs: zone from CRON_TZ, else the host's; run_once; @every anchored at the last run; payload keeps the rest.
  const jobs = [];
  for await (const j of pages((cursor) => b.jobs.listJobs({ cursor, limit: 100 }))) jobs.push(j.id);
  assert.deepEqual(jobs.sort(), ["daily-report", "nightly", "ping"]);
  const daily = await b.jobs.getJob("daily-report");
  assert.equal(daily.name, "Daily report");
  assert.equal(daily.description, "Summarise yesterday");
  assert.equal(daily.timezone, "Europe/Berlin");
  assert.deepEqual(daily.schedule, { cron: "30 8 * * 1-5" });
  const payload = daily.payload as { prompt: string; channel: string; recipientId: string; model: string; imported: { createdAt: string } };
  assert.equal(payload.prompt, "Write the daily report");
  assert.equal(payload.channel, "telegram");
  assert.equal(payload.recipientId, "12345");
  assert.equal(payload.model, "openai/gpt-4o");
  assert.equal(payload.imported.createdAt, "2025-01-02T03:04:05.123Z");
  const ping = await b.jobs.getJob("ping");
  assert.equal(ping.deleteAfterRun, true);
  assert.equal(ping.timezone, hostZone);
  assert.equal(ping.anchorAt, "2025-02-01T07:30:00.000Z");
  const nightly = await b.jobs.getJob("nightly");
  assert.deepEqual(nightly.schedule, { cron: "@daily" });
  assert.equal((nightly.payload as { prompt: string }).prompt, "tidy up");

  // Plans: title from the heading, body byte for byte, id = file stem.
  const plans = [];
  for await (const p of pages((cursor) => b.plans.listPlans({ cursor, limit: 100 }))) plans.push(p.id);
  assert.equal(plans.length, infer.plans);
  const plan = await b.plans.getPlan("2025-03-04-101500-fix-login");
  assert.equal(plan.title, "Fix the login bug");
  assert.equal(plan.body, "1. Reproduce\n2. Fix\r\n  trailing  \n");
  assert.equal(plan.status, "draft");
  const again = await b.plans.getPlan("2025-03-04-101500-fix-login-2");
  assert.equal(again.title, "Fix the login bug (again)");
  assert.equal(again.body, "Second try");

  // History: literal \n became a newline, trimmed, blanks skipped, order kept.
  const hist = await b.history.list({ limit: 100 });
  assert.deepEqual(hist.items.map((e) => e.command), ["ls -la", "git status", "echo 'a'\necho 'b'", "printf 'x\\\\y'"]);
  assert.equal(hist.items.length, infer.history);

  // Sessions: every one, every stored message (hidden ones too) with its content.
  const sessions = [];
  for await (const s of pages((cursor) => b.conversations.listSessions({ cursor, limit: 100 }))) sessions.push(s.id);
  const v2 = Array.from({ length: INFER_CONVERSATIONS - 1 }, (_, i) => `conv-v2-${i + 1}`);
  assert.deepEqual(sessions.sort(), ["cli:default", "conv-v1", ...v2, "telegram:123"].sort());
  let stored = 0;
  for (const id of sessions) for await (const _m of storedMessages(b, id)) stored++;
  assert.equal(stored, infer.messages + pico.messages, "every message arrived");
  for (const [c, id] of v2.entries()) {
    const contents = [];
    for await (const m of storedMessages(b, id)) contents.push(m.content);
    const count = 4 + ((c + 1) % 5);
    assert.deepEqual(contents, Array.from({ length: count }, (_, i) => `message ${i} of ${id}`), id);
  }

  // Conversations: v1 tool calls renamed, entry fields kept; v2 last meta wins, leading hidden entry hidden.
  const v1 = await b.conversations.getSession("conv-v1");
  assert.equal(v1.title, "Old chat");
  assert.equal(v1.model, "gpt-4o");
  assert.deepEqual(v1.tags, ["old"]);
  assert.deepEqual(v1.tokenStats, { inputTokens: 100, outputTokens: 50, requests: 2 });
  assert.equal(v1.metadata.title_generated, true);
  const v1m = await b.conversations.listMessages({ sessionId: "conv-v1", limit: 10 });
  assert.deepEqual(v1m.items.map((m) => m.role), ["user", "assistant", "tool"]);
  assert.equal(v1m.items[0].content, "hello");
  assert.equal(v1m.items[0].time, "2024-12-01T10:00:00.5Z");
  assert.deepEqual(v1m.items[1].toolCalls, [{ id: "t1", type: "function", function: { name: "ls", arguments: "{}" } }]);
  assert.equal(v1m.items[1].model, "gpt-4o");
  assert.equal(v1m.items[2].content, "a\nb");
  assert.equal(v1m.items[2].toolCallId, "t1");
  assert.deepEqual(v1m.items[2].tool_execution, { ok: true });
  const first = await b.conversations.getSession("conv-v2-1");
  assert.equal(first.title, "Chat 1");
  assert.deepEqual(first.tags, ["v2"]);
  assert.equal(first.messageCount, first.lastSeq - 1, "the leading hidden entry stays hidden");

  // picoclaw: key from content, skip lines hidden, summary kept.
  const tg = await b.conversations.getSession("telegram:123");
  assert.equal(tg.messageCount, 3);
  assert.equal(tg.lastSeq, 5);
  const tgm = await b.conversations.listMessages({ sessionId: "telegram:123", limit: 10 });
  assert.deepEqual(tgm.items.map((m) => m.content), ["three", "four", "five"]);
  assert.equal(tgm.items[2].toolCallId, "c");
  const cli = await b.conversations.getSession("cli:default");
  assert.equal(cli.summary, "greeting");
  const clim = await b.conversations.listMessages({ sessionId: "cli:default", limit: 5 });
  assert.deepEqual(clim.items.map((m) => m.content), ["hi", "hello"]);
  assert.equal(clim.items[1].reasoning, "think");

  // Groups keep lastRolloverAt.
  const g = await b.groups.getGroup("telegram:42");
  assert.equal(g.currentSessionId, "conv-v2-1");
  assert.deepEqual(g.history, ["conv-v1"]);
  assert.equal(g.lastRolloverAt, "2025-01-02T00:00:00.123Z");

  // Ledger: every turn once (the first of a duplicate wins), snake_case mapped, leftovers in extra.
  const turns = [];
  for await (const turn of pages((cursor) => b.ledger.query({ cursor, limit: 100 }))) turns.push(turn);
  assert.equal(turns.length, burn.turns);
  const claude = turns.filter((x) => x.source === "claude").sort((x, y) => Number(x.messageId.slice(1)) - Number(y.messageId.slice(1)));
  assert.deepEqual(claude.map((x) => x.messageId), Array.from({ length: burn.turns - 1 }, (_, i) => `m${i}`));
  for (const [i, x] of claude.entries()) {
    assert.deepEqual(x.usage, { input: 10 + i, output: 5, cacheRead: 2 }, x.messageId);
    assert.equal(x.model, "claude-sonnet");
    assert.equal(x.project, "/home/me/p");
    assert.equal(x.costUsd, 0.001);
    assert.equal(x.toolCalls, 1);
  }
  const codex = (await b.ledger.query({ limit: 100, source: "codex" })).items[0];
  assert.equal(codex.sessionId, "x");
  assert.equal(codex.messageId, "y");
  assert.equal(codex.ts, "2025-01-02T00:00:00.000Z");
  assert.deepEqual(codex.usage, { input: 3, output: 4, reasoning: 1 });
  assert.equal(codex.costUsd, 0.5);
  assert.equal(codex.toolCalls, 1);
  assert.equal((codex.extra as Record<string, unknown>).branch, "main");
}

/** Imported files were renamed `<name>.migrated-<stamp>`; the .tmp, runs/, skipped and *.migrated files stayed. */
export function expectRenamed(fx: LegacyFixture): void {
  const sched = readdirSync(join(fx.dir, "infer", "schedules")).sort();
  assert.ok(sched.includes("half-written.yaml.tmp") && sched.includes("runs") && sched.includes("broken.yaml"));
  assert.equal(sched.filter((n) => /\.yaml\.migrated-\d{8}T\d{6}Z$/.test(n)).length, 3);
  const pico = readdirSync(join(fx.dir, "pico", "sessions"));
  assert.ok(pico.some((n) => n.startsWith("telegram_123.meta.json.migrated-")));
  assert.ok(pico.includes("old_done.json.migrated"));
  assert.ok(readdirSync(join(fx.dir, "burn")).some((n) => n.startsWith("ledger.jsonl.migrated-")));
}

/** A run after a complete import: nothing imported, nothing written. */
export function expectNothingImported(r: LegacyReport): void {
  for (const [kind, c] of Object.entries(r.counts)) assert.equal(c.imported, 0, `${kind}: nothing new`);
  assert.ok(r.files.every((f) => f.status !== "failed"), JSON.stringify(r.files.filter((f) => f.status === "failed")));
}
