/**
 * Several daemons on one backend (SPEC §3.3, R5 in small): each slot fires exactly once, even with
 * their clocks apart, and a job saved, changed or deleted through any of them takes effect at once.
 * A function of a backend factory so the SQL and Redis backends can run it when they land: the
 * factory returns one Backend handle per simulated daemon (the same object for memory).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import type { Scheduler } from "../../src/daemon/scheduler/scheduler.js";
import { jobInput, ManualClock, makeScheduler, runsOf, settler } from "./harness.js";

export interface SharedBackends {
  /** One handle per daemon, all on the same storage, using `now` for the timestamps they assign. */
  handles: Pick<Backend, "jobs" | "changes">[];
  close(): Promise<void>;
}
export type SharedBackendFactory = (daemons: number, clock: ManualClock, name: string) => Promise<SharedBackends>;

export function describeMultiDaemon(name: string, factory: SharedBackendFactory): void {
  describe(`several schedulers on one ${name} backend`, () => {
    test("3 daemons with skewed clocks, 20 jobs every 2 s for 2 minutes: every slot fired exactly once", async (t) => {
      const clock = new ManualClock("2026-06-01T00:00:00.500Z");
      const shared = await factory(3, clock, "slots");
      t.after(() => shared.close());
      const skews = [0, 700, -400];
      const scheds: Scheduler[] = shared.handles.map((b, i) => makeScheduler(b, clock.skewed(skews[i]), `d${i}`));
      clock.settle = settler(() => scheds);
      t.after(() => Promise.all(scheds.map((s) => s.stop())));
      const jobs = shared.handles[0].jobs;
      for (let i = 0; i < 20; i++) {
        const schedule = i % 2 === 0 ? { cron: "@every 2s" } : { cron: "*/2 * * * * *" };
        await jobs.saveJob(jobInput(`j${i}`, { schedule, noOverlap: false, anchorAt: i % 2 === 0 ? "2026-06-01T00:00:02.000Z" : undefined }));
      }
      await Promise.all(scheds.map((s) => s.start()));
      await clock.advance(120_000);
      for (let i = 0; i < 20; i++) {
        const slots = (await runsOf(shared.handles[i % 3], `j${i}`)).map((r) => r.scheduledFor);
        assert.equal(new Set(slots).size, slots.length, `j${i}: a slot fired twice`);
        const expected = Array.from({ length: 60 }, (_, k) => new Date(Date.parse("2026-06-01T00:00:02Z") + k * 2000).toISOString());
        // The daemon whose clock runs 700 ms ahead may take the slot at 120 s (true time 119.3 s).
        assert.deepEqual(slots.slice(0, 60), expected, `j${i}: every slot once, none missing`);
      }
      const fired = scheds.map((s) => s.stats.fired);
      assert.equal(fired.reduce((a, b) => a + b, 0) >= 1200, true);
      t.diagnostic(`slots fired per daemon: ${fired.join(", ")}; lost races: ${scheds.map((s) => s.stats.lost).join(", ")}`);
    });

    test("a job saved, changed and deleted through one daemon is re-planned by the others at once", async (t) => {
      const clock = new ManualClock("2026-06-01T00:00:00Z");
      const shared = await factory(2, clock, "replan");
      t.after(() => shared.close());
      const [a, b] = shared.handles;
      // Only b schedules; every write goes through a.
      const s = makeScheduler(b, clock, "b");
      clock.settle = settler(() => [s]);
      t.after(() => s.stop());
      await s.start();
      await clock.advance(1000);
      await a.jobs.saveJob(jobInput("x", { schedule: { at: "2026-06-01T00:00:05Z" } }));
      await clock.advance(5000);
      assert.deepEqual((await runsOf(b, "x")).map((r) => r.scheduledFor), ["2026-06-01T00:00:05.000Z"], "a new job fires on time, not at the next 30 s re-plan");
      await a.jobs.saveJob(jobInput("y", { schedule: { cron: "0 0 * * *" } }));
      await a.jobs.saveJob(jobInput("y", { schedule: { cron: "*/10 * * * * *" }, noOverlap: false }));
      await clock.advance(10_000);
      assert.deepEqual((await runsOf(b, "y")).map((r) => r.scheduledFor), ["2026-06-01T00:00:10.000Z"], "a changed schedule applies at once");
      await a.jobs.deleteJob("y");
      await clock.advance(30_000);
      assert.equal(s.stats.fired, 2, "a deleted job fires no more");
    });
  });
}
