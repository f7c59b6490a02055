/**
 * R7: a legacy import interrupted by SIGKILL, then run again: nothing lost, nothing duplicated.
 * The daemon (jsonl backend) imports a large tree slowly (AGENTSTATE_MIGRATE_DELAY_MS) and is
 * killed at a random moment, twice; a third daemon finishes the import.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { Connection } from "../../src/client/connection.js";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { MIGRATE_PROGRESS, type LegacyReport } from "../../src/domain/migrate.js";
import { rootsFor } from "../../src/migrate/legacy/index.js";
import { exited, spawnDaemon } from "../helpers/spawn-daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { writeInfer, writePicoclaw, writeRelayburn } from "./fixtures.js";

test("R7: SIGKILL during a legacy import, twice, then again: every record once", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const infer = writeInfer(join(dir, "infer"), { conversations: 25, plans: 30 });
  const pico = writePicoclaw(join(dir, "pico"));
  const burn = writeRelayburn(join(dir, "burn"), 2500);
  const roots = rootsFor([join(dir, "infer"), join(dir, "pico"), join(dir, "burn")]);
  const socket = join(dir, "run", "a.sock");
  const args = ["--socket", socket, "--backend", "jsonl", "--data-dir", join(dir, "data"), "--log-level", "error"];

  for (let round = 0; round < 2; round++) {
    const d = await spawnDaemon(args, { AGENTSTATE_MIGRATE_DELAY_MS: "15" });
    const conn = new Connection({ socketPath: socket, timeoutMs: 0, connectTimeoutMs: 2000 });
    const killAt = 3 + Math.floor(Math.random() * 30);
    let killed = false;
    conn.on("notification", (method, params) => {
      if (method === MIGRATE_PROGRESS && Number(params.done) >= killAt && !killed) {
        killed = true;
        d.child.kill("SIGKILL");
      }
    });
    const call = conn.call("migrate.legacy", { roots }).then(() => "finished", () => "interrupted");
    await exited(d.child);
    killed = true;
    assert.equal(await call, "interrupted", `round ${round}: the import ended before the kill at file ${killAt}`);
    conn.close();
  }

  const d = await spawnDaemon(args);
  const conn = new Connection({ socketPath: socket, timeoutMs: 0, connectTimeoutMs: 2000 });
  const report = (await conn.call("migrate.legacy", { roots })) as LegacyReport;
  conn.close();
  assert.ok(report.files.every((f) => f.status !== "failed"), JSON.stringify(report.files.filter((f) => f.status === "failed")));
  d.child.kill("SIGTERM");
  await exited(d.child);

  const b = new JsonlBackend({ dataDir: join(dir, "data"), origin: "check", now: () => new Date() });
  await b.open();
  t.after(() => b.close());
  const sessions = (await b.conversations.listSessions({ limit: 1000 })).items;
  assert.equal(sessions.length, infer.sessions + pico.sessions);
  const stored = sessions.reduce((n, s) => n + s.lastSeq, 0);
  assert.equal(stored, infer.messages + pico.messages, "every message stored exactly once");
  assert.equal((await b.plans.listPlans({ limit: 1000 })).items.length, infer.plans);
  assert.equal((await b.jobs.listJobs({ limit: 1000 })).items.length, infer.jobs);
  assert.equal((await b.history.list({ limit: 1000 })).items.length, infer.history);
  assert.equal((await b.groups.listGroups({ limit: 1000 })).items.length, infer.groups);
  let turns = 0;
  let cursor: string | undefined;
  do {
    const page = await b.ledger.query({ limit: 1000, cursor });
    turns += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  assert.equal(turns, burn.turns);
});
