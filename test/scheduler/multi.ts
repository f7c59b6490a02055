/**
 * Several daemons on one backend (SPEC §3.3, R5 in small): each slot fires exactly once, even with
 * their clocks apart, and a job saved, changed or deleted through any of them takes effect at once.
 * A function of a backend factory: the factory returns one Backend handle per simulated daemon (the
 * same object for memory; one PostgresBackend / RedisBackend each on a shared schema / prefix in
 * multi-postgres.test.ts and multi-redis.test.ts, through networkedShared). The real-process version
 * is R5, test/reliability/multi-daemon.test.ts.
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
  /**
   * For stores whose change feed arrives over the network (Postgres NOTIFY/poll, Redis XREAD):
   * resolves once every watcher has been handed the newest change, so a pass that a change asks for
   * has started before the test moves the clock on or looks. Omitted for the in-process memory store.
   */
  settle?(): Promise<void>;
}
export type SharedBackendFactory = (daemons: number, clock: ManualClock, name: string) => Promise<SharedBackends>;

export function describeMultiDaemon(name: string, factory: SharedBackendFactory): void {
  describe(`several schedulers on one ${name} backend`, () => {
    test("3 daemons with skewed clocks, 20 jobs every 2 s for 2 minutes: every slot fired exactly once", async (t) => {
      const clock = new ManualClock("2026-06-01T00:00:00.500Z");
      const shared = await factory(3, clock, "slots");
      const skews = [0, 700, -400];
      const scheds: Scheduler[] = shared.handles.map((b, i) => makeScheduler(b, clock.skewed(skews[i]), `d${i}`));
      clock.settle = settleAll(shared, () => scheds);
      // after hooks run in the order they were added: stop the schedulers before closing their stores
      t.after(async () => {
        await Promise.all(scheds.map((s) => s.stop()));
        await shared.close();
      });
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
      const [a, b] = shared.handles;
      // Only b schedules; every write goes through a.
      const s = makeScheduler(b, clock, "b");
      clock.settle = settleAll(shared, () => [s]);
      t.after(async () => {
        await s.stop();
        await shared.close();
      });
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

/** The schedulers' own work, then (for networked stores) the change feed, until both are quiet. */
function settleAll(shared: SharedBackends, schedulers: () => Scheduler[]): () => Promise<void> {
  const local = settler(schedulers);
  return async () => {
    await local();
    if (shared.settle === undefined) return;
    for (let i = 0; i < 3; i++) {
      await shared.settle();
      await local();
    }
  };
}

/** Orders the cursors of the SQL (a serial) and Redis (a stream id, "ms-seq") change logs. */
function cursorAtLeast(a: string, b: string): boolean {
  const pa = a.split("-").map(BigInt);
  const pb = b.split("-").map(BigInt);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0n;
    const y = pb[i] ?? 0n;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * SharedBackends over real stores (one backend object per daemon, on the same storage): each
 * handle's change feed is watched through a wrapper that remembers the newest cursor it delivered,
 * so `settle()` can wait until every live watcher has caught up with the store's head (at most 5 s).
 */
export function networkedShared(backends: (Pick<Backend, "jobs" | "changes"> & { close(): Promise<void> })[]): SharedBackends {
  const watchers = new Set<{ last?: string; startedAt: Promise<string | undefined> }>();
  const handles = backends.map((b): Pick<Backend, "jobs" | "changes"> => ({
    jobs: b.jobs,
    changes: {
      since: (cursor, limit) => b.changes.since(cursor, limit),
      head: () => b.changes.head(),
      prune: (before, keep) => b.changes.prune(before, keep),
      watch: (listener) => {
        // The feeds start at the head they find, so what was there before counts as seen.
        const w: { last?: string; startedAt: Promise<string | undefined> } = { startedAt: b.changes.head() };
        watchers.add(w);
        const unwatch = b.changes.watch((c) => {
          w.last = c.cursor;
          listener(c);
        });
        return () => {
          watchers.delete(w);
          unwatch();
        };
      },
    },
  }));
  return {
    handles,
    close: async () => {
      await Promise.all(backends.map((b) => b.close()));
    },
    settle: async () => {
      const head = await backends[0].changes.head();
      if (head === undefined) return;
      const deadline = Date.now() + 5000;
      for (const w of [...watchers]) {
        const start = await w.startedAt;
        if (start !== undefined && cursorAtLeast(start, head)) continue;
        while (watchers.has(w) && !(w.last !== undefined && cursorAtLeast(w.last, head)) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }
    },
  };
}
