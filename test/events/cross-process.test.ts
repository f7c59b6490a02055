/**
 * Changes made outside this daemon arrive through the same fan-out: another daemon's write on a
 * shared SQLite file, and a hand edit of a jsonl plan file. Also `agentstate events tail`.
 */
import assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { runCli } from "../../src/client/cli/main.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { tempDir } from "../helpers/tmp.js";
import { collect } from "./collect.js";

test("two daemons on one sqlite file: a write on A reaches B's subscriber", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "shared.sqlite");
  const a = await startTestDaemon(t, { store: new SqliteBackend({ path, origin: "A", now: () => new Date() }) });
  const b = await startTestDaemon(t, { store: new SqliteBackend({ path, origin: "B", now: () => new Date() }) });
  const onB = await collect(await b.client(), ["sessions"]);
  const onA = await collect(await a.client(), ["sessions"]);
  const writerA = await a.client();
  const t0 = Date.now();
  await writerA.sessions.create({ id: "from-a" });
  const [got] = await onB.waitForChanges(1);
  const ms = Date.now() - t0;
  assert.equal(got.id, "from-a");
  assert.equal(got.origin, "A");
  assert.ok(ms < 1000, `seen on B after ${ms} ms (poll ≤ 250 ms)`);
  await (await b.client()).sessions.create({ id: "from-b" });
  const onAGot = await onA.waitForChanges(2);
  assert.deepEqual(onAGot.map((c) => [c.id, c.origin]), [["from-a", "A"], ["from-b", "B"]]);
});

test("a hand edit of a jsonl plan file reaches a subscriber", async (t) => {
  const d = await startTestDaemon(t, { backend: "jsonl" });
  const c = await d.client();
  await c.plans.save({ id: "p1", title: "First", body: "one\n" });
  const sub = await collect(c, ["plans:p1"]);
  const file = join(d.config.dataDir, "plans", "p1.md");
  // The files follow the journal within moments (docs/jsonl-layout.md): wait for the plan's, as a person would.
  const deadline = Date.now() + 2000;
  while (!(await fs.stat(file).catch(() => undefined)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const text = await fs.readFile(file, "utf8");
  await fs.writeFile(file, text.replace("one\n", "edited by hand\n"));
  const [got] = await sub.waitForChanges(1, 5000);
  assert.equal(got.type, "plan.saved");
  assert.equal(got.id, "p1");
  assert.equal((await c.plans.get({ id: "p1" })).body, "edited by hand\n");
});

test("agentstate events tail prints one line per change", async (t) => {
  const d = await startTestDaemon(t);
  const c = await d.client();
  await c.sessions.create({ id: "s1" });
  await c.groups.put({ id: "g1" });
  await c.sessions.create({ id: "s2" });
  let out = "";
  const io = { out: (s: string) => void (out += s), err: () => undefined };
  const code = await runCli(["events", "tail", "sessions", "--from", "0", "--count", "2", "--json", "--socket", d.socket, "--no-autostart"], io);
  assert.equal(code, 0);
  const lines = out.trim().split("\n").map((l) => JSON.parse(l) as { id: string; type: string });
  assert.deepEqual(lines.map((l) => l.id), ["s1", "s2"]);
  out = "";
  assert.equal(await runCli(["events", "tail", "--from", "0", "--count", "3", "--socket", d.socket, "--no-autostart"], io), 0);
  const human = out.trim().split("\n");
  assert.equal(human.length, 3);
  assert.match(human[1], /^2 {2}\S+Z {2}group\.saved {2}g1 {2}v1 /);
  assert.equal(await runCli(["events", "tail", "bogus", "--socket", d.socket, "--no-autostart"], io), 2);
});
