/**
 * Slots missed while no daemon ran (SPEC §3.3): found at start from the persisted nextRunAt and
 * handled by the job's misfire policy; a short delay within the grace period is not a misfire.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { Misfire } from "../../src/domain/jobs.js";
import { jobInput, ManualClock, makeScheduler, memoryBackend, runsOf, settler } from "./harness.js";

const START = "2026-05-01T10:00:30Z";

/** An hourly job, one daemon that fires the 11:00 slot, then 5 h 10 min with no daemon, then a new one. */
async function afterDowntime(t: TestContext, misfire: Misfire, noOverlap = false, downMs = 5 * 3_600_000 + 600_000) {
  const clock = new ManualClock(START);
  const backend = memoryBackend(clock);
  const first = makeScheduler(backend, clock, "first");
  let live = [first];
  clock.settle = settler(() => live);
  await backend.jobs.saveJob(jobInput("h", { schedule: { cron: "0 * * * *" }, misfire, noOverlap }));
  await first.start();
  await clock.advance(3_600_000); // 11:00:30: the 11:00 slot fired on time
  await first.stop();
  live = [];
  clock.jump(downMs);
  const second = makeScheduler(backend, clock, "second", { misfire: { cap: 3 } });
  live = [second];
  t.after(() => second.stop());
  await second.start();
  await clock.settle();
  const runs = await runsOf(backend, "h");
  return { runs: runs.map((r) => [r.scheduledFor.slice(11, 16), r.status, r.firedBy]), job: await backend.jobs.getJob("h"), second };
}

test("misfire skip: one missed run records the gap; the next slot is in the future", async (t) => {
  const { runs, job, second } = await afterDowntime(t, "skip");
  assert.deepEqual(runs, [["11:00", "pending", "first"], ["12:00", "missed", "second"]]);
  assert.equal(job.nextRunAt, "2026-05-01T17:00:00.000Z");
  assert.equal(second.health().missed, 5, "12:00 … 16:00");
});

test("misfire once: one catch-up run for the first missed slot", async (t) => {
  const { runs, job, second } = await afterDowntime(t, "once");
  assert.deepEqual(runs, [["11:00", "pending", "first"], ["12:00", "pending", "second"]]);
  assert.equal(job.nextRunAt, "2026-05-01T17:00:00.000Z");
  assert.equal(second.health().missed, 4);
});

test("misfire all: each missed slot, capped", async (t) => {
  const { runs, second } = await afterDowntime(t, "all");
  assert.deepEqual(runs, [
    ["11:00", "pending", "first"], ["12:00", "pending", "second"], ["13:00", "pending", "second"], ["14:00", "pending", "second"],
  ]);
  assert.equal(second.health().missed, 2, "15:00 and 16:00 are beyond the cap of 3");
});

test("misfire all with noOverlap: catch-ups behind an unfinished run are recorded skipped", async (t) => {
  const { runs } = await afterDowntime(t, "all", true);
  assert.deepEqual(runs.map((r) => r[1]), ["pending", "skipped", "skipped", "skipped"]);
});

test("a slot found within the grace period fires normally whatever the policy", async (t) => {
  const clock = new ManualClock("2026-05-01T10:59:00Z");
  const backend = memoryBackend(clock);
  await backend.jobs.saveJob(jobInput("h", { schedule: { cron: "0 * * * *" }, misfire: "skip" }));
  clock.jump(90_000); // 11:00:30: 30 s late, within the 60 s grace
  const s = makeScheduler(backend, clock, "s");
  clock.settle = settler(() => [s]);
  t.after(() => s.stop());
  await s.start();
  await clock.settle();
  const runs = await runsOf(backend, "h");
  assert.deepEqual(runs.map((r) => [r.scheduledFor, r.status]), [["2026-05-01T11:00:00.000Z", "pending"]]);
  assert.equal(s.health().missed, 0);
  assert.equal(s.health().lastLagMs, 30_000);
});

test("a one-shot `at` job missed during downtime: skip records it missed, once runs it", async (t) => {
  for (const misfire of ["skip", "once"] as const) {
    const clock = new ManualClock("2026-05-01T10:00:00Z");
    const backend = memoryBackend(clock);
    await backend.jobs.saveJob(jobInput("a", { schedule: { at: "2026-05-01T10:30:00Z" }, misfire }));
    clock.jump(3_600_000);
    const s = makeScheduler(backend, clock, "s");
    clock.settle = settler(() => [s]);
    t.after(() => s.stop());
    await s.start();
    await clock.settle();
    const runs = await runsOf(backend, "a");
    assert.deepEqual(runs.map((r) => r.status), [misfire === "skip" ? "missed" : "pending"]);
    assert.equal((await backend.jobs.getJob("a")).nextRunAt, undefined);
  }
});
