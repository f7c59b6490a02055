import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { TargetNotEmptyError, copyBackend } from "../../src/migrate/copy.js";
import { runCopy } from "../../src/migrate/copy-run.js";
import { tempDir } from "../helpers/tmp.js";

const opts = { origin: "test", now: () => new Date() };

async function populate(b: Backend): Promise<void> {
  for (let s = 0; s < 5; s++) {
    const id = `s${s}`;
    await b.conversations.createSession({ id, title: `Session ${s}`, tags: ["t"], metadata: { n: s } });
    const messages = Array.from({ length: 20 + s * 300 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `m${i}\n\\x`, extra: { i } }));
    await b.conversations.append({ sessionId: id, messages });
    if (s === 1) await b.conversations.truncate(id, 5);
    if (s === 2) await b.conversations.pop(id);
  }
  await b.conversations.updateSession({ id: "s0", summary: "sum", tokenStats: { inputTokens: 1, outputTokens: 2, requests: 3 } });
  await b.groups.putGroup({ id: "g", currentSessionId: "s1", history: ["s0"], lastRolloverAt: "2025-01-01T00:00:00.000Z", metadata: {} });
  await b.plans.savePlan({ id: "p1", title: "Plan", body: "line\r\nno newline", status: "approved" });
  await b.jobs.saveJob({
    id: "j1", schedule: { cron: "@every 5m" }, timezone: "UTC", anchorAt: "2025-01-01T00:00:00.000Z", enabled: true, deleteAfterRun: false,
    action: { type: "event" }, payload: { prompt: "x" }, misfire: "once", noOverlap: true,
  });
  // A one-shot exec job that already ran: its slot fired, the run finished, nextRunAt is null.
  const once = await b.jobs.saveJob({
    id: "once", schedule: { at: "2025-01-02T03:04:05.000Z" }, timezone: "UTC", enabled: true, deleteAfterRun: false,
    action: { type: "exec", argv: ["/bin/true"] }, payload: {}, misfire: "once", noOverlap: true,
  });
  await b.jobs.fireSlot({ jobId: "once", scheduledFor: "2025-01-02T03:04:05.000Z", runId: "run-once", firedBy: "test", status: "pending" });
  await b.jobs.claimRun({ runId: "run-once", worker: "w" });
  await b.jobs.finishRun({ runId: "run-once", status: "succeeded", output: { exitCode: 0 } });
  await b.jobs.advanceJob({ jobId: "once", version: once.version, nextRunAt: null });
  await b.history.append(Array.from({ length: 50 }, (_, i) => ({ command: `cmd ${i}\nline2`, createdAt: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(), cwd: "/x" })));
  await b.changesets.start({ id: "c1", planId: "p1" });
  await b.changesets.record("c1", [{ id: "e1", path: "a.ts", operation: "create", diff: "+x" }, { id: "e2", path: "b.ts", operation: "modify" }]);
  await b.changesets.setStatus("c1", "applied");
  await b.changesets.start({ id: "c2", planId: "gone-plan" });
  await b.changesets.saveInvocation({ id: "i1", planId: "p1", toolName: "edit", arguments: { a: 1 }, status: "succeeded", startedAt: "2025-01-01T00:00:00.000Z", finishedAt: "2025-01-01T00:00:01.000Z" });
  await b.ledger.ingest(Array.from({ length: 2500 }, (_, i) => ({
    source: "claude", sessionId: `s${i % 3}`, messageId: `m${i}`, ts: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(), model: "m", usage: { input: i, output: 1 },
  })));
  const b64 = (x: string) => Buffer.from(x).toString("base64");
  for (const threadId of ["t1", "t2"]) {
    await b.checkpoints.putCheckpoint({
      scope: "", threadId, ns: "", id: "c1", checkpoint: b64("{}"), metadata: { step: 0 }, channelVersions: { a: "1" },
      newValues: [{ channel: "a", version: "1", type: "json", value: b64("1") }],
    });
    await b.checkpoints.putWrites({ scope: "", threadId, ns: "", checkpointId: "c1", taskId: "task", writes: [{ idx: 0, channel: "a", value: b64("w") }] });
  }
}

test("copy memory → jsonl: every domain verified, target must be empty unless merging", async (t) => {
  const source = new MemoryBackend(opts);
  await source.open();
  await populate(source);
  const target = new JsonlBackend({ ...opts, dataDir: join(tempDir(t), "data") });
  await target.open();
  t.after(() => target.close());
  const results = await copyBackend(source, target);
  for (const r of results) assert.ok(r.verified, `${r.domain}: ${r.sourceChecksum} ≠ ${r.targetChecksum}`);
  const counts = Object.fromEntries(results.map((r) => [r.domain, r.source]));
  assert.deepEqual(counts, { groups: 1, sessions: 5, plans: 1, jobs: 2, runs: 1, history: 50, changesets: 3, ledger: 2500, checkpoints: 2 });
  for (const threadId of ["t1", "t2"]) {
    assert.deepEqual(await target.checkpoints.getCheckpoint({ scope: "", threadId, ns: "" }), await source.checkpoints.getCheckpoint({ scope: "", threadId, ns: "" }), threadId);
  }
  assert.equal((await target.conversations.getSession("s1")).messageCount, 5);
  assert.equal((await target.changesets.get("c1")).status, "applied");
  assert.equal((await target.jobs.getJob("j1")).anchorAt, "2025-01-01T00:00:00.000Z");

  // Restore keeps everything (SPEC §2): times, versions, seqs, job bookkeeping and run history.
  for (const id of ["s0", "s1", "s2"]) {
    assert.deepEqual(await target.conversations.getSession(id), await source.conversations.getSession(id), id);
    const all = (b: Backend) => b.conversations.listMessages({ sessionId: id, limit: 1000, includeHidden: true });
    assert.deepEqual((await all(target)).items, (await all(source)).items, `${id}: messages with their seq and createdAt`);
  }
  assert.deepEqual(await target.jobs.getJob("once"), await source.jobs.getJob("once"));
  assert.deepEqual(await target.jobs.getRun("run-once"), await source.jobs.getRun("run-once"));
  assert.deepEqual(await target.plans.getPlan("p1"), await source.plans.getPlan("p1"));
  assert.deepEqual((await target.history.list({ limit: 1000 })).items, (await source.history.list({ limit: 1000 })).items);
  // The one-shot job that ran is not due on the target: its scheduler will not run the program again.
  assert.deepEqual((await target.jobs.dueJobs(new Date("2030-01-01T00:00:00Z"), 10)).map((j) => j.id), ["j1"]);

  await assert.rejects(copyBackend(source, target), TargetNotEmptyError);
  const merged = await copyBackend(source, target, { merge: true });
  assert.ok(merged.every((r) => r.verified && r.conflicts.length === 0));
  assert.equal((await target.history.list({ limit: 1000 })).items.length, 50, "history batches are keyed: merging again adds nothing");
});

test("copy resumes after an interruption without duplicating anything", async (t) => {
  const dir = tempDir(t);
  const source = new MemoryBackend(opts);
  await source.open();
  await populate(source);
  const target = new MemoryBackend(opts);
  await target.open();
  const checkpoint = join(dir, "copy.json");
  let calls = 0;
  await assert.rejects(
    runCopy(source, target, {
      checkpoint,
      onProgress: (p) => {
        if (p.domain === "sessions" && p.done === 3 && ++calls === 1) throw new Error("interrupted");
      },
    }),
    /interrupted/,
  );
  // Interrupt again, this time inside the ledger, on a resumed run.
  await assert.rejects(
    runCopy(source, target, {
      checkpoint, resume: true,
      onProgress: (p) => {
        if (p.domain === "ledger" && p.done > 0) throw new Error("interrupted again");
      },
    }),
    /again/,
  );
  const results = await runCopy(source, target, { checkpoint, resume: true });
  for (const r of results) assert.ok(r.verified, r.domain);
  const sessions = (await target.conversations.listSessions({ limit: 10 })).items;
  const src = (await source.conversations.listSessions({ limit: 10 })).items;
  assert.equal(sessions.reduce((n, s) => n + s.messageCount, 0), src.reduce((n, s) => n + s.messageCount, 0));
  assert.equal((await target.history.list({ limit: 1000 })).items.length, 50);
  await assert.rejects(runCopy(source, target, { checkpoint, resume: true }), /nothing to resume/);
});
