/** Conformance cases for runs (SPEC §3.3): slots, claims, outcomes, retention, change records. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import type { Change } from "../../src/domain/changes.js";
import type { Suite } from "./harness.js";
import { jobInput } from "./jobs.js";

const SLOT = "2026-03-02T09:00:00.000Z";
const fire = (b: Backend, jobId: string, runId: string, scheduledFor = SLOT, status: "pending" | "skipped" | "missed" = "pending") =>
  b.jobs.fireSlot({ jobId, scheduledFor, runId, firedBy: "daemon-a", status });

async function changesAfter(b: Backend, cursor: string | undefined): Promise<Change[]> {
  return (await b.changes.since(cursor, 1000)).changes;
}

export function runsConformance(s: Suite): void {
  test("runs: fireSlot creates the slot's run once; a second call returns null", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.jobs.saveJob(jobInput("j"));
    f.clock.set("2026-03-02T09:00:00.300Z");
    const run = await fire(b, "j", "r1");
    assert.ok(run);
    assert.deepEqual(run, {
      id: "r1", jobId: "j", scheduledFor: SLOT, firedAt: "2026-03-02T09:00:00.300Z", firedBy: "daemon-a", status: "pending", attempt: 1,
    });
    assert.equal(await fire(b, "j", "r2"), null);
    assert.equal(await b.jobs.fireSlot({ jobId: "j", scheduledFor: "2026-03-02T10:00:00+01:00", runId: "r3", firedBy: "daemon-b", status: "pending" }), null, "the same instant written differently is the same slot");
    await assert.rejects(b.jobs.getRun("r2"), { code: "NOT_FOUND" });
    await assert.rejects(fire(b, "nope", "r4"), { code: "NOT_FOUND" });
    const job = await b.jobs.getJob("j");
    assert.equal(job.lastRunAt, "2026-03-02T09:00:00.300Z");
    assert.equal(job.lastStatus, "pending");
    assert.equal(job.version, 1);
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.equal(await fire(b2, "j", "r5"), null, "the slot key survives a reopen");
      assert.deepEqual(await b2.jobs.getRun("r1"), run);
    }
  });

  test("runs: 8 concurrent fireSlot calls for one slot make exactly one run", async (t) => {
    const { backend: b } = await s.open(t);
    await b.jobs.saveJob(jobInput("j"));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => fire(b, "j", `c${i}`)));
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.equal((await b.jobs.listRuns({ jobId: "j", limit: 100 })).items.length, 1);
  });

  test("runs: claim gives a pending run to exactly one of 8 concurrent claimers, then null", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.jobs.saveJob(jobInput("j"));
    await fire(b, "j", "r1");
    f.clock.advance(1000);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => b.jobs.claimRun({ runId: "r1", worker: `w${i}` })));
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1);
    const won = winners[0];
    assert.equal(won?.status, "claimed");
    assert.equal(won?.claimedAt, "2026-03-01T12:00:01.000Z");
    assert.equal(won?.attempt, 1);
    assert.deepEqual(await b.jobs.getRun("r1"), won);
    assert.equal(await b.jobs.claimRun({ worker: "late" }), null);
    assert.equal(await b.jobs.claimRun({ runId: "r1", worker: "late" }), null);
    assert.equal(await b.jobs.claimRun({ runId: "never-existed", worker: "late" }), null);
    // the same with "the oldest of all": 8 claimers, 3 runs
    await fire(b, "j", "r2", "2026-03-03T09:00:00.000Z", "pending");
    await b.jobs.saveJob(jobInput("k", { noOverlap: false }));
    await fire(b, "k", "k1", "2026-03-03T09:00:00.000Z");
    await fire(b, "k", "k2", "2026-03-04T09:00:00.000Z");
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => b.jobs.claimRun({ worker: `m${i}` })));
    const got = many.filter((r) => r !== null).map((r) => r?.id).sort();
    assert.equal(new Set(got).size, got.length, "no run handed out twice");
    assert.deepEqual(got, ["k1", "k2"], "r2 was skipped: j has noOverlap and r1 is unfinished");
  });

  test("runs: claim picks runId, else the oldest of the job, else the oldest event run of all", async (t) => {
    const { backend: b } = await s.open(t);
    await b.jobs.saveJob(jobInput("a", { noOverlap: false }));
    await b.jobs.saveJob(jobInput("b", { noOverlap: false }));
    await b.jobs.saveJob(jobInput("x", { noOverlap: false, action: { type: "exec", argv: ["true"] } }));
    await fire(b, "x", "x1", "2026-03-01T00:00:00.000Z");
    await fire(b, "a", "a2", "2026-03-03T00:00:00.000Z");
    await fire(b, "a", "a1", "2026-03-02T00:00:00.000Z");
    await fire(b, "b", "b1", "2026-03-02T12:00:00.000Z");
    assert.equal((await b.jobs.claimRun({ runId: "a2", worker: "w" }))?.id, "a2");
    assert.equal(await b.jobs.claimRun({ runId: "b1", jobId: "a", worker: "w" }), null, "runId of another job");
    assert.equal((await b.jobs.claimRun({ jobId: "b", worker: "w" }))?.id, "b1");
    assert.equal((await b.jobs.claimRun({ worker: "w" }))?.id, "a1", "oldest event run; exec runs are left to the daemon");
    assert.equal(await b.jobs.claimRun({ worker: "w" }), null);
    assert.equal(await b.jobs.claimRun({ jobId: "x", worker: "w" }), null);
    assert.equal((await b.jobs.claimRun({ runId: "x1", worker: "daemon" }))?.claimedBy, "daemon");
  });

  test("runs: finish records the outcome once; errors for wrong state, worker and id", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.jobs.saveJob(jobInput("j"));
    await fire(b, "j", "r1");
    await assert.rejects(b.jobs.finishRun({ runId: "r1", status: "succeeded" }), { code: "INVALID_STATE" });
    await b.jobs.claimRun({ runId: "r1", worker: "w1" });
    await assert.rejects(b.jobs.finishRun({ runId: "r1", status: "succeeded", worker: "w2" }), { code: "CONFLICT" });
    f.clock.advance(5000);
    const output = { text: "done\n", list: [1, null, { z: "ü" }] };
    const done = await b.jobs.finishRun({ runId: "r1", status: "failed", error: "exit 3", output, worker: "w1" });
    assert.equal(done.status, "failed");
    assert.equal(done.finishedAt, "2026-03-01T12:00:05.000Z");
    assert.equal(done.error, "exit 3");
    assert.deepEqual(done.output, output);
    assert.deepEqual(await b.jobs.getRun("r1"), done);
    await assert.rejects(b.jobs.finishRun({ runId: "r1", status: "succeeded" }), { code: "INVALID_STATE" });
    await assert.rejects(b.jobs.finishRun({ runId: "nope", status: "succeeded" }), { code: "NOT_FOUND" });
    const job = await b.jobs.getJob("j");
    assert.equal(job.lastStatus, "failed");
    assert.equal(job.lastError, "exit 3");
    assert.equal(job.version, 1);
    if (s.caps.durable) assert.deepEqual(await (await f.reopen()).jobs.getRun("r1"), done);
  });

  test("runs: a released claim goes back to pending with attempt + 1; past the retry limit it is abandoned", async (t) => {
    const { backend: b } = await s.open(t);
    await b.jobs.saveJob(jobInput("j"));
    await fire(b, "j", "r1");
    await assert.rejects(b.jobs.releaseClaim({ runId: "r1", maxAttempts: 2 }), { code: "INVALID_STATE" });
    await b.jobs.claimRun({ runId: "r1", worker: "w1" });
    await assert.rejects(b.jobs.releaseClaim({ runId: "r1", worker: "other", maxAttempts: 2 }), { code: "CONFLICT" });
    const back = await b.jobs.releaseClaim({ runId: "r1", worker: "w1", maxAttempts: 2 });
    assert.equal(back.status, "pending");
    assert.equal(back.attempt, 2);
    assert.equal(back.claimedBy, undefined);
    assert.equal(back.claimedAt, undefined);
    const second = await b.jobs.claimRun({ worker: "w2" });
    assert.equal(second?.id, "r1");
    assert.equal(second?.attempt, 2);
    const gone = await b.jobs.releaseClaim({ runId: "r1", maxAttempts: 2 });
    assert.equal(gone.status, "abandoned");
    assert.ok(gone.finishedAt);
    assert.equal(await b.jobs.claimRun({ worker: "w3" }), null);
    await assert.rejects(b.jobs.releaseClaim({ runId: "nope", maxAttempts: 2 }), { code: "NOT_FOUND" });
    assert.equal((await b.jobs.getJob("j")).lastStatus, "abandoned");
  });

  test("runs: noOverlap records a slot or trigger as skipped while a run is unfinished", async (t) => {
    const { backend: b } = await s.open(t);
    await b.jobs.saveJob(jobInput("j"));
    await b.jobs.saveJob(jobInput("free", { noOverlap: false }));
    assert.equal((await fire(b, "j", "r1"))?.status, "pending");
    const skipped = await fire(b, "j", "r2", "2026-03-03T09:00:00.000Z");
    assert.equal(skipped?.status, "skipped");
    assert.ok(skipped?.finishedAt);
    assert.equal((await b.jobs.triggerJob("j", "t1")).status, "skipped");
    assert.equal((await fire(b, "j", "r3", "2026-03-04T09:00:00.000Z", "missed"))?.status, "missed");
    await b.jobs.claimRun({ runId: "r1", worker: "w" });
    await b.jobs.finishRun({ runId: "r1", status: "succeeded" });
    const manual = await b.jobs.triggerJob("j", "t2");
    assert.equal(manual.status, "pending");
    assert.equal(manual.scheduledFor, manual.firedAt);
    assert.equal((await fire(b, "free", "f1"))?.status, "pending");
    assert.equal((await fire(b, "free", "f2", "2026-03-03T09:00:00.000Z"))?.status, "pending");
    await b.jobs.saveJob(jobInput("off", { enabled: false }));
    assert.equal((await b.jobs.triggerJob("off", "o1")).status, "pending", "a disabled job can be triggered");
  });

  test("runs: list newest scheduledFor first, filters, pages to the end", async (t) => {
    const { backend: b } = await s.open(t);
    await b.jobs.saveJob(jobInput("a", { noOverlap: false }));
    await b.jobs.saveJob(jobInput("b", { noOverlap: false }));
    for (let i = 0; i < 12; i++) {
      const at = new Date(Date.UTC(2026, 2, 2, i)).toISOString();
      await fire(b, i % 2 ? "a" : "b", `r${String(i).padStart(2, "0")}`, at, i % 3 === 0 ? "missed" : "pending");
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await b.jobs.listRuns({ limit: 5, cursor });
      seen.push(...p.items.map((r) => r.id));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, ["r11", "r10", "r09", "r08", "r07", "r06", "r05", "r04", "r03", "r02", "r01", "r00"]);
    assert.deepEqual((await b.jobs.listRuns({ jobId: "a", limit: 100 })).items.map((r) => r.id), ["r11", "r09", "r07", "r05", "r03", "r01"]);
    assert.deepEqual((await b.jobs.listRuns({ status: "missed", limit: 100 })).items.map((r) => r.id), ["r09", "r06", "r03", "r00"]);
    assert.deepEqual((await b.jobs.listRuns({ jobId: "a", status: "missed", limit: 100 })).items.map((r) => r.id), ["r09", "r03"]);
    assert.deepEqual(await b.jobs.listRuns({ jobId: "none", limit: 100 }), { items: [], nextCursor: null });
  });

  test("runs: finished history is pruned to runsPerJob; unfinished runs are kept", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.jobs.saveJob(jobInput("j", { noOverlap: false }));
    await b.jobs.saveJob(jobInput("other", { noOverlap: false }));
    await fire(b, "j", "oldest-pending", "2025-01-01T00:00:00.000Z");
    await fire(b, "other", "o1");
    for (let i = 0; i < 205; i++) {
      await fire(b, "j", `m${String(i).padStart(3, "0")}`, new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), "missed");
    }
    const runs = await b.jobs.listRuns({ jobId: "j", limit: 1000 });
    assert.equal(runs.items.length, 201, "the newest 200 plus the unfinished one");
    assert.ok(runs.items.some((r) => r.id === "oldest-pending"));
    for (const id of ["m000", "m001", "m002", "m003", "m004"]) await assert.rejects(b.jobs.getRun(id), { code: "NOT_FOUND" });
    assert.equal((await b.jobs.getRun("m005")).status, "missed");
    assert.equal((await b.jobs.getRun("o1")).status, "pending", "other jobs' runs are untouched");
    if (s.caps.durable) assert.equal((await (await f.reopen()).jobs.listRuns({ jobId: "j", limit: 1000 })).items.length, 201);
  });

  test("runs: a deleteAfterRun job is deleted with its runs when its run finishes", async (t) => {
    const { backend: b } = await s.open(t);
    await b.jobs.saveJob(jobInput("once", { schedule: { at: SLOT }, deleteAfterRun: true }));
    await fire(b, "once", "r1");
    assert.equal((await b.jobs.triggerJob("once", "t1")).status, "skipped");
    assert.equal((await b.jobs.getJob("once")).id, "once", "a skipped overlap does not delete it while r1 is unfinished");
    await b.jobs.claimRun({ runId: "r1", worker: "w" });
    const done = await b.jobs.finishRun({ runId: "r1", status: "succeeded" });
    assert.equal(done.status, "succeeded");
    await assert.rejects(b.jobs.getJob("once"), { code: "NOT_FOUND" });
    await assert.rejects(b.jobs.getRun("r1"), { code: "NOT_FOUND" });
    await b.jobs.saveJob(jobInput("missed-once", { schedule: { at: SLOT }, deleteAfterRun: true }));
    await fire(b, "missed-once", "m1", SLOT, "missed");
    await assert.rejects(b.jobs.getJob("missed-once"), { code: "NOT_FOUND" }, "a missed one-shot goes too");
  });

  test("runs: run.* and job.* change records, small and in order", async (t) => {
    const { backend: b } = await s.open(t);
    await b.jobs.saveJob(jobInput("j", { payload: { secret: "payload body" } }));
    await b.jobs.saveJob(jobInput("j", { payload: { secret: "payload body" } }));
    const start = await b.changes.head();
    await fire(b, "j", "r1");
    await b.jobs.advanceJob({ jobId: "j", version: 2, nextRunAt: "2026-03-03T09:00:00.000Z" });
    await b.jobs.claimRun({ runId: "r1", worker: "w" });
    await b.jobs.releaseClaim({ runId: "r1", maxAttempts: 3 });
    await b.jobs.claimRun({ runId: "r1", worker: "w" });
    await b.jobs.finishRun({ runId: "r1", status: "succeeded", output: { big: "output body" } });
    await b.jobs.deleteJob("j");
    const changes = await changesAfter(b, start);
    assert.deepEqual(changes.map((c) => `${c.domain}:${c.type}:${c.id}`), [
      "runs:run.fired:r1", "jobs:job.saved:j", "runs:run.claimed:r1", "runs:run.fired:r1",
      "runs:run.claimed:r1", "runs:run.finished:r1", "jobs:job.deleted:j",
    ]);
    assert.deepEqual(changes[0].data, { jobId: "j", status: "pending", scheduledFor: SLOT, attempt: 1 });
    assert.deepEqual(changes[3].data, { jobId: "j", status: "pending", scheduledFor: SLOT, attempt: 2 });
    assert.deepEqual(changes[5].data, { jobId: "j", status: "succeeded", scheduledFor: SLOT, attempt: 2 });
    assert.equal(changes[1].version, 2);
    assert.equal(changes[6].version, 2);
    const text = JSON.stringify(changes);
    assert.ok(!text.includes("payload body") && !text.includes("output body"), "change data never carries payloads or output");
    const saves = (await changesAfter(b, undefined)).filter((c) => c.type === "job.saved" && c.id === "j").map((c) => c.version);
    assert.deepEqual(saves, [1, 2, 2]);
  });

  test("runs: a claim records its claimant and a lease; renewed it holds, expired the run is pending for any claimer", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.jobs.saveJob(jobInput("j"));
    await fire(b, "j", "r1");
    f.clock.set("2026-03-02T09:00:01.000Z");
    const claimed = await b.jobs.claimRun({ runId: "r1", worker: "w1", connection: "7", leaseMs: 10_000 });
    assert.equal(claimed?.claimant?.connection, "7");
    assert.equal(typeof claimed?.claimant?.origin, "string");
    assert.equal(claimed?.leaseExpiresAt, "2026-03-02T09:00:11.000Z");
    assert.deepEqual(await b.jobs.getRun("r1"), claimed);
    f.clock.advance(6000);
    assert.equal(await b.jobs.renewLeases({ runIds: ["r1", "never-existed"], leaseMs: 10_000 }), 1);
    assert.equal((await b.jobs.getRun("r1")).leaseExpiresAt, "2026-03-02T09:00:17.000Z");
    f.clock.advance(9000);
    assert.deepEqual(await b.jobs.expireLeases({ maxAttempts: 3, limit: 10 }), [], "renewed: not expired at 09:00:16");
    assert.equal((await b.jobs.getRun("r1")).status, "claimed");
    const cursor = await b.changes.head();
    f.clock.advance(2000);
    const [back, ...more] = await b.jobs.expireLeases({ maxAttempts: 3, limit: 10 });
    assert.deepEqual(more, []);
    assert.deepEqual([back.id, back.status, back.attempt, back.claimedBy, back.claimant, back.leaseExpiresAt], ["r1", "pending", 2, undefined, undefined, undefined]);
    assert.deepEqual(await b.jobs.getRun("r1"), back);
    assert.deepEqual((await changesAfter(b, cursor)).map((c) => `${c.type} ${c.id} ${(c.data as { status?: string }).status}`), ["run.fired r1 pending"]);
    const again = await b.jobs.claimRun({ worker: "w2" });
    assert.deepEqual([again?.id, again?.attempt, again?.claimedBy], ["r1", 2, "w2"]);
    assert.equal(again?.leaseExpiresAt, "2026-03-02T09:00:48.000Z", "the default lease is 30 s");
    const done = await b.jobs.finishRun({ runId: "r1", status: "succeeded", worker: "w2" });
    assert.deepEqual([done.claimant, done.leaseExpiresAt], [undefined, undefined]);
    assert.equal(await b.jobs.renewLeases({ runIds: ["r1"], leaseMs: 10_000 }), 0, "a finished run has no lease to renew");
    // past the retry limit an expired claim is abandoned, like a released one
    await fire(b, "j", "r2", "2026-03-03T09:00:00.000Z");
    await b.jobs.claimRun({ runId: "r2", worker: "w3", leaseMs: 1000 });
    f.clock.advance(1001);
    const [gone] = await b.jobs.expireLeases({ maxAttempts: 1, limit: 10 });
    assert.deepEqual([gone?.id, gone?.status], ["r2", "abandoned"]);
    assert.equal((await b.jobs.getJob("j")).lastStatus, "abandoned");
  });

  test("runs: a lease is renewed only by the claimant's daemon, and expired by any daemon", async (t) => {
    if (!s.requires(t, "shared")) return;
    const f = await s.open(t);
    const a = f.backend;
    const other = await f.another("daemon-b");
    await a.jobs.saveJob(jobInput("j"));
    await fire(a, "j", "r1");
    const held = await other.jobs.claimRun({ runId: "r1", worker: "far-worker", connection: "3", leaseMs: 10_000 });
    assert.deepEqual(held?.claimant, { origin: "daemon-b", connection: "3" });
    assert.equal(await a.jobs.renewLeases({ runIds: ["r1"], leaseMs: 60_000 }), 0, "not this daemon's claim");
    f.clock.advance(10_001); // daemon-b died: nobody renews
    const [back] = await a.jobs.expireLeases({ maxAttempts: 3, limit: 10 });
    assert.deepEqual([back?.id, back?.status, back?.attempt], ["r1", "pending", 2]);
    assert.equal((await a.jobs.claimRun({ jobId: "j", worker: "near-worker" }))?.id, "r1");
  });
}
