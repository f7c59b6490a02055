/** RPC-level behaviour of jobs and runs: defaults, the errors a caller can cause, and the CLI verbs. */
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { RpcCallError } from "../../src/client/errors.js";
import { runCli } from "../../src/client/cli/main.js";
import type { Client } from "../../src/client/index.js";
import { startTestDaemon } from "../helpers/daemon.js";

async function rejectsWith(p: Promise<unknown>, rpcCode: number, code: string, issuePath?: string): Promise<RpcCallError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RpcCallError, `expected RpcCallError, got ${String(err)}`);
    assert.equal(err.rpcCode, rpcCode, err.message);
    assert.equal(err.code, code);
    if (issuePath !== undefined) {
      const issues = err.data?.issues as { path: string }[] | undefined;
      assert.ok(issues?.some((i) => i.path === issuePath), `issues ${JSON.stringify(issues)} name ${issuePath}`);
    }
    return err;
  }
  assert.fail(`expected ${code}`);
}

type SaveParams = Parameters<Client["jobs"]["save"]>[0];
const loose = (p: Record<string, unknown>) => p as unknown as SaveParams;

async function cli(t: TestContext, socket: string, argv: string[]) {
  let out = "";
  let err = "";
  const status = await runCli([...argv, "--socket", socket, "--no-autostart"], { out: (s) => void (out += s), err: (s) => void (err += s) });
  t.diagnostic(`agentstate ${argv.join(" ")} → ${status}`);
  return { status, out, err };
}

test("jobs over RPC: defaults applied once, then trigger, claim and finish", async (t) => {
  const d = await startTestDaemon(t, { timezone: "America/New_York" });
  const c = await d.client();
  const job = await c.jobs.save({ schedule: { cron: "30 2 * * *" } });
  assert.match(job.id, /^[0-9A-HJKMNP-TV-Z]{26}$/, "an omitted id is a ULID");
  assert.equal(job.timezone, "America/New_York", "the daemon's zone");
  assert.deepEqual([job.enabled, job.deleteAfterRun, job.misfire, job.noOverlap], [true, false, "once", true]);
  assert.deepEqual(job.action, { type: "event" });
  assert.deepEqual(job.payload, {});
  assert.ok(job.nextRunAt && job.nextRunAt > new Date().toISOString());
  assert.deepEqual(await c.jobs.get({ id: job.id }), job);
  const every = await c.jobs.save({ id: "e", schedule: { cron: "@every 1h30m" }, timezone: "UTC", payload: [1, "two"] });
  assert.equal(every.nextRunAt, every.anchorAt);
  assert.deepEqual(every.payload, [1, "two"]);
  assert.deepEqual((await c.jobs.list({})).items.map((j) => j.id).sort(), ["e", job.id].sort());

  const run = await c.jobs.trigger({ id: "e" });
  assert.equal(run.status, "pending");
  assert.match(run.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => c.runs.claim({ jobId: "e", worker: `w${i}` })));
  assert.equal(claims.filter((r) => r !== null).length, 1, "one claimer gets it");
  assert.equal(await c.runs.claim({ worker: "late" }), null);
  const done = await c.runs.finish({ runId: run.id, status: "succeeded", output: { ok: true } });
  assert.equal(done.status, "succeeded");
  assert.deepEqual(await c.runs.get({ id: run.id }), done);
  assert.deepEqual((await c.runs.list({ jobId: "e", status: "succeeded" })).items.map((r) => r.id), [run.id]);
  assert.equal((await c.jobs.get({ id: "e" })).lastStatus, "succeeded");
  assert.deepEqual(await c.jobs.delete({ id: "e" }), { deleted: true });
});

test("jobs over RPC: NOT_FOUND, CONFLICT, INVALID_STATE", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  await rejectsWith(c.jobs.get({ id: "missing" }), -32001, "NOT_FOUND");
  await rejectsWith(c.jobs.delete({ id: "missing" }), -32001, "NOT_FOUND");
  await rejectsWith(c.jobs.trigger({ id: "missing" }), -32001, "NOT_FOUND");
  await rejectsWith(c.runs.get({ id: "missing" }), -32001, "NOT_FOUND");
  await rejectsWith(c.runs.finish({ runId: "missing", status: "failed" }), -32001, "NOT_FOUND");
  await c.jobs.save({ id: "j", schedule: { cron: "@daily" } });
  const conflict = await rejectsWith(c.jobs.save({ id: "j", schedule: { cron: "@daily" }, expectedVersion: 4 }), -32002, "CONFLICT");
  assert.deepEqual([conflict.data?.expectedVersion, conflict.data?.actualVersion], [4, 1]);
  await rejectsWith(c.jobs.delete({ id: "j", expectedVersion: 2 }), -32002, "CONFLICT");
  const run = await c.jobs.trigger({ id: "j" });
  await rejectsWith(c.runs.finish({ runId: run.id, status: "succeeded" }), -32006, "INVALID_STATE");
  await c.runs.claim({ runId: run.id, worker: "w1" });
  await rejectsWith(c.runs.finish({ runId: run.id, status: "succeeded", worker: "w2" }), -32002, "CONFLICT");
});

test("jobs over RPC: INVALID_PARAMS names the field", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  const bad = await rejectsWith(c.jobs.save({ schedule: { cron: "61 * * * *" } }), -32602, "INVALID_PARAMS", "/schedule/cron");
  assert.match(String((bad.data?.issues as { message: string }[])[0].message), /minute: 61/);
  await rejectsWith(c.jobs.save({ schedule: { cron: "* * *" } }), -32602, "INVALID_PARAMS", "/schedule/cron");
  await rejectsWith(c.jobs.save({ schedule: { cron: "@every 5 minutes" } }), -32602, "INVALID_PARAMS", "/schedule/cron");
  await rejectsWith(c.jobs.save({ schedule: { cron: "@reboot" } }), -32602, "INVALID_PARAMS", "/schedule/cron");
  const zone = await rejectsWith(c.jobs.save({ schedule: { cron: "@daily" }, timezone: "Mars/Olympus" }), -32602, "INVALID_PARAMS", "/timezone");
  assert.match(zone.message + JSON.stringify(zone.data), /Mars\/Olympus/);
  await rejectsWith(c.jobs.save({ schedule: { cron: "@daily" }, anchorAt: "2026-01-01T00:00:00Z" }), -32602, "INVALID_PARAMS", "/anchorAt");
  await rejectsWith(c.jobs.save(loose({ schedule: { at: "tomorrow" } })), -32602, "INVALID_PARAMS", "/schedule");
  await rejectsWith(c.jobs.save(loose({ schedule: { cron: "@daily" }, misfire: "sometimes" })), -32602, "INVALID_PARAMS", "/misfire");
  await rejectsWith(c.jobs.save(loose({ schedule: { cron: "@daily" }, action: { type: "exec", argv: [] } })), -32602, "INVALID_PARAMS", "/action");
  await rejectsWith(c.jobs.save(loose({ schedule: { cron: "@daily" }, colour: "red" })), -32602, "INVALID_PARAMS", "/colour");
  await rejectsWith(c.jobs.save(loose({})), -32602, "INVALID_PARAMS", "/schedule");
  await rejectsWith(c.runs.claim(loose({}) as unknown as Parameters<Client["runs"]["claim"]>[0]), -32602, "INVALID_PARAMS", "/worker");
  const finish = { runId: "r", status: "claimed" } as unknown as Parameters<Client["runs"]["finish"]>[0];
  await rejectsWith(c.runs.finish(finish), -32602, "INVALID_PARAMS", "/status");
  await rejectsWith(c.runs.list({ status: "done" as unknown as "failed" }), -32602, "INVALID_PARAMS", "/status");
  await rejectsWith(c.runs.list({ cursor: "nope" }), -32602, "INVALID_PARAMS", "/cursor");
  await rejectsWith(c.jobs.list({ limit: 1001 }), -32602, "INVALID_PARAMS", "/limit");
  assert.deepEqual((await c.jobs.list({})).items, [], "nothing was stored");
});

test("jobs over RPC: TOO_LARGE for payload and output beyond maxValueBytes", async (t) => {
  const d = await startTestDaemon(t, { maxValueBytes: 100 });
  const c = await d.client();
  const big = "x".repeat(200);
  const err = await rejectsWith(c.jobs.save({ id: "j", schedule: { cron: "@daily" }, payload: { big } }), -32003, "TOO_LARGE");
  assert.equal(err.data?.limit, 100);
  await rejectsWith(c.jobs.get({ id: "j" }), -32001, "NOT_FOUND");
  await c.jobs.save({ id: "j", schedule: { cron: "@daily" }, payload: { small: true } });
  const run = await c.jobs.trigger({ id: "j" });
  await c.runs.claim({ runId: run.id, worker: "w" });
  await rejectsWith(c.runs.finish({ runId: run.id, status: "succeeded", output: big }), -32003, "TOO_LARGE");
  assert.equal((await c.runs.get({ id: run.id })).status, "claimed", "nothing was stored");
});

test("jobs over the CLI: list, show, runs list, rm", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  await c.jobs.save({ id: "nightly", name: "Nightly report", schedule: { cron: "0 3 * * *" }, timezone: "Europe/London" });
  await c.jobs.save({ id: "paused", schedule: { at: "2030-01-01T00:00:00.000Z" }, enabled: false });
  const run = await c.jobs.trigger({ id: "nightly" });

  const listed = await cli(t, d.socket, ["jobs", "list", "--json"]);
  assert.equal(listed.status, 0, listed.err);
  assert.deepEqual((JSON.parse(listed.out) as { items: { id: string }[] }).items.map((j) => j.id), ["nightly", "paused"]);
  const human = await cli(t, d.socket, ["jobs", "list", "--disabled"]);
  assert.match(human.out, /^ID\s+NAME\s+SCHEDULE/);
  assert.match(human.out, /paused .*at 2030-01-01T00:00:00\.000Z/);
  assert.doesNotMatch(human.out, /nightly/);
  const shown = await cli(t, d.socket, ["jobs", "show", "nightly", "--json"]);
  assert.equal((JSON.parse(shown.out) as { name: string }).name, "Nightly report");
  const runs = await cli(t, d.socket, ["runs", "list", "--job", "nightly", "--status", "pending", "--json"]);
  assert.deepEqual((JSON.parse(runs.out) as { items: { id: string }[] }).items.map((r) => r.id), [run.id]);
  const table = await cli(t, d.socket, ["runs", "list"]);
  assert.match(table.out, new RegExp(`${run.id}\\s+nightly\\s+\\S+\\s+pending`));
  assert.equal((await cli(t, d.socket, ["runs", "list", "--status", "bogus"])).status, 2);
  const noArg = await cli(t, `${d.socket}.nowhere`, ["jobs", "show"]);
  assert.equal(noArg.status, 2, "usage is checked before connecting");
  assert.match(noArg.err, /missing <id>/);
  assert.equal((await cli(t, d.socket, ["jobs", "show", "missing"])).status, 1);
  const rm = await cli(t, d.socket, ["jobs", "rm", "nightly", "--json"]);
  assert.deepEqual(JSON.parse(rm.out), { deleted: true });
  await rejectsWith(c.jobs.get({ id: "nightly" }), -32001, "NOT_FOUND");
});
