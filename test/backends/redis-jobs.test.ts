/**
 * Jobs and runs on Redis: the conformance cases, plus two RedisBackends on one key prefix (like two
 * hosts) racing fireSlot and claimRun, and pruning that leaves indexes and slots consistent.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { RedisBackend } from "../../src/backends/redis/index.js";
import type { Run } from "../../src/domain/jobs.js";
import { makeSuite, type BackendFactory, type Suite } from "../conformance/harness.js";
import { jobInput } from "../conformance/jobs.js";
import { redis } from "../helpers/redis.js";

const factory: BackendFactory = async (ctx) => new RedisBackend({ ...ctx, url: (await redis()).url, prefix: `${ctx.isolationKey}:` });

function extras(s: Suite): void {
  test("jobs: two daemons on one prefix: one run per slot, noOverlap holds, each run claimed once", async (t) => {
    const f = await s.open(t);
    const a = f.backend;
    const b = new RedisBackend({ origin: "host-b", now: f.clock.now, url: (await redis()).url, prefix: (a as unknown as RedisBackend).keys.prefix }) as unknown as Backend;
    await b.open();
    t.after(() => b.close());
    const on = (i: number) => (i % 2 ? b : a);

    await a.jobs.saveJob(jobInput("j"));
    await b.jobs.saveJob(jobInput("k", { noOverlap: false }));
    const slots = ["2026-03-02T09:00:00.000Z", "2026-03-03T09:00:00.000Z", "2026-03-04T09:00:00.000Z"];
    for (const [n, slot] of slots.entries()) {
      for (const jobId of ["j", "k"]) {
        const fired = await Promise.all(
          Array.from({ length: 8 }, (_, i) => on(i).jobs.fireSlot({ jobId, scheduledFor: slot, runId: `${jobId}-${n}-${i}`, firedBy: `host-${i % 2}`, status: "pending" })),
        );
        assert.equal(fired.filter((r) => r !== null).length, 1, `one run for ${jobId} at ${slot}`);
      }
    }
    const runsOf = async (jobId: string) => (await a.jobs.listRuns({ jobId, limit: 100 })).items;
    assert.equal((await runsOf("k")).length, 3);
    const jRuns = await runsOf("j");
    assert.deepEqual(jRuns.map((r) => r.status).sort(), ["pending", "skipped", "skipped"], "noOverlap held across hosts");

    const pendingJ = jRuns.find((r) => r.status === "pending") as Run;
    const named = await Promise.all(Array.from({ length: 8 }, (_, i) => on(i).jobs.claimRun({ runId: pendingJ.id, worker: `w${i}` })));
    assert.equal(named.filter((r) => r !== null).length, 1);

    const any = await Promise.all(Array.from({ length: 8 }, (_, i) => on(i).jobs.claimRun({ worker: `m${i}` })));
    const won = any.filter((r): r is Run => r !== null);
    assert.deepEqual(won.map((r) => r.id).sort(), (await runsOf("k")).map((r) => r.id).sort(), "k's three runs went to three claimers");
    for (const r of won) assert.equal((await b.jobs.getRun(r.id)).claimedBy, r.claimedBy, "the stored claimant is the one told it won");
    const claims = (await a.changes.since(undefined, 1000)).changes.filter((c) => c.type === "run.claimed");
    assert.equal(claims.length, 4, "one run.claimed per run");
    assert.equal(new Set(claims.map((c) => c.id)).size, 4);
    assert.equal(await b.jobs.claimRun({ worker: "late" }), null);
  });

  test("jobs: noOverlap holds for a daemon whose clock lags (its runs leave the job record unchanged)", async (t) => {
    const f = await s.open(t);
    const a = f.backend;
    const lagging = () => new Date(f.clock.now().getTime() - 3_600_000);
    const b = new RedisBackend({ origin: "host-b", now: lagging, url: (await redis()).url, prefix: (a as unknown as RedisBackend).keys.prefix }) as unknown as Backend;
    await b.open();
    t.after(() => b.close());
    await a.jobs.saveJob(jobInput("j"));
    await a.jobs.triggerJob("j", "first");
    await a.jobs.claimRun({ runId: "first", worker: "w" });
    await a.jobs.finishRun({ runId: "first", status: "succeeded" });
    const before = await a.jobs.getJob("j");
    const fired = await Promise.all(
      Array.from({ length: 8 }, (_, i) => b.jobs.fireSlot({ jobId: "j", scheduledFor: `2026-03-0${i + 2}T09:00:00.000Z`, runId: `s${i}`, firedBy: "host-b", status: "pending" })),
    );
    assert.deepEqual(await a.jobs.getJob("j"), before, "the lagging runs are not the newest, so the job record did not change");
    assert.deepEqual(fired.map((r) => r?.status).sort(), ["pending", ...Array(7).fill("skipped")]);
  });

  test("jobs: pruning frees slots and index entries; deleteJob leaves no key of the job behind", async (t) => {
    const f = await s.open(t);
    const b = f.backend;
    const rb = b as unknown as RedisBackend;
    await b.jobs.saveJob(jobInput("p", { noOverlap: false }));
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
    for (let i = 0; i < 203; i++) await b.jobs.fireSlot({ jobId: "p", scheduledFor: at(i), runId: `m${i}`, firedBy: "x", status: "missed" });
    const redisClient = rb.client.redis;
    assert.equal(await redisClient.zcard(rb.keys.runsOfJob("p")), 200);
    assert.equal(await redisClient.zcard(rb.keys.runsByStatus("missed")), 200);
    assert.equal(await redisClient.exists(rb.keys.slot(at(0), "p")), 0, "a pruned run frees its slot");
    assert.ok(await b.jobs.fireSlot({ jobId: "p", scheduledFor: at(0), runId: "again", firedBy: "x", status: "pending" }), "so it can fire again");
    await b.jobs.triggerJob("p", "manual");
    await b.jobs.claimRun({ runId: "manual", worker: "w" });
    await b.jobs.deleteJob("p");
    const left: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await redisClient.scan(cursor, "MATCH", `${rb.keys.prefix}*`, "COUNT", 1000);
      left.push(...keys);
      cursor = next;
    } while (cursor !== "0");
    assert.deepEqual(left.map((k) => k.slice(rb.keys.prefix.length)).filter((k) => k !== "changes"), []);
  });

  test("jobs: a job turned from event to exec leaves the claim-any index; back again it returns", async (t) => {
    const { backend: b } = await s.open(t);
    await b.jobs.saveJob(jobInput("x", { noOverlap: false }));
    await b.jobs.fireSlot({ jobId: "x", scheduledFor: "2026-03-02T09:00:00.000Z", runId: "x1", firedBy: "d", status: "pending" });
    await b.jobs.saveJob(jobInput("x", { noOverlap: false, action: { type: "exec", argv: ["true"] } }));
    assert.equal(await b.jobs.claimRun({ worker: "w" }), null);
    assert.equal(await b.jobs.claimRun({ jobId: "x", worker: "w" }), null);
    await b.jobs.saveJob(jobInput("x", { noOverlap: false }));
    assert.equal((await b.jobs.claimRun({ worker: "w" }))?.id, "x1");
  });
}

describe("redis: jobs beyond conformance", () => extras(makeSuite("redis-jobs-extra", factory, { durable: true })));
