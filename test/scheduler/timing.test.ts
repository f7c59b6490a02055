/**
 * On the real clock (SPEC §3.3): a slot fires no earlier than its time and, under normal load,
 * within 1 s after it. Tolerant: runs a few seconds and checks every slot.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { jobInput, makeScheduler, runsOf } from "./harness.js";
import { systemClock } from "../../src/daemon/scheduler/clock.js";

test("slots fire at or after their time and within 1 s of it (real clock)", async (t) => {
  const backend = new MemoryBackend({ origin: "rt", now: () => new Date() });
  const s = makeScheduler(backend, systemClock, "rt");
  t.after(() => s.stop());
  await backend.jobs.saveJob(jobInput("sec", { schedule: { cron: "* * * * * *" }, noOverlap: false }));
  await backend.jobs.saveJob(jobInput("every", { schedule: { cron: "@every 1s" }, noOverlap: false }));
  await s.start();
  await new Promise((r) => setTimeout(r, 3500));
  await s.stop();
  for (const id of ["sec", "every"]) {
    const runs = await runsOf(backend, id);
    assert.ok(runs.length >= 2, `${id}: ${runs.length} runs`);
    const lags = runs.map((r) => Date.parse(r.firedAt) - Date.parse(r.scheduledFor));
    t.diagnostic(`${id} lag ms: ${lags.join(", ")}`);
    assert.ok(lags.every((l) => l >= 0), `${id}: never early`);
    assert.ok(lags.every((l) => l < 1000), `${id}: within 1 s`);
    const slots = runs.map((r) => Date.parse(r.scheduledFor));
    assert.ok(slots.slice(1).every((v, i) => v - slots[i] === 1000), `${id}: no slot skipped`);
  }
});
