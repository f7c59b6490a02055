/**
 * Exec actions (SPEC §3.3): argv without a shell, the run as JSON on stdin, the ids in the
 * environment, output capped at 64 KiB, the process group killed at the timeout, and a missing
 * program a failed run rather than a crash. Real processes, so real time.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runExec, type ExecOutput } from "../../src/daemon/scheduler/exec.js";
import type { Run } from "../../src/domain/jobs.js";
import { jobInput, ManualClock, makeScheduler, memoryBackend, runsOf, settler, waitFor } from "./harness.js";

const run: Run = {
  id: "run-1", jobId: "job-1", scheduledFor: "2026-01-01T00:00:00.000Z", firedAt: "2026-01-01T00:00:00.000Z",
  firedBy: "t", status: "claimed", attempt: 1,
};
const node = process.execPath;

test("exec: stdin carries the run and payload, the environment carries the ids, no shell", async () => {
  const script = `let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);` +
    `console.log(JSON.stringify({id:r.id,payload:r.payload,env:[process.env.AGENTSTATE_RUN_ID,process.env.AGENTSTATE_JOB_ID,process.env.EXTRA],arg:process.argv[1]}))})`;
  const result = await runExec({ type: "exec", argv: [node, "-e", script, "$HOME;echo hi"], env: { EXTRA: "x" } }, run, { n: 1 }).done;
  assert.equal(result.status, "succeeded", result.error);
  assert.deepEqual(JSON.parse(result.output.stdout), { id: "run-1", payload: { n: 1 }, env: ["run-1", "job-1", "x"], arg: "$HOME;echo hi" });
  assert.equal(result.output.exitCode, 0);
});

test("exec: a non-zero exit is a failed run with the exit code; output is capped at 64 KiB", async () => {
  const result = await runExec({ type: "exec", argv: [node, "-e", `process.stdout.write("x".repeat(200000));process.stderr.write("boom");process.exitCode=3`] }, run, {}).done;
  assert.equal(result.status, "failed");
  assert.equal(result.error, "exited with code 3");
  assert.equal(result.output.exitCode, 3);
  assert.equal(result.output.stdout.length + result.output.stderr.length, 64 * 1024);
  assert.equal(result.output.truncated, true);
});

test("exec: a missing program is a failed run with a clear error", async () => {
  const result = await runExec({ type: "exec", argv: ["/nonexistent/agentstate-no-such-program", "x"] }, run, {}).done;
  assert.equal(result.status, "failed");
  assert.match(result.error ?? "", /program not found: "\/nonexistent\/agentstate-no-such-program"/);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test("exec: the timeout kills the whole process group", async () => {
  // sh starts a background sleep (a grandchild) and waits; both must die at the timeout.
  const started = Date.now();
  const result = await runExec({ type: "exec", argv: ["sh", "-c", "sleep 30 & echo $!; wait"], timeoutMs: 300 }, run, {}).done;
  assert.ok(Date.now() - started < 5000, "did not wait for the sleep");
  assert.equal(result.status, "failed");
  assert.match(result.error ?? "", /timed out after 300 ms/);
  assert.equal(result.output.timedOut, true);
  const grandchild = Number(result.output.stdout.trim());
  assert.ok(grandchild > 0);
  await waitFor("the grandchild to die", async () => !alive(grandchild), 2000);
});

test("exec jobs through the scheduler: fired, run once, finished with output; deleteAfterRun removes the job", async (t) => {
  const clock = new ManualClock("2026-05-01T10:00:00Z");
  const backend = memoryBackend(clock);
  const a = makeScheduler(backend, clock, "a");
  const b = makeScheduler(backend, clock, "b");
  clock.settle = settler(() => [a, b]);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  await backend.jobs.saveJob(jobInput("ok", { schedule: { at: "2026-05-01T10:00:01Z" }, action: { type: "exec", argv: [node, "-e", "console.log(process.env.AGENTSTATE_JOB_ID)"] } }));
  await backend.jobs.saveJob(jobInput("missing", { schedule: { at: "2026-05-01T10:00:01Z" }, action: { type: "exec", argv: ["agentstate-no-such-program"] } }));
  await backend.jobs.saveJob(jobInput("once", { schedule: { at: "2026-05-01T10:00:01Z" }, deleteAfterRun: true, action: { type: "exec", argv: [node, "-e", ""] } }));
  await Promise.all([a.start(), b.start()]);
  await clock.advance(2000);
  const ok = await waitFor("ok to finish", async () => (await runsOf(backend, "ok")).find((r) => r.status === "succeeded"));
  assert.equal((ok.output as ExecOutput).stdout, "ok\n");
  assert.match(ok.claimedBy ?? "", /^agentstated:[ab]$/);
  const failed = await waitFor("missing to fail", async () => (await runsOf(backend, "missing")).find((r) => r.status === "failed"));
  assert.match(failed.error ?? "", /program not found/);
  assert.match((await backend.jobs.getJob("missing")).lastError ?? "", /program not found/);
  await waitFor("the deleteAfterRun job to go", async () => !(await backend.jobs.listJobs({ limit: 10 })).items.some((j) => j.id === "once"));
  assert.equal(a.stats.execs + b.stats.execs, 3, "each run executed once");

  // jobs.trigger of an exec job (a pending run made outside the scheduler) is picked up from the change feed
  const triggered = await backend.jobs.triggerJob("ok", "manual-1");
  await waitFor("the triggered run to finish", async () => (await backend.jobs.getRun(triggered.id)).status === "succeeded");
});
