/** Conformance cases for scheduled jobs (SPEC §3.3, §2); runs are in ./runs.ts. */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend, JobInput } from "../../src/backends/contract.js";
import type { Job, Run } from "../../src/domain/jobs.js";
import type { Suite } from "./harness.js";
import { runsConformance } from "./runs.js";

export const ODD_JOB_IDS = ["../../etc/passwd", "a/b", "telegram:123", "telegram_123", "ünï cödé 🦊", "CON", ".", "..", "a\\b", " spaced "];

/** A complete JobInput (what the daemon hands the store after defaults). */
export const jobInput = (id: string, over: Partial<JobInput> = {}): JobInput => ({
  id,
  schedule: { cron: "0 9 * * *" },
  timezone: "Europe/London",
  enabled: true,
  deleteAfterRun: false,
  action: { type: "event" },
  payload: { prompt: "hi", nested: [1, { n: null }] },
  misfire: "once",
  noOverlap: true,
  ...over,
});

export async function allJobIds(b: Backend, limit = 1000): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const p = await b.jobs.listJobs({ limit, cursor });
    ids.push(...p.items.map((j) => j.id));
    cursor = p.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

export function jobsConformance(s: Suite): void {
  test("jobs: save creates, get round-trips every field", async (t) => {
    const f = await s.open(t);
    const input = jobInput("j1", {
      name: "morning",
      description: "d",
      action: { type: "exec", argv: ["/bin/echo", "a b"], cwd: "/tmp", env: { A: "1" }, timeoutMs: 5000 },
      misfire: "all",
      noOverlap: false,
      deleteAfterRun: true,
    });
    const job = await f.backend.jobs.saveJob(input);
    assert.equal(job.version, 1);
    assert.equal(job.createdAt, "2026-03-01T12:00:00.000Z");
    assert.equal(job.updatedAt, job.createdAt);
    assert.equal(job.nextRunAt, "2026-03-02T09:00:00.000Z");
    assert.equal(job.lastRunAt, undefined);
    assert.equal(job.anchorAt, undefined);
    const stamps = { createdAt: undefined, updatedAt: undefined, version: undefined, nextRunAt: undefined };
    assert.deepEqual({ ...job, ...stamps }, { ...input, ...stamps });
    assert.deepEqual(await f.backend.jobs.getJob("j1"), job);
    await assert.rejects(f.backend.jobs.getJob("nope"), { code: "NOT_FOUND" });
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(await b2.jobs.getJob("j1"), job);
    }
  });

  test("jobs: upsert replaces the definition, bumps version, keeps createdAt and nextRunAt", async (t) => {
    const f = await s.open(t);
    await f.backend.jobs.saveJob(jobInput("u", { name: "one", description: "gone later" }));
    f.clock.advance(60_000);
    const v2 = await f.backend.jobs.saveJob(jobInput("u", { name: "two", payload: "a string payload", expectedVersion: 1 }));
    assert.equal(v2.version, 2);
    assert.equal(v2.name, "two");
    assert.equal(v2.description, undefined, "omitted fields are cleared by a replace");
    assert.equal(v2.payload, "a string payload");
    assert.equal(v2.createdAt, "2026-03-01T12:00:00.000Z");
    assert.equal(v2.updatedAt, "2026-03-01T12:01:00.000Z");
    assert.equal(v2.nextRunAt, "2026-03-02T09:00:00.000Z");
  });

  test("jobs: expectedVersion mismatch is CONFLICT and changes nothing", async (t) => {
    const f = await s.open(t);
    const v1 = await f.backend.jobs.saveJob(jobInput("c"));
    const head = await f.backend.changes.head();
    await assert.rejects(f.backend.jobs.saveJob(jobInput("c", { name: "x", expectedVersion: 7 })), { code: "CONFLICT" });
    await assert.rejects(f.backend.jobs.saveJob(jobInput("new", { expectedVersion: 1 })), { code: "CONFLICT" });
    await assert.rejects(f.backend.jobs.deleteJob("c", 3), { code: "CONFLICT" });
    assert.deepEqual(await f.backend.jobs.getJob("c"), v1);
    await assert.rejects(f.backend.jobs.getJob("new"), { code: "NOT_FOUND" });
    assert.equal(await f.backend.changes.head(), head);
  });

  test("jobs: invalid schedules, zones and anchors are INVALID_PARAMS and store nothing", async (t) => {
    const { backend: b } = await s.open(t);
    const bad: [Partial<JobInput>, string][] = [
      [{ schedule: { cron: "61 * * * *" } }, "/schedule/cron"],
      [{ schedule: { cron: "* * *" } }, "/schedule/cron"],
      [{ schedule: { cron: "@every 5x" } }, "/schedule/cron"],
      [{ schedule: { cron: "@reboot" } }, "/schedule/cron"],
      [{ timezone: "Mars/Olympus" }, "/timezone"],
      [{ anchorAt: "2026-03-01T00:00:00.000Z" }, "/anchorAt"],
    ];
    for (const [over, path] of bad) {
      await assert.rejects(b.jobs.saveJob(jobInput("bad", over)), (e: { code?: string; details?: { issues?: { path: string }[] } }) => {
        assert.equal(e.code, "INVALID_PARAMS");
        assert.equal(e.details?.issues?.[0]?.path, path);
        return true;
      });
    }
    await assert.rejects(b.jobs.getJob("bad"), { code: "NOT_FOUND" });
    assert.equal(await b.changes.head(), undefined);
  });

  test("jobs: nextRunAt follows the cron in the job's time zone, across DST", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    assert.equal((await b.jobs.saveJob(jobInput("ny", { schedule: { cron: "30 1 * * *" }, timezone: "America/New_York" }))).nextRunAt, "2026-03-02T06:30:00.000Z");
    assert.equal((await b.jobs.saveJob(jobInput("tk", { schedule: { cron: "0 0 9 * * 1" }, timezone: "Asia/Tokyo" }))).nextRunAt, "2026-03-02T00:00:00.000Z");
    f.clock.set("2026-03-07T12:00:00.000Z");
    // 02:30 does not exist in New York on 8 March 2026: the first valid time after it is 03:00 EDT
    assert.equal((await b.jobs.saveJob(jobInput("ny", { schedule: { cron: "30 2 * * *" }, timezone: "America/New_York" }))).nextRunAt, "2026-03-08T07:00:00.000Z");
    const london = await b.jobs.saveJob(jobInput("ny", { schedule: { cron: "30 2 * * *" }, timezone: "Europe/London" }));
    assert.equal(london.nextRunAt, "2026-03-08T02:30:00.000Z", "a zone change recomputes");
  });

  test("jobs: a disabled job has no nextRunAt; enabling computes it from now", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    assert.equal((await b.jobs.saveJob(jobInput("d", { enabled: false }))).nextRunAt, undefined);
    f.clock.set("2026-03-02T10:00:00.000Z");
    assert.equal((await b.jobs.saveJob(jobInput("d"))).nextRunAt, "2026-03-03T09:00:00.000Z");
  });

  test("jobs: at schedules are normalized; nextRunAt is the instant, even a past one", async (t) => {
    const { backend: b } = await s.open(t);
    const j = await b.jobs.saveJob(jobInput("once", { schedule: { at: "2026-03-05T10:00:00+01:00" } }));
    assert.deepEqual(j.schedule, { at: "2026-03-05T09:00:00.000Z" });
    assert.equal(j.nextRunAt, "2026-03-05T09:00:00.000Z");
    const past = await b.jobs.saveJob(jobInput("past", { schedule: { at: "2026-02-01T00:00:00.000Z" } }));
    assert.equal(past.nextRunAt, "2026-02-01T00:00:00.000Z");
  });

  test("jobs: @every keeps its anchor across re-saves and run bookkeeping", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    f.clock.set("2026-03-01T12:00:00.750Z");
    const v1 = await b.jobs.saveJob(jobInput("e", { schedule: { cron: "@every 5m" } }));
    assert.equal(v1.anchorAt, "2026-03-01T12:05:00.000Z");
    assert.equal(v1.nextRunAt, v1.anchorAt);
    f.clock.advance(7 * 60_000);
    const fired = await b.jobs.fireSlot({ jobId: "e", scheduledFor: "2026-03-01T12:05:00.000Z", runId: "r1", firedBy: "x", status: "pending" });
    assert.ok(fired);
    await b.jobs.advanceJob({ jobId: "e", version: 1, nextRunAt: "2026-03-01T12:10:00.000Z" });
    await b.jobs.claimRun({ runId: "r1", worker: "w" });
    await b.jobs.finishRun({ runId: "r1", status: "succeeded" });
    const after = await b.jobs.getJob("e");
    assert.equal(after.version, 1, "bookkeeping does not bump version");
    assert.equal(after.anchorAt, v1.anchorAt);
    const v2 = await b.jobs.saveJob(jobInput("e", { schedule: { cron: "@every 5m" }, name: "renamed" }));
    assert.equal(v2.anchorAt, v1.anchorAt, "an unchanged expression keeps its anchor");
    assert.equal(v2.nextRunAt, "2026-03-01T12:10:00.000Z");
    const v3 = await b.jobs.saveJob(jobInput("e", { schedule: { cron: "@every 90s" } }));
    assert.equal(v3.anchorAt, "2026-03-01T12:08:30.000Z", "a new expression re-anchors at now + interval");
    const pinned = await b.jobs.saveJob(jobInput("e", { schedule: { cron: "@every 1h" }, anchorAt: "2026-01-01T00:15:00Z" }));
    assert.equal(pinned.anchorAt, "2026-01-01T00:15:00.000Z");
    assert.equal(pinned.nextRunAt, "2026-03-01T12:15:00.000Z");
  });

  test("jobs: odd ids are data, distinct and round-trip", async (t) => {
    const f = await s.open(t);
    for (const id of ODD_JOB_IDS) {
      await f.backend.jobs.saveJob(jobInput(id, { name: id }));
      await f.backend.jobs.triggerJob(id, `run-${id}`);
    }
    const check = async (b: Backend) => {
      for (const id of ODD_JOB_IDS) {
        assert.equal((await b.jobs.getJob(id)).name, id);
        const runs = await b.jobs.listRuns({ jobId: id, limit: 10 });
        assert.deepEqual(runs.items.map((r) => r.id), [`run-${id}`]);
      }
      assert.deepEqual(await allJobIds(b), [...ODD_JOB_IDS].sort());
    };
    await check(f.backend);
    if (s.caps.durable) await check(await f.reopen());
  });

  test("jobs: list in id order pages to the end; enabled filters", async (t) => {
    const { backend: b } = await s.open(t);
    for (let i = 24; i >= 0; i--) await b.jobs.saveJob(jobInput(`j${String(i).padStart(2, "0")}`, { enabled: i % 3 !== 0 }));
    const ids = await allJobIds(b, 7);
    assert.equal(ids.length, 25);
    assert.deepEqual(ids, [...ids].sort());
    assert.equal(new Set(ids).size, 25);
    const off = await b.jobs.listJobs({ enabled: false, limit: 100 });
    assert.deepEqual(off.items.map((j) => j.id), ["j00", "j03", "j06", "j09", "j12", "j15", "j18", "j21", "j24"]);
    assert.equal(off.nextCursor, null);
    assert.equal((await b.jobs.listJobs({ enabled: true, limit: 100 })).items.length, 16);
    await assert.rejects(b.jobs.listJobs({ cursor: "garbage!", limit: 5 }), { code: "INVALID_PARAMS" });
  });

  test("jobs: restore keeps bookkeeping, version, runs and slot keys; a one-shot that ran does not run again", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const restore = b.restore;
    const AT = "2026-03-02T09:00:00.000Z";
    const once: Job = {
      id: "once", name: "reminder", schedule: { at: AT }, timezone: "UTC", enabled: true, deleteAfterRun: false, action: { type: "event" },
      payload: { p: 1 }, misfire: "once", noOverlap: true, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-02-01T00:00:00.000Z",
      version: 7, lastRunAt: "2026-03-02T09:00:00.250Z", lastStatus: "failed", lastError: "boom",
    };
    const every: Job = {
      ...once, id: "every", schedule: { cron: "@every 1h" }, anchorAt: "2025-01-01T00:30:00.000Z", nextRunAt: "2026-03-02T10:30:00.000Z", version: 3,
    };
    const runs: Run[] = [
      { id: "o1", jobId: "once", scheduledFor: AT, firedAt: "2026-03-02T09:00:00.250Z", firedBy: "old-daemon", status: "failed", finishedAt: "2026-03-02T09:00:05.000Z", error: "boom", output: { code: 1 }, attempt: 2, claimedBy: "w", claimedAt: "2026-03-02T09:00:01.000Z" },
      { id: "o0", jobId: "once", scheduledFor: "2026-03-01T08:00:00.000Z", firedAt: "2026-03-01T08:00:00.000Z", firedBy: "old-daemon", status: "pending", attempt: 1 },
    ];
    f.clock.set("2026-03-05T00:00:00.000Z");
    const cursor = await b.changes.head();
    await restore.job(once);
    await restore.job(every);
    await restore.runs(runs);
    assert.deepEqual(await b.jobs.getJob("once"), once);
    assert.deepEqual(await b.jobs.getJob("every"), every);
    for (const r of runs) assert.deepEqual(await b.jobs.getRun(r.id), r);
    assert.equal(await b.jobs.fireSlot({ jobId: "once", scheduledFor: AT, runId: "x", firedBy: "d", status: "pending" }), null, "its slot key came with the run");
    assert.deepEqual((await b.jobs.dueJobs(new Date("2030-01-01T00:00:00Z"), 10)).map((j) => j.id), ["every"], "the one-shot that ran is not due");
    assert.equal((await b.jobs.saveJob(jobInput("once", { schedule: { at: AT }, timezone: "UTC", expectedVersion: 7 }))).nextRunAt, undefined, "a save keeps it from running again");
    const changes = (await b.changes.since(cursor, 100)).changes;
    assert.deepEqual(changes.slice(0, 4).map((c) => `${c.type} ${c.id} ${String((c.data as { restored?: boolean }).restored)}`), [
      "job.saved once true", "job.saved every true", "run.finished o1 true", "run.fired o0 true",
    ]);
    // restoring again replaces, never duplicates
    await restore.job(every);
    await restore.runs(runs);
    assert.deepEqual((await b.jobs.listRuns({ jobId: "once", limit: 10 })).items.map((r) => r.id), ["o1", "o0"]);
    await assert.rejects(restore.runs([{ ...runs[0], id: "orphan", jobId: "missing" }]), { code: "NOT_FOUND" });
    if (s.caps.durable) {
      const b2 = await f.reopen();
      assert.deepEqual(await b2.jobs.getJob("every"), every);
      assert.deepEqual(await b2.jobs.getRun("o1"), runs[0]);
      assert.equal(await b2.jobs.fireSlot({ jobId: "once", scheduledFor: AT, runId: "y", firedBy: "d", status: "pending" }), null);
    }
  });

  test("jobs: delete removes the job and its runs", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.jobs.saveJob(jobInput("del"));
    await b.jobs.triggerJob("del", "r-del");
    await b.jobs.deleteJob("del", 1);
    await assert.rejects(b.jobs.getJob("del"), { code: "NOT_FOUND" });
    await assert.rejects(b.jobs.getRun("r-del"), { code: "NOT_FOUND" });
    assert.deepEqual((await b.jobs.listRuns({ jobId: "del", limit: 10 })).items, []);
    await assert.rejects(b.jobs.deleteJob("del"), { code: "NOT_FOUND" });
    await assert.rejects(b.jobs.triggerJob("del", "r2"), { code: "NOT_FOUND" });
    const again = await b.jobs.saveJob(jobInput("del"));
    assert.equal(again.version, 1, "a deleted id starts over");
    if (s.caps.durable) assert.equal((await (await f.reopen()).jobs.getJob("del")).version, 1);
  });

  test("jobs: dueJobs and advanceJob (forward only, version-checked, no version bump)", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    await b.jobs.saveJob(jobInput("late", { schedule: { cron: "0 10 * * *" }, timezone: "UTC" }));
    await b.jobs.saveJob(jobInput("early", { schedule: { cron: "0 8 * * *" }, timezone: "UTC" }));
    await b.jobs.saveJob(jobInput("off", { schedule: { cron: "0 7 * * *" }, timezone: "UTC", enabled: false }));
    assert.deepEqual((await b.jobs.dueJobs(new Date("2026-03-02T09:00:00Z"), 10)).map((j) => j.id), ["early"]);
    assert.deepEqual((await b.jobs.dueJobs(new Date("2026-03-02T10:00:00Z"), 10)).map((j) => j.id), ["early", "late"]);
    assert.deepEqual((await b.jobs.dueJobs(new Date("2026-03-02T10:00:00Z"), 1)).map((j) => j.id), ["early"]);
    const moved = await b.jobs.advanceJob({ jobId: "early", version: 1, nextRunAt: "2026-03-03T08:00:00.000Z" });
    assert.equal(moved.nextRunAt, "2026-03-03T08:00:00.000Z");
    assert.equal(moved.version, 1);
    assert.equal(moved.updatedAt, "2026-03-01T12:00:00.000Z");
    const back = await b.jobs.advanceJob({ jobId: "early", version: 1, nextRunAt: "2026-03-02T08:00:00.000Z" });
    assert.equal(back.nextRunAt, "2026-03-03T08:00:00.000Z", "never moves backwards");
    await assert.rejects(b.jobs.advanceJob({ jobId: "early", version: 2, nextRunAt: null }), { code: "CONFLICT" });
    await assert.rejects(b.jobs.advanceJob({ jobId: "gone", version: 1, nextRunAt: null }), { code: "NOT_FOUND" });
    assert.equal((await b.jobs.advanceJob({ jobId: "early", version: 1, nextRunAt: null })).nextRunAt, undefined);
    assert.deepEqual((await b.jobs.dueJobs(new Date("2027-01-01T00:00:00Z"), 10)).map((j) => j.id), ["late"]);
    if (s.caps.durable) assert.equal((await (await f.reopen()).jobs.getJob("early")).nextRunAt, undefined);
  });

  runsConformance(s);
}
