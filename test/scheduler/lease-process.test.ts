/**
 * R12 (SPEC §11): a worker's claim on a run when its daemon dies on another host. Two daemons share
 * one sqlite database (as two hosts share a Postgres); a claimer holds a run through daemon A, A is
 * SIGKILLed, and daemon B returns the run to pending within the lease (here 3 s, renewed every 1 s),
 * where another worker claims it through B. The measured time is printed for the notes.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { connect } from "../../src/client/index.js";
import { eventually } from "../events/collect.js";
import { ChildWatch, spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

const CLAIMER = fileURLToPath(new URL("../fixtures/claimer.js", import.meta.url));
/** 3 s keeps the test short; R12_LEASE_MS=30000 measures the default lease. */
const LEASE_MS = Number(process.env.R12_LEASE_MS ?? 3000);

test("R12: a claim held through a daemon that is SIGKILLed is pending again within the lease, claimable through another daemon", { timeout: 60_000 + 5 * LEASE_MS }, async (t) => {
  const dir = tempDir(t, "agentstate-lease-");
  const data = join(dir, "data");
  const args = ["--backend", "sqlite", "--data-dir", data, "--timezone", "UTC", "--claim-lease-ms", String(LEASE_MS)];
  const socketA = join(dir, "run", "a.sock");
  const socketB = join(dir, "run", "b.sock");
  const daemonA = await spawnDaemon(t, { socket: socketA, args });
  await spawnDaemon(t, { socket: socketB, args });
  const admin = await connect({ socket: socketB, timeoutMs: 10_000 });
  t.after(() => admin.close());

  await admin.jobs.save({ id: "e", schedule: { cron: "0 3 * * *" }, action: { type: "event" } });
  const run = await admin.jobs.trigger({ id: "e" });

  const child = spawn(process.execPath, ["--enable-source-maps", CLAIMER, socketA, "e", "far-worker", "hold"], { stdio: ["pipe", "pipe", "pipe"] });
  const claimer = new ChildWatch(child);
  t.after(() => claimer.kill("SIGKILL"));
  await eventually(() => assert.match(claimer.stdout, /^ready/m), 15_000);
  child.stdin?.write("go\n");
  const line = await eventually(() => {
    const found = claimer.stdout.split("\n").find((l) => l.startsWith("claimed "));
    assert.ok(found, claimer.stderr);
    return found.slice("claimed ".length);
  }, 15_000);
  const claimed = JSON.parse(line) as { id: string; claimant?: { origin: string } };
  assert.equal(claimed.id, run.id);
  const originA = claimed.claimant?.origin;
  assert.ok(originA);

  // A renews while it lives: after two leases the claim still stands.
  await new Promise((r) => setTimeout(r, 2 * LEASE_MS));
  const held = await admin.runs.get({ id: run.id });
  assert.deepEqual([held.status, held.claimant?.origin], ["claimed", originA]);

  const killedAt = performance.now();
  await daemonA.kill("SIGKILL");
  const back = await eventually(async () => {
    const r = await admin.runs.get({ id: run.id });
    assert.equal(r.status, "pending");
    return r;
  }, 4 * LEASE_MS);
  const seconds = (performance.now() - killedAt) / 1000;
  process.stdout.write(`# R12 sqlite: pending again ${seconds.toFixed(2)} s after SIGKILL (lease ${LEASE_MS / 1000} s, renewed every ${LEASE_MS / 3000} s)\n`);
  assert.ok(seconds <= (LEASE_MS + LEASE_MS / 3) / 1000 + 1, `pending after ${seconds} s`);
  assert.deepEqual([back.attempt, back.claimedBy, back.claimant], [2, undefined, undefined]);

  const near = await connect({ socket: socketB, timeoutMs: 10_000 });
  t.after(() => near.close());
  const again = await near.runs.claim({ jobId: "e", worker: "near-worker" });
  assert.deepEqual([again?.id, again?.attempt, again?.claimedBy], [run.id, 2, "near-worker"]);
});
