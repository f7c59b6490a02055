// Jobs and runs on Postgres beyond the conformance suite (which runs in sqlite.test.ts and
// postgres.test.ts): two PostgresBackends (two pools, like two hosts) racing on the same schema.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import type { Run } from "../../src/domain/jobs.js";
import { jobInput } from "../conformance/jobs.js";
import { TestClock } from "../helpers/clock.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";

describe("postgres: two daemons on one schema", () => {
  test("concurrent fireSlot and claimRun from two pools: one run per slot, each run claimed once", async (t) => {
    const reason = await postgresUnavailable();
    if (reason !== undefined) return t.skip(reason);
    const { url } = await postgres();
    const clock = new TestClock();
    const schema = `sql_jobs_two_hosts_${process.pid}`;
    const hosts = ["host-a", "host-b"].map((origin) => new PostgresBackend({ url, schema, origin, now: clock.now, poolSize: 8 }));
    t.after(() => Promise.all(hosts.map((h) => h.close())));
    await Promise.all(hosts.map((h) => h.open()));
    const [a, b] = hosts as [PostgresBackend, PostgresBackend];
    const on = (i: number) => hosts[i % 2];

    await a.jobs.saveJob(jobInput("j"));
    await b.jobs.saveJob(jobInput("k", { noOverlap: false }));
    const slots = ["2026-03-02T09:00:00.000Z", "2026-03-03T09:00:00.000Z", "2026-03-04T09:00:00.000Z"];
    for (const [s, slot] of slots.entries()) {
      for (const jobId of ["j", "k"]) {
        const fired = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            on(i).jobs.fireSlot({ jobId, scheduledFor: slot, runId: `${jobId}-${s}-${i}`, firedBy: `host-${i % 2}`, status: "pending" }),
          ),
        );
        assert.equal(fired.filter((r) => r !== null).length, 1, `one run for ${jobId} at ${slot}`);
      }
    }
    const runsOf = async (jobId: string) => (await a.jobs.listRuns({ jobId, limit: 100 })).items;
    assert.equal((await runsOf("k")).length, 3);
    const jRuns = await runsOf("j");
    assert.deepEqual(jRuns.map((r) => r.status).sort(), ["pending", "skipped", "skipped"], "noOverlap held across hosts");

    // 8 claimers for one named run
    const pendingJ = jRuns.find((r) => r.status === "pending") as Run;
    const named = await Promise.all(Array.from({ length: 8 }, (_, i) => on(i).jobs.claimRun({ runId: pendingJ.id, worker: `w${i}` })));
    assert.equal(named.filter((r) => r !== null).length, 1);

    // 8 claimers for "the oldest event run": k's three pending runs go to three distinct claimers
    const any = await Promise.all(Array.from({ length: 8 }, (_, i) => on(i).jobs.claimRun({ worker: `m${i}` })));
    const won = any.filter((r): r is Run => r !== null);
    assert.deepEqual(won.map((r) => r.id).sort(), (await runsOf("k")).map((r) => r.id).sort());
    for (const r of won) assert.equal((await b.jobs.getRun(r.id)).claimedBy, r.claimedBy, "the stored claimant is the one told it won");
    const claims = (await a.changes.since(undefined, 1000)).changes.filter((c) => c.type === "run.claimed");
    assert.equal(claims.length, 4, "one run.claimed per run");
    assert.equal(new Set(claims.map((c) => c.id)).size, 4);
  });
});
