/**
 * Logs (SPEC §8): JSON lines on stderr; journald priority prefixes only when JOURNAL_STREAM names
 * the stream stderr really is; message bodies and secrets never reach the log, even at debug level
 * and when a start fails on a URL with a password.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { redactSecrets } from "../../src/daemon/logger.js";
import { RawSocket } from "../helpers/raw.js";
import { ChildWatch, DAEMON_BIN, hermeticEnv, runNode, spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("redactSecrets: URL passwords and secret-looking query parameters", () => {
  assert.equal(redactSecrets("postgres://agent:hunter2@db:5432/x"), "postgres://agent:***@db:5432/x");
  assert.equal(redactSecrets('{"error":"connect redis://:pw@127.0.0.1:6379 failed"}'), '{"error":"connect redis://:***@127.0.0.1:6379 failed"}');
  assert.equal(redactSecrets("https://h/x?user=a&password=p&api_key=k&q=1"), "https://h/x?user=a&password=***&api_key=***&q=1");
  assert.equal(redactSecrets("http://host:8080/path and 12:30@noon"), "http://host:8080/path and 12:30@noon");
});

test("under journald (JOURNAL_STREAM is stderr) every line has its priority prefix", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const logFile = join(dir, "stderr.log");
  const fd = openSync(logFile, "w");
  const st = fstatSync(fd);
  const child = spawn(process.execPath, [DAEMON_BIN, "--socket", socket, "--backend", "memory", "--log-level", "debug"], {
    env: hermeticEnv(join(dir, "config-home"), { JOURNAL_STREAM: `${st.dev}:${st.ino}` }),
    stdio: ["ignore", "pipe", fd],
  });
  closeSync(fd);
  const watch = new ChildWatch(child);
  t.after(() => watch.kill("SIGKILL"));
  const deadline = Date.now() + 10_000;
  while (!readFileSync(logFile, "utf8").includes('"msg":"listening"')) {
    assert.ok(watch.running && Date.now() < deadline, readFileSync(logFile, "utf8"));
    await sleep(25);
  }
  assert.deepEqual(await watch.kill("SIGTERM"), { code: 0, signal: null });
  const lines = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
  const byLevel: Record<string, string> = { error: "<3>", warn: "<4>", info: "<6>", debug: "<7>" };
  assert.ok(lines.length >= 3);
  for (const line of lines) {
    const m = /^(<\d>)(\{.*\})$/.exec(line);
    assert.ok(m, line);
    const rec = JSON.parse(m[2]) as { level: string };
    assert.equal(m[1], byLevel[rec.level], line);
  }
  assert.ok(lines.some((l) => l.startsWith("<7>")), "debug lines at <7>");
});

test("a JOURNAL_STREAM that is not our stderr (inherited, redirected) gets plain JSON", async (t) => {
  const socket = join(tempDir(t), "run", "agentstate.sock");
  const d = await spawnDaemon(t, { socket, env: { JOURNAL_STREAM: "8:12345" } });
  assert.deepEqual(await d.kill("SIGTERM"), { code: 0, signal: null });
  for (const line of d.stderr.split("\n").filter(Boolean)) assert.ok(line.startsWith("{"), line);
});

test("message bodies and secrets are never logged, even at debug level", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const BODY = "BODY-do-not-log-7f3a";
  const PASSWORD = "hunter2-do-not-log";
  const url = `postgres://agent:${PASSWORD}@127.0.0.1:1/agentstate?sslpassword=${PASSWORD}`;
  const d = await spawnDaemon(t, { socket, args: ["--log-level", "debug"], env: { AGENTSTATE_URL: url } });
  const raw = await RawSocket.connect(socket, t);
  const call = (id: number, method: string, params: unknown) => raw.roundTrip({ jsonrpc: "2.0", id, method, params });
  assert.ok((await call(1, "sessions.create", { id: "s1", metadata: { note: BODY } })).result);
  assert.ok((await call(2, "messages.append", { sessionId: "s1", messages: [{ role: "user", content: `${BODY} api_key=sk-${PASSWORD}` }] })).result !== undefined);
  // Rejected calls whose params carry the body: invalid params, unknown method, wrong types.
  assert.ok((await call(3, "messages.append", { sessionId: "s1", messages: [{ content: BODY }] })).error);
  assert.ok((await call(4, "no.such.method", { content: BODY })).error);
  assert.ok((await call(5, "sessions.create", [BODY])).error);
  await raw.send(`{"jsonrpc":"2.0","id":6,"method":"messages.append","params":{"content":"${BODY}"\n`);
  await raw.nextLine();
  raw.destroy();
  d.child.kill("SIGHUP");
  await d.waitForLog((l) => l.msg === "reloaded" || l.msg.startsWith("reload failed"));
  assert.deepEqual(await d.kill("SIGTERM"), { code: 0, signal: null }, d.stderr);
  assert.ok(d.logs().some((l) => l.msg === "configuration"), "the debug configuration line was written");
  assert.ok(!d.stderr.includes(BODY), `a message body reached the log:\n${d.stderr}`);
  assert.ok(!d.stderr.includes(PASSWORD), `a secret reached the log:\n${d.stderr}`);
});

test("a start that fails on a URL with a password does not log the password", async (t) => {
  const dir = tempDir(t);
  const PASSWORD = "hunter3-do-not-log";
  for (const backend of ["postgres", "redis"]) {
    const r = await runNode(
      t,
      DAEMON_BIN,
      ["--socket", join(dir, "run", `${backend}.sock`), "--backend", backend, "--url", `${backend}://agent:${PASSWORD}@127.0.0.1:1/0`],
      { env: hermeticEnv(join(dir, "config-home"), { AGENTSTATE_LOG_LEVEL: "debug" }), timeoutMs: 20_000 },
    );
    assert.ok(!`${r.stdout}${r.stderr}`.includes(PASSWORD), `${backend}: a secret reached the output:\n${r.stderr}`);
  }
});
