/**
 * runs.claim hands a run to exactly one caller, and the claim lives as long as the claiming
 * connection (SPEC §3.3): closing it before runs.finish puts the run back to pending, up to the
 * retry limit, then abandons it. Through a real daemon, socket and client; also the CLI verbs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../../src/client/cli/main.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { jobInput, ManualClock, makeScheduler, memoryBackend, waitFor } from "./harness.js";

test("runs.claim gives a run to exactly one of several connections", async (t) => {
  const d = await startTestDaemon(t);
  const admin = await d.client();
  await admin.jobs.save({ id: "e", schedule: { cron: "@daily" } });
  await admin.jobs.trigger({ id: "e" });
  const workers = await Promise.all(Array.from({ length: 5 }, () => d.client()));
  const got = await Promise.all(workers.map((w, i) => w.runs.claim({ worker: `w${i}` })));
  assert.equal(got.filter((r) => r !== null).length, 1);
});

test("a claim is released when the claiming connection closes; the retry limit abandons the run", async (t) => {
  const d = await startTestDaemon(t);
  const admin = await d.client();
  await admin.jobs.save({ id: "e", schedule: { cron: "@daily" }, payload: { prompt: "hi" } });
  const run = await admin.jobs.trigger({ id: "e" });
  for (let attempt = 1; attempt <= 3; attempt++) {
    const worker = await d.client();
    const claimed = await worker.runs.claim({ jobId: "e", worker: `w${attempt}` });
    assert.equal(claimed?.id, run.id);
    assert.equal(claimed.attempt, attempt);
    worker.close();
    const after = await waitFor(`release ${attempt}`, async () => {
      const r = await admin.runs.get({ id: run.id });
      return r.status !== "claimed" && r;
    });
    if (attempt < 3) {
      assert.deepEqual([after.status, after.attempt, after.claimedBy], ["pending", attempt + 1, undefined]);
    } else {
      assert.equal(after.status, "abandoned");
      assert.match(after.error ?? "", /abandoned after 3 attempts/);
      assert.equal((await admin.jobs.get({ id: "e" })).lastStatus, "abandoned");
    }
  }
});

test("a finished claim is not released when its connection closes", async (t) => {
  const d = await startTestDaemon(t);
  const admin = await d.client();
  await admin.jobs.save({ id: "e", schedule: { cron: "@daily" } });
  const run = await admin.jobs.trigger({ id: "e" });
  const worker = await d.client();
  assert.equal((await worker.runs.claim({ runId: run.id, worker: "w" }))?.id, run.id);
  await worker.runs.finish({ runId: run.id, status: "succeeded", worker: "w" });
  worker.close();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await admin.runs.get({ id: run.id })).status, "succeeded");
  const health = await admin.daemon.health({});
  assert.equal(health.checks.scheduler?.status, "pass");
  assert.equal(health.checks.scheduler?.claims, 0);
});

test("claims whose lease ran out (their daemon is gone, here or on another host) go back to pending; live ones are kept", async (t) => {
  const clock = new ManualClock("2026-05-01T10:00:00Z");
  const backend = memoryBackend(clock, "this-daemon");
  await backend.jobs.saveJob(jobInput("e", { schedule: { cron: "@daily" }, noOverlap: false }));
  await backend.jobs.triggerJob("e", "orphan");
  await backend.jobs.claimRun({ runId: "orphan", worker: "w", leaseMs: 30_000 });
  const s = makeScheduler(backend, clock, "new", { leaseMs: 30_000 });
  t.after(() => s.stop());
  clock.settle = () => s.idle();
  await s.start();
  assert.equal((await backend.jobs.getRun("orphan")).status, "claimed", "its lease still runs");
  await clock.advance(20_000);
  await backend.jobs.triggerJob("e", "late");
  await backend.jobs.claimRun({ runId: "late", worker: "w2", leaseMs: 30_000 });
  await clock.advance(20_000); // 40 s: the first lease ran out, the second has 10 s left
  await s.idle();
  const [orphan, late] = [await backend.jobs.getRun("orphan"), await backend.jobs.getRun("late")];
  assert.deepEqual([orphan.status, orphan.attempt, late.status], ["pending", 2, "claimed"]);
});

test("the CLI: jobs add, disable, enable, trigger, runs show", async (t) => {
  const d = await startTestDaemon(t);
  const cli = async (...argv: string[]) => {
    let out = "";
    // global flags go after the command words and before any "--"
    const status = await runCli([...argv.slice(0, 2), "--socket", d.socket, "--no-autostart", ...argv.slice(2)], { out: (s) => void (out += s), err: (s) => void (out += s) });
    return { status, out };
  };
  const add = await cli("jobs", "add", "--id", "b", "--every", "5m", "--tz", "Europe/London", "--payload", '{"p":1}', "--misfire", "skip",
    "--exec", "--timeout", "1000", "--env", "A=1", "--", "/bin/echo", "--flag");
  assert.equal(add.status, 0, add.out);
  const c = await d.client();
  const job = await c.jobs.get({ id: "b" });
  assert.deepEqual(job.schedule, { cron: "@every 5m" });
  assert.deepEqual(job.action, { type: "exec", argv: ["/bin/echo", "--flag"], timeoutMs: 1000, env: { A: "1" } });
  assert.deepEqual([job.payload, job.misfire, job.timezone], [{ p: 1 }, "skip", "Europe/London"]);
  assert.equal((await cli("jobs", "add", "--cron", "0 9 * * *", "--at", "2026-01-01T00:00:00Z")).status, 2, "one schedule only");
  assert.equal((await cli("jobs", "add", "--cron", "0 9 * * 8")).status, 2, "the daemon rejects a bad cron: a usage error, like the CLI's own");
  assert.equal((await cli("jobs", "disable", "b")).status, 0);
  assert.equal((await c.jobs.get({ id: "b" })).enabled, false);
  assert.equal((await c.jobs.get({ id: "b" })).nextRunAt, undefined);
  assert.equal((await cli("jobs", "enable", "b")).status, 0);
  assert.equal((await c.jobs.get({ id: "b" })).enabled, true);
  await cli("jobs", "add", "--id", "ev", "--cron", "@daily");
  const trig = await cli("jobs", "trigger", "ev", "--json");
  assert.equal(trig.status, 0, trig.out);
  const runId = (JSON.parse(trig.out) as { id: string }).id;
  const show = await cli("runs", "show", runId);
  assert.match(show.out, /status\s+pending/);
});
