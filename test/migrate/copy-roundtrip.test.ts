/**
 * Issue 9: `agentstate migrate copy` jsonl → sqlite → postgres → redis → jsonl, every hop through
 * the real CLI (in process), with identical per-domain checksums at every hop and a final jsonl
 * whose every record digests like the first's. Postgres and redis are throwaway servers; the
 * postgres side is named with `?schema=`, the redis side with `?prefix=`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { runCli } from "../../src/client/cli/main.js";
import { resolveConfig } from "../../src/config/config.js";
import { COPY_DOMAINS, checksumOf, digestDomain, type CopyDomain, type Digest } from "../../src/migrate/checksum.js";
import { openBackend, parseBackendSpec } from "../../src/migrate/copy-run.js";
import type { DomainResult } from "../../src/migrate/copy.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { redis } from "../helpers/redis.js";
import { tempDir } from "../helpers/tmp.js";

const at = (minute: number) => new Date(Date.UTC(2025, 2, 1, 9, minute)).toISOString();

/** Every domain, with the shapes that are easy to lose in a copy. */
async function populate(b: Backend): Promise<void> {
  const conv = b.conversations;
  // Sessions: plain, truncated (hidden prefix), popped, compacted, long (several append chunks), unicode.
  await conv.createSession({ id: "plain", title: "Plain", model: "gpt-4o", tags: ["a", "b"], metadata: { project: "/home/me/p", nested: { x: [1, null, "y"] } } });
  await conv.append({ sessionId: "plain", messages: [
    { role: "system", content: "You are helpful." },
    { role: "user", content: "héllo ✓ 🚀\n\ttab \\ backslash \"quote\"", time: "2025-03-01T09:00:00.5Z" },
    { role: "assistant", content: "", toolCalls: [{ id: "t1", type: "function", function: { name: "ls", arguments: "{\"a\":1}" } }], reasoning: "think" },
    { role: "tool", content: "a\r\nb", toolCallId: "t1", extra: { ok: true, n: 1.5 } },
  ] });
  await conv.updateSession({ id: "plain", summary: "a summary", tokenStats: { inputTokens: 120, outputTokens: 30, requests: 2 }, costStats: { usd: 0.0123, byModel: { "gpt-4o": 0.0123 } } });

  await conv.createSession({ id: "truncated", title: "Truncated", groupId: "telegram:42" });
  await conv.append({ sessionId: "truncated", messages: Array.from({ length: 30 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `t${i}` })) });
  await conv.truncate("truncated", 7);

  await conv.createSession({ id: "popped" });
  await conv.append({ sessionId: "popped", messages: Array.from({ length: 6 }, (_, i) => ({ role: "user", content: `p${i}` })) });
  await conv.pop("popped");
  await conv.pop("popped");
  await conv.append({ sessionId: "popped", messages: [{ role: "assistant", content: "after the pops" }] });

  await conv.createSession({ id: "compacted", metadata: { imported: { from: "picoclaw", key: "abc" } } });
  await conv.append({ sessionId: "compacted", messages: Array.from({ length: 12 }, (_, i) => ({ role: "user", content: `c${i}` })) });
  await conv.truncate("compacted", 4);
  await conv.compact("compacted");

  await conv.createSession({ id: "long", title: "Long", tags: [] });
  for (let k = 0; k < 3; k++) {
    await conv.append({ sessionId: "long", messages: Array.from({ length: 400 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `chunk ${k} message ${i} ${"x".repeat(i % 50)}` })) });
  }
  await conv.createSession({ id: "telegram:123", title: "Ключ с двоеточием" });
  await conv.append({ sessionId: "telegram:123", messages: [{ role: "user", content: "日本語" }] });
  await conv.createSession({ id: "empty" });

  // Groups: put with history and a rollover time, a rollover made by the store, one without a current session.
  await b.groups.putGroup({ id: "telegram:42", currentSessionId: "truncated", history: ["plain"], lastRolloverAt: "2025-01-02T00:00:00.123Z", metadata: { channel: "telegram" } });
  await b.groups.putGroup({ id: "cli", currentSessionId: "plain", metadata: {} });
  await b.groups.rollover({ id: "cli", newSessionId: "long" });
  await b.groups.putGroup({ id: "idle", currentSessionId: null, history: [], metadata: { note: "none yet" } });

  // Jobs: cron with a zone, @every anchored, one-shot at, disabled, exec action.
  await b.jobs.saveJob({
    id: "daily-report", name: "Daily report", description: "Summarise yesterday", schedule: { cron: "30 8 * * 1-5" }, timezone: "Europe/Berlin",
    enabled: true, deleteAfterRun: false, action: { type: "event" }, payload: { prompt: "Write the report", recipientId: "12345" }, misfire: "once", noOverlap: true,
  });
  await b.jobs.saveJob({
    id: "ping", schedule: { cron: "@every 5m" }, timezone: "UTC", anchorAt: "2025-02-01T07:30:00.000Z", enabled: true, deleteAfterRun: false,
    action: { type: "event" }, payload: null, misfire: "skip", noOverlap: false,
  });
  await b.jobs.saveJob({
    id: "once", schedule: { at: "2030-01-01T00:00:00.000Z" }, timezone: "America/New_York", enabled: true, deleteAfterRun: true,
    action: { type: "exec", argv: ["/bin/echo", "hi there"], cwd: "/tmp", env: { A: "1" }, timeoutMs: 5000 }, payload: [1, 2, 3], misfire: "all", noOverlap: true,
  });
  await b.jobs.saveJob({
    id: "paused", schedule: { cron: "@daily" }, timezone: "UTC", enabled: false, deleteAfterRun: false, action: { type: "event" }, payload: { n: 0 }, misfire: "once", noOverlap: true,
  });
  // Runs: a fired slot that finished with output, a skipped slot, a manual trigger still pending.
  await b.jobs.fireSlot({ jobId: "ping", scheduledFor: "2025-02-01T07:35:00.000Z", runId: "ping-1", firedBy: "host-a", status: "pending" });
  await b.jobs.claimRun({ runId: "ping-1", worker: "w1" });
  await b.jobs.finishRun({ runId: "ping-1", status: "failed", error: "exit 3", output: { exitCode: 3, stdout: "a\nb", stderr: "" } });
  await b.jobs.fireSlot({ jobId: "ping", scheduledFor: "2025-02-01T07:40:00.000Z", runId: "ping-2", firedBy: "host-b", status: "skipped" });
  await b.jobs.triggerJob("daily-report", "manual-1");

  // Plans: several statuses, one linked to a session, bodies byte for byte.
  await b.plans.savePlan({ id: "2025-03-04-101500-fix-login", title: "Fix the login bug", slug: "fix-login", body: "1. Reproduce\n2. Fix\r\n  trailing  \n", status: "approved", sessionId: "plain" });
  await b.plans.savePlan({ id: "p-draft", title: "Draft", body: "", status: "draft" });
  await b.plans.savePlan({ id: "p-done", title: "Done ✓", body: "# heading\n\n```ts\nconst x = 1;\n```", status: "rejected" });

  // History: multi-line and odd commands, all the optional fields.
  await b.history.append(Array.from({ length: 120 }, (_, i) => ({
    command: i % 10 === 0 ? `echo 'a'\necho 'b' ${i}` : `cmd ${i} \\ "q"`, createdAt: at(i), cwd: i % 3 ? "/home/me" : undefined,
    exitCode: i % 7 === 0 ? 1 : 0, sessionId: i % 5 === 0 ? "plain" : undefined, host: "box",
  })));

  // Changesets: applied with every operation, discarded, open (resumable), one whose plan is gone.
  const cs = b.changesets;
  await cs.start({ id: "cs-applied", planId: "2025-03-04-101500-fix-login" });
  const rec = await cs.record("cs-applied", [
    { id: "e1", path: "src/a.ts", operation: "create", afterHash: "sha256:aa", diff: "+x\n" },
    { id: "e2", path: "src/b.ts", operation: "modify", beforeHash: "sha256:b0", afterHash: "sha256:b1", diff: "-a\n+b\n" },
    { id: "e3", path: "src/c.ts", operation: "delete", beforeHash: "sha256:cc" },
    { id: "e4", path: "src/e.ts", fromPath: "src/d.ts", operation: "rename" },
  ]);
  await cs.setStatus("cs-applied", "applied");
  await cs.start({ id: "cs-discarded", planId: "p-done" });
  await cs.record("cs-discarded", [{ id: "e5", path: "x", operation: "create" }]);
  await cs.setStatus("cs-discarded", "discarded");
  await cs.start({ id: "cs-open", planId: "p-done" });
  await cs.record("cs-open", [{ id: "e6", path: "y", operation: "modify", diff: "~" }]);
  await cs.record("cs-open", [{ id: "e7", path: "z", operation: "create" }]);
  await cs.start({ id: "cs-orphan", planId: "gone-plan" });
  await cs.record("cs-orphan", [{ id: "e8", path: "w", operation: "create" }]);
  await cs.saveInvocation({
    id: "inv-1", planId: "2025-03-04-101500-fix-login", changesetId: "cs-applied", sessionId: "plain", toolName: "edit", arguments: { path: "src/a.ts" },
    result: { ok: true }, status: "succeeded", startedAt: "2025-03-01T09:00:00.000Z", finishedAt: "2025-03-01T09:00:01.250Z", durationMs: 1250,
    changeIds: rec.entryIds.slice(0, 2), resourceRefs: ["file:///src/a.ts"], providerMetadata: { provider: "openai" },
  });
  await cs.saveInvocation({
    id: "inv-2", planId: "p-done", toolName: "bash", arguments: ["ls", "-la"], status: "failed", error: "exit 2",
    startedAt: "2025-03-01T09:01:00.000Z", finishedAt: "2025-03-01T09:01:00.500Z", changeIds: [], resourceRefs: [],
  });
  await cs.saveInvocation({
    id: "inv-3", planId: "gone-plan", toolName: "read", arguments: {}, status: "running", startedAt: "2025-03-01T09:02:00.000Z", changeIds: [], resourceRefs: [],
  });

  // Ledger: two sources, every optional field, more turns than one copy page.
  await b.ledger.ingest(Array.from({ length: 1500 }, (_, i) => ({
    source: i % 4 ? "claude" : "codex", sessionId: `s${i % 9}`, messageId: `m${i}`, turnIndex: i % 9 === 0 ? undefined : i,
    ts: new Date(Date.UTC(2025, 0, 1, 0, 0, i, i % 1000)).toISOString(), model: i % 2 ? "claude-sonnet" : "gpt-5",
    project: i % 3 ? "/home/me/p" : undefined, host: "box", usage: { input: i, output: 7, ...(i % 2 ? { cacheRead: 3 } : { reasoning: 1, cacheCreate: 2 }) },
    costUsd: i % 5 ? 0.001 * i : undefined, toolCalls: i % 4, extra: i % 11 === 0 ? { branch: "main", tags: ["x"] } : undefined,
  })));

  // Graph checkpoints: two scopes, nested namespaces, a parent chain, values stored once and one
  // empty, special writes (idx < 0) with a task path, writes of a checkpoint never stored, and a
  // thread long enough that its values are shared by many checkpoints.
  const cp = b.checkpoints;
  const b64 = (x: string) => Buffer.from(x).toString("base64");
  for (const [scope, threadId] of [["", "thread-1"], ["app", "thread-1"], ["app", "conversation/../ü 🦊"]]) {
    for (let i = 0; i < 12; i++) {
      const id = `1ef${String(i).padStart(4, "0")}-0000-6000-8000-000000000000`;
      await cp.putCheckpoint({
        scope, threadId, ns: i % 4 === 3 ? "tools:call|inner" : "", id, parentId: i === 0 ? undefined : `1ef${String(i - 1).padStart(4, "0")}-0000-6000-8000-000000000000`,
        type: i % 2 ? "json" : undefined, checkpoint: b64(JSON.stringify({ v: 1, step: i })), metadata: { source: i ? "loop" : "input", step: i - 1, writes: { n: [i, null] } },
        channelVersions: { messages: String(i), counter: String(Math.floor(i / 3)), empty: "1" },
        newValues: [
          { channel: "messages", version: String(i), type: "json", value: b64(`[${i}]`) },
          ...(i % 3 === 0 ? [{ channel: "counter", version: String(i / 3), type: "json", value: b64(String(i)) }] : []),
          ...(i === 0 ? [{ channel: "empty", version: "1", type: "empty" }] : []),
        ],
      });
      await cp.putWrites({
        scope, threadId, ns: "", checkpointId: id, taskId: `task-${i}`, taskPath: i % 2 ? `~__pregel_pull, node${i}` : undefined,
        writes: [{ idx: 0, channel: "messages", type: "json", value: b64(`"w${i}"`) }, ...(i === 11 ? [{ idx: -3, channel: "__interrupt__", type: "json", value: b64("{}") }] : [])],
      });
    }
    await cp.putWrites({ scope, threadId, ns: "", checkpointId: "never-stored", taskId: "late", writes: [{ idx: 0, channel: "x", value: b64("late") }] });
  }
}

async function digestAll(b: Backend): Promise<Record<CopyDomain, Digest>> {
  const out = {} as Record<CopyDomain, Digest>;
  for (const d of COPY_DOMAINS) out[d] = await digestDomain(b, d);
  return out;
}

const checksums = (digests: Record<CopyDomain, Digest>) =>
  Object.fromEntries(COPY_DOMAINS.map((d) => [d, checksumOf(digests[d])])) as Record<CopyDomain, string>;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const pgReason = await postgresUnavailable();
let redisReason: string | undefined;
try {
  await redis();
} catch (err) {
  if (process.env.CI === "true") throw err;
  redisReason = `no redis-server: ${(err as Error).message}`;
}

test("migrate copy jsonl → sqlite → postgres → redis → jsonl keeps every record (identical checksums at every hop)", { timeout: 180_000 }, async (t) => {
  if (pgReason !== undefined || redisReason !== undefined) return t.skip(pgReason ?? redisReason);
  const dir = tempDir(t);
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const pgUrl = new URL((await postgres()).url);
  pgUrl.searchParams.set("schema", `roundtrip_${tag}`);
  const redisUrl = new URL((await redis()).url);
  redisUrl.searchParams.set("prefix", `roundtrip-${tag}:`);
  const chain = [`jsonl:${join(dir, "first")}`, `sqlite:${join(dir, "sqlite")}`, pgUrl.toString(), redisUrl.toString(), `jsonl:${join(dir, "last")}`];
  const config = resolveConfig({ env: {} }).config;
  const open = (spec: string) => openBackend(parseBackendSpec(spec, config), config);

  // The source: written once, then closed (the CLI takes the jsonl lock itself).
  const first = await open(chain[0]);
  let expected: Record<CopyDomain, Digest>;
  try {
    await populate(first);
    expected = await digestAll(first);
  } finally {
    await first.close();
  }
  const sums = checksums(expected);
  assert.deepEqual(
    Object.fromEntries(COPY_DOMAINS.map((d) => [d, expected[d].size])),
    { groups: 3, sessions: 7, plans: 3, jobs: 4, runs: 3, history: 120, changesets: 7, ledger: 1500, checkpoints: 3 },
    "the fixture holds what it means to",
  );

  for (let hop = 1; hop < chain.length; hop++) {
    const from = chain[hop - 1];
    const to = chain[hop];
    const r = await cli(["migrate", "copy", "--from", from, "--to", to, "--json", "--checkpoint", join(dir, `copy-${hop}.json`)]);
    assert.equal(r.code, 0, `hop ${hop} (${parseBackendSpec(to, config).name}): ${r.err}${r.out}`);
    const report = JSON.parse(r.out) as { verified: boolean; to: string; domains: DomainResult[] };
    assert.equal(report.verified, true);
    assert.match(report.to, new RegExp(`^${parseBackendSpec(to, config).name}`));
    for (const d of report.domains) {
      assert.equal(d.source, expected[d.domain].size, `hop ${hop} ${d.domain}: source count`);
      assert.equal(d.copied, expected[d.domain].size, `hop ${hop} ${d.domain}: copied count`);
      assert.deepEqual(d.conflicts, []);
      assert.equal(d.sourceChecksum, sums[d.domain], `hop ${hop} ${d.domain}: the source checksum drifted from the first jsonl's`);
      assert.equal(d.targetChecksum, sums[d.domain], `hop ${hop} ${d.domain}: target checksum`);
    }
    assert.deepEqual(report.domains.map((d) => d.domain), [...COPY_DOMAINS]);

    // Read the target back independently of the copy's own verification: every record, by key.
    const target = await open(to);
    try {
      const got = await digestAll(target);
      for (const d of COPY_DOMAINS) assert.deepEqual(got[d], expected[d], `hop ${hop} ${d}: records differ`);
    } finally {
      await target.close();
    }
  }

  // The last jsonl against the first, record by record, and a few fields read directly.
  const a = await open(chain[0]);
  const z = await open(chain[chain.length - 1]);
  try {
    for (const d of COPY_DOMAINS) assert.deepEqual(await digestDomain(z, d), await digestDomain(a, d), d);
    for (const id of ["plain", "truncated", "popped", "compacted", "long", "telegram:123", "empty"]) {
      assert.equal((await z.conversations.getSession(id)).messageCount, (await a.conversations.getSession(id)).messageCount, id);
      const visible = async (b: Backend) => (await b.conversations.listMessages({ sessionId: id, limit: 1000 })).items.map(({ seq: _s, createdAt: _c, ...m }) => m);
      assert.deepEqual(await visible(z), await visible(a), `${id}: visible messages`);
    }
    assert.equal((await z.conversations.listMessages({ sessionId: "truncated", limit: 100, includeHidden: true })).items.length, 30, "hidden messages travel too");
    assert.equal((await z.plans.getPlan("2025-03-04-101500-fix-login")).body, "1. Reproduce\n2. Fix\r\n  trailing  \n");
    assert.equal((await z.changesets.get("cs-open")).status, "open");
    assert.deepEqual((await z.changesets.get("cs-orphan")).entries.map((e) => e.id), ["e8"], "a changeset whose plan is gone is found through the change log");
    assert.equal((await z.jobs.getJob("ping")).anchorAt, "2025-02-01T07:30:00.000Z");
    assert.equal((await z.groups.getGroup("cli")).currentSessionId, "long");
    for (const [scope, threadId] of [["", "thread-1"], ["app", "conversation/../ü 🦊"]]) {
      const latest = await z.checkpoints.getCheckpoint({ scope, threadId, ns: "" });
      assert.deepEqual(latest, await a.checkpoints.getCheckpoint({ scope, threadId, ns: "" }), `${scope}/${threadId}: the latest checkpoint, its values and writes`);
      assert.equal(latest?.pendingWrites.length, 1);
      assert.equal((await z.checkpoints.exportThread(scope, threadId))?.writes.length, 14, "writes of checkpoints in another namespace or never stored travel too");
      const all = async (b: Backend) => (await b.checkpoints.listCheckpoints({ scope, threadId, limit: 100 })).items;
      assert.deepEqual(await all(z), await all(a), `${scope}/${threadId}: every checkpoint, createdAt included`);
    }
  } finally {
    await a.close();
    await z.close();
  }
});

test("migrate copy names each side's postgres schema and redis prefix on its URL", () => {
  const config = { ...resolveConfig({ env: {} }).config, pgSchema: "configured", redisPrefix: "conf:" };
  assert.deepEqual(parseBackendSpec("postgres://u:pw@h:5432/db?schema=old_one&sslmode=disable", config), {
    name: "postgres", dataDir: config.dataDir, url: "postgres://u:pw@h:5432/db?sslmode=disable", pgSchema: "old_one",
  });
  assert.equal(parseBackendSpec("postgresql://h/db", config).pgSchema, "configured");
  assert.equal(parseBackendSpec("postgresql://h/db", config).url, "postgresql://h/db", "a URL without the parameter is passed on untouched");
  assert.deepEqual(parseBackendSpec("redis://h:6379/2?prefix=app%3Av2%3A", config), { name: "redis", dataDir: config.dataDir, url: "redis://h:6379/2", redisPrefix: "app:v2:" });
  assert.equal(parseBackendSpec("rediss://h:6380", config).redisPrefix, "conf:");
  assert.throws(() => parseBackendSpec("postgres://h/db?schema=drop;table", config), /plain identifier/);
  assert.throws(() => parseBackendSpec("redis://h?prefix=", config), /must not be empty/);
  assert.throws(() => parseBackendSpec("postgres:/some/dir", config), /named by its URL/);
});

test("migrate copy refuses the same schema on both sides and tells two schemas (or prefixes) apart", async () => {
  const r = await cli(["migrate", "copy", "--from", "postgres://h/db?schema=a", "--to", "postgres://h/db?schema=a", "--json"]);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /same backend/);
  const config = resolveConfig({ env: {} }).config;
  const { describeSpec } = await import("../../src/migrate/copy-run.js");
  assert.notEqual(describeSpec(parseBackendSpec("postgres://h/db?schema=a", config)), describeSpec(parseBackendSpec("postgres://h/db?schema=b", config)));
  assert.notEqual(describeSpec(parseBackendSpec("redis://h?prefix=a:", config)), describeSpec(parseBackendSpec("redis://h?prefix=b:", config)));
});
