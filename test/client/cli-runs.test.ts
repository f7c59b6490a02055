/**
 * Jobs and runs from the CLI (issue 19 items 3 and 10): an event job says its runs wait for a
 * worker; runs claim/finish/cancel; runs show prints exec output as text; health warns when event
 * runs wait with nobody claiming them; the README's first job is one that runs.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SchedulerStats, schedulerHealth } from "../../src/daemon/scheduler/health.js";
import { WAIT_WARN_MS, WaitingRuns } from "../../src/daemon/scheduler/waiting.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { ROOT } from "../helpers/spawn.js";
import { cli } from "../helpers/cli.js";


describe("event jobs and their runs", () => {
  test("jobs add of an event job warns that its runs wait for a worker; an exec job does not", async (t) => {
    const d = await startTestDaemon(t);
    const ev = await cli(["jobs", "add", "--name", "nightly", "--cron", "0 3 * * *", "--socket", d.socket]);
    assert.equal(ev.code, 0, ev.err);
    assert.match(ev.err, /runs wait as pending until a worker claims them/);
    const ex = await cli(["jobs", "add", "--name", "backup", "--cron", "0 3 * * *", "--exec", "--socket", d.socket, "--", "/bin/true"]);
    assert.equal(ex.code, 0, ex.err);
    assert.equal(ex.err, "");
  });

  test("runs claim runs a program on a pending run and finishes it by the exit code", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    await client.jobs.save({ id: "ev", schedule: { cron: "@yearly" }, payload: { prompt: "hi" }, noOverlap: false });
    const run = await client.jobs.trigger({ id: "ev" });
    const ok = await cli(["runs", "claim", "--job", "ev", "--socket", d.socket, "--", process.execPath, "-e",
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const j=JSON.parse(s);console.log(j.payload.prompt, process.env.AGENTSTATE_RUN_ID)})"]);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.out, `hi ${run.id}\n`);
    const done = await client.runs.get({ id: run.id });
    assert.equal(done.status, "succeeded");
    assert.equal((done.output as { stdout: string }).stdout, `hi ${run.id}\n`);

    await client.jobs.trigger({ id: "ev" });
    const failed = await cli(["runs", "claim", "--socket", d.socket, "--", "/bin/sh", "-c", "exit 3"]);
    assert.equal(failed.code, 1);
    const none = await cli(["runs", "claim", "--socket", d.socket, "--", "/bin/true"]);
    assert.equal(none.code, 0);
    assert.match(none.err, /no pending run/);
  });

  test("runs finish and runs cancel settle a pending run by hand", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    await client.jobs.save({ id: "ev", schedule: { cron: "@yearly" }, noOverlap: false });
    const a = await client.jobs.trigger({ id: "ev" });
    const b = await client.jobs.trigger({ id: "ev" });
    const fin = await cli(["runs", "finish", a.id, "succeeded", "--output", '{"note":"by hand"}', "--socket", d.socket]);
    assert.equal(fin.code, 0, fin.err);
    assert.deepEqual((await client.runs.get({ id: a.id })).output, { note: "by hand" });
    const cancel = await cli(["runs", "cancel", b.id, "--reason", "no worker yet", "--socket", d.socket]);
    assert.equal(cancel.code, 0, cancel.err);
    const got = await client.runs.get({ id: b.id });
    assert.equal(got.status, "failed");
    assert.equal(got.error, "cancelled: no worker yet");
    const again = await cli(["runs", "cancel", b.id, "--socket", d.socket]);
    assert.equal(again.code, 2);
    assert.match(again.err, /is failed; only a pending or claimed run/);
  });

  test("runs show prints an exec run's output as text", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    await client.jobs.save({ id: "ex", schedule: { cron: "@yearly" }, action: { type: "exec", argv: ["/bin/sh", "-c", "printf 'line one\\nline \\033[31mtwo\\n'; echo oops >&2"] } });
    const run = await client.jobs.trigger({ id: "ex" });
    const deadline = Date.now() + 10_000;
    while ((await client.runs.get({ id: run.id })).status !== "succeeded") {
      assert.ok(Date.now() < deadline, "the exec run finished");
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await cli(["runs", "show", run.id, "--socket", d.socket]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /--- stdout ---\nline one\nline \\e\[31mtwo\n--- stderr ---\noops\n$/);
    assert.match(r.out, /output\s+\{"exitCode":0/);
  });
});

describe("health", () => {
  test("the scheduler warns when event runs wait over a minute with nobody claiming them", () => {
    const waiting = new WaitingRuns();
    const t0 = 1_000_000;
    waiting.fired("r1", "nightly", t0);
    waiting.fired("r2", "other", t0 + 10);
    waiting.settled("r2");
    const live = { nextDueAt: null, running: 0, claims: 0, started: true };
    assert.equal(schedulerHealth(new SchedulerStats(), { ...live, waiting: waiting.overdue(t0 + 1000) }).status, "pass");
    const late = schedulerHealth(new SchedulerStats(), { ...live, waiting: waiting.overdue(t0 + WAIT_WARN_MS + 1) });
    assert.equal(late.status, "warn");
    assert.match(String(late.message), /1 event run\(s\) pending .* no worker claiming them \(oldest: run r1 of job nightly\)/);
    waiting.jobDeleted("nightly");
    assert.equal(waiting.overdue(t0 + WAIT_WARN_MS + 1).count, 0);
  });
});

describe("README", () => {
  test("the first job example runs without a worker (an exec job), and the run verbs are documented", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const first = readme.split("\n").find((l) => /agentstate(\.js)? jobs add/.test(l));
    assert.ok(first, "README shows jobs add");
    assert.match(first, /--exec/);
    assert.match(readme, /agentstate runs claim/);
  });
});
