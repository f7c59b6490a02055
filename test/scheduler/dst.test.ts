/**
 * DST through the running scheduler (SPEC §3.3), on a controllable clock: a wall time inside the
 * spring-forward gap fires once at the first valid time after it, one inside the autumn repeated
 * hour fires once, and interval schedules keep their real-time spacing. Each slot fires at its
 * time, never before.
 */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { Schedule } from "../../src/domain/schedule.js";
import { jobInput, ManualClock, makeScheduler, memoryBackend, runsOf, settler } from "./harness.js";

async function firedSlots(t: TestContext, schedule: Schedule, timezone: string, from: string, hours: number): Promise<string[]> {
  const clock = new ManualClock(from);
  const backend = memoryBackend(clock);
  const s = makeScheduler(backend, clock, "a");
  clock.settle = settler(() => [s]);
  t.after(() => s.stop());
  await backend.jobs.saveJob(jobInput("j", { schedule, timezone, noOverlap: false }));
  await s.start();
  await clock.advance(hours * 3_600_000);
  const runs = await runsOf(backend, "j");
  for (const r of runs) {
    assert.ok(r.firedAt >= r.scheduledFor, `${r.scheduledFor} fired early at ${r.firedAt}`);
    assert.ok(Date.parse(r.firedAt) - Date.parse(r.scheduledFor) < 1000, `${r.scheduledFor} fired late at ${r.firedAt}`);
    assert.equal(r.status, "pending");
  }
  return runs.map((r) => r.scheduledFor);
}

test("Europe/London spring forward: 01:30 daily fires once at 02:00 BST", async (t) => {
  assert.deepEqual(await firedSlots(t, { cron: "30 1 * * *" }, "Europe/London", "2026-03-28T12:00:00Z", 48), [
    "2026-03-29T01:00:00.000Z",
    "2026-03-30T00:30:00.000Z",
  ]);
});

test("Europe/London fall back: 01:30 daily fires once in the repeated hour", async (t) => {
  assert.deepEqual(await firedSlots(t, { cron: "30 1 * * *" }, "Europe/London", "2026-10-24T12:00:00Z", 48), [
    "2026-10-25T00:30:00.000Z",
    "2026-10-26T01:30:00.000Z",
  ]);
});

test("America/New_York spring forward: 02:30 daily fires once at 03:00 EDT", async (t) => {
  assert.deepEqual(await firedSlots(t, { cron: "30 2 * * *" }, "America/New_York", "2026-03-07T12:00:00Z", 48), [
    "2026-03-08T07:00:00.000Z",
    "2026-03-09T06:30:00.000Z",
  ]);
});

test("America/New_York fall back: 01:30 daily fires once in the repeated hour", async (t) => {
  assert.deepEqual(await firedSlots(t, { cron: "30 1 * * *" }, "America/New_York", "2026-10-31T12:00:00Z", 48), [
    "2026-11-01T05:30:00.000Z",
    "2026-11-02T06:30:00.000Z",
  ]);
});

test("interval schedules keep their spacing through the repeated hour (London)", async (t) => {
  const hourly = await firedSlots(t, { cron: "0 * * * *" }, "Europe/London", "2026-10-24T23:30:00Z", 4);
  assert.deepEqual(hourly, ["2026-10-25T00:00:00.000Z", "2026-10-25T01:00:00.000Z", "2026-10-25T02:00:00.000Z", "2026-10-25T03:00:00.000Z"]);
  const every = await firedSlots(t, { cron: "@every 45m" }, "America/New_York", "2026-03-08T06:10:00Z", 3);
  const gaps = every.slice(1).map((s, i) => Date.parse(s) - Date.parse(every[i]));
  assert.ok(every.length >= 3);
  assert.ok(gaps.every((g) => g === 45 * 60_000), `gaps ${gaps.join(",")}`);
});
