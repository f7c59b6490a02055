/** Jobs and runs on jsonl: a crash loses and duplicates nothing (the conformance suite runs in jsonl.test.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { promises as fs, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { jobInput } from "../conformance/jobs.js";
import { TestClock } from "../helpers/clock.js";

const root = mkdtempSync(join(tmpdir(), "jsonl-jobs-"));
process.on("exit", () => rmSync(root, { recursive: true, force: true }));

const clock = new TestClock();
const make = (dir: string, runsPerJob?: number) =>
  new JsonlBackend({ dataDir: dir, origin: "crash-test", now: clock.now, ...(runsPerJob ? { retention: { runsPerJob } } : {}) });

/** "Kills" `b`: its watchers stop (a dead process watches nothing), nothing is closed or flushed, the lock goes. */
async function crash(b: JsonlBackend, dir: string): Promise<void> {
  await b.jobsWatch.stop();
  await b.storage.ports.plans.stop();
  await fs.rm(join(dir, "agentstate.lock"));
}

const SLOT = (i: number) => new Date(Date.UTC(2026, 2, 2, 9, i)).toISOString();

async function writeEverything(b: JsonlBackend) {
  await b.jobs.saveJob(jobInput("j", { noOverlap: false, name: "one" }));
  await b.jobs.saveJob(jobInput("j", { noOverlap: false, name: "two", expectedVersion: 1 }));
  for (let i = 0; i < 6; i++) await b.jobs.fireSlot({ jobId: "j", scheduledFor: SLOT(i), runId: `r${i}`, firedBy: "d", status: "pending" });
  for (let i = 0; i < 4; i++) {
    await b.jobs.claimRun({ runId: `r${i}`, worker: "w" });
    await b.jobs.finishRun({ runId: `r${i}`, status: i % 2 === 0 ? "succeeded" : "failed", error: i % 2 === 0 ? undefined : "boom" });
  }
  await b.jobs.advanceJob({ jobId: "j", version: 2, nextRunAt: "2026-03-03T09:00:00.000Z" });
  await b.jobs.saveJob(jobInput("doomed"));
  await b.jobs.triggerJob("doomed", "t1");
  await b.jobs.deleteJob("doomed");
  await b.jobs.saveJob(jobInput("once", { schedule: { at: SLOT(0) }, deleteAfterRun: true }));
  await b.jobs.fireSlot({ jobId: "once", scheduledFor: SLOT(0), runId: "o1", firedBy: "d", status: "missed" });
}

async function checkEverything(b: JsonlBackend) {
  const j = await b.jobs.getJob("j");
  assert.deepEqual([j.name, j.version, j.nextRunAt, j.lastStatus, j.lastError], ["two", 2, "2026-03-03T09:00:00.000Z", "failed", "boom"]);
  const runs = (await b.jobs.listRuns({ jobId: "j", limit: 100 })).items;
  assert.deepEqual(runs.map((r) => `${r.id}:${r.status}`), ["r5:pending", "r4:pending", "r3:failed"], "pruned to the newest 3; exactly once each");
  assert.equal((await b.jobs.getRun("r3")).error, "boom");
  assert.equal(await b.jobs.fireSlot({ jobId: "j", scheduledFor: SLOT(4), runId: "again", firedBy: "d", status: "pending" }), null, "slot keys survive");
  await assert.rejects(b.jobs.getJob("doomed"), { code: "NOT_FOUND" });
  await assert.rejects(b.jobs.getRun("t1"), { code: "NOT_FOUND" });
  await assert.rejects(b.jobs.getJob("once"), { code: "NOT_FOUND" });
  const changes = (await b.changes.since(undefined, 1000)).changes.map((c) => `${c.type} ${c.id}`);
  assert.deepEqual(changes, [
    "job.saved j", "job.saved j",
    ...[0, 1, 2, 3, 4, 5].map((i) => `run.fired r${i}`),
    ...[0, 1, 2, 3].flatMap((i) => [`run.claimed r${i}`, `run.finished r${i}`]),
    "job.saved j", "job.saved doomed", "run.fired t1", "job.deleted doomed",
    "job.saved once", "run.fired o1", "job.deleted once",
  ]);
  assert.deepEqual(b.probe ? (await b.probe()).warnings : undefined, undefined);
}

for (const [label, damage] of [
  ["applied", async () => {}],
  ["not yet applied", async (dir: string) => {
    // as if the process died after the journal fsync but before the apply loop wrote the files
    await fs.rm(join(dir, "runs"), { recursive: true });
    await fs.rm(join(dir, "schedules"), { recursive: true });
  }],
] as const) {
  test(`jsonl jobs: after a crash (files ${label}) every acknowledged write is there exactly once`, async () => {
    const dir = join(root, `crash-${label.replaceAll(" ", "-")}`);
    const a = make(dir, 3);
    await a.open();
    await writeEverything(a);
    await a.engine.applyNow();
    await crash(a, dir); // the journal still holds every transaction: the next open replays them
    await damage(dir);
    const b = make(dir, 3);
    await b.open();
    try {
      await checkEverything(b);
    } finally {
      await b.close();
    }
    const c = make(dir, 3); // and once more after a clean close (checkpointed, journal empty)
    await c.open();
    try {
      await checkEverything(c);
    } finally {
      await c.close();
    }
  });
}
