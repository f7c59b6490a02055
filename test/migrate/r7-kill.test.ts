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
import { exited, spawnDaemon } from "../helpers/spawn-daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { writeTrees } from "./fixtures/trees.js";

test("R7: SIGKILL during a legacy import, twice, then again: every record once", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const fx = writeTrees(join(dir, "legacy"), { conversations: 25, plans: 30, turns: 2500 });
  const { roots, infer } = fx;
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
  assert.equal(sessions.length, fx.sessions);
  // The interim restore renumbers densely, so lastSeq is the number of messages each session holds.
  const stored = sessions.reduce((n, s) => n + s.lastSeq, 0);
  assert.equal(stored, fx.messages, "every message stored exactly once");
  assert.ok(sessions.every((s) => (s.metadata.imported as { incomplete?: boolean }).incomplete === undefined), "no session left half-written");
  assert.equal((await b.plans.listPlans({ limit: 1000 })).items.length, infer.plans.length);
  assert.equal((await b.jobs.listJobs({ limit: 1000 })).items.length, infer.jobs.length);
  assert.equal((await b.history.list({ limit: 1000 })).items.length, infer.history.length + infer.subagentHistory.commands.length);
  assert.equal((await b.groups.listGroups({ limit: 1000 })).items.length, infer.groups.length);
  let turns = 0;
  let cursor: string | undefined;
  do {
    const page = await b.ledger.query({ limit: 1000, cursor });
    turns += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  assert.equal(turns, fx.turns);
});
