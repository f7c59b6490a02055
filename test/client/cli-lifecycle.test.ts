/**
 * The daemon the CLI talks to (issue 19 items 7, 9, 14): status, stop and restart without knowing
 * any pid or lock file; agentstated --help; a second daemon on the same data directory says so in
 * one line; state files are 0600; the autostart log is capped.
 */
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { rotateIfLarge } from "../../src/daemon/log-cap.js";
import { CLI_BIN, DAEMON_BIN, hermeticEnv, runNode, spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

function setup(t: TestContext) {
  // Whatever happens, leave no daemon behind. Registered before the temp dir's removal (after-hooks
  // run in order), so the socket still exists when `stop` looks for the daemon.
  let run: (args: string[]) => ReturnType<typeof runNode> = () => Promise.reject(new Error("not set up"));
  t.after(async () => {
    const r = await run(["stop"]);
    assert.equal(r.code, 0, `cleanup stop: ${r.stderr}`);
  });
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const env = hermeticEnv(join(dir, "config"), { AGENTSTATE_SOCKET: socket, AGENTSTATE_BACKEND: "memory" });
  run = (args: string[]) => runNode(t, CLI_BIN, args, { env, timeoutMs: 30_000 });
  return { dir, socket, env, run };
}

describe("status, stop, restart", () => {
  test("status exits 3 with none; restart starts one; stop stops it and waits until it is gone", async (t) => {
    const { socket, run } = setup(t);
    const none = await run(["status"]);
    assert.equal(none.code, 3, none.stderr);
    assert.match(none.stdout, /^not running: no daemon answers on /);
    assert.ok(!existsSync(socket), "status never starts a daemon");

    const started = await run(["restart"]);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /restarted; running: pid \d+/);
    const status = await run(["status", "--json"]);
    assert.equal(status.code, 0);
    const s = JSON.parse(status.stdout) as { running: boolean; pid: number; backend: string };
    assert.equal(s.running, true);
    assert.equal(s.backend, "memory");

    const again = await run(["restart", "--json"]);
    assert.equal(again.code, 0, again.stderr);
    const pid2 = (JSON.parse(again.stdout) as { pid: number }).pid;
    assert.notEqual(pid2, s.pid, "a new process");
    assert.throws(() => process.kill(s.pid, 0), "the old one is gone");

    const stopped = await run(["stop"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`^stopped the daemon \\(pid ${pid2}\\)`));
    assert.throws(() => process.kill(pid2, 0));
    const idle = await run(["stop"]);
    assert.equal(idle.code, 0);
    assert.match(idle.stdout, /nothing to stop/);
  });
});

describe("agentstated", () => {
  test("--help and --version", async (t) => {
    const env = hermeticEnv(join(tempDir(t), "config"));
    const help = await runNode(t, DAEMON_BIN, ["--help"], { env });
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^agentstated \d+\.\d+\.\d+/);
    assert.match(help.stdout, /--data-dir/);
    const version = await runNode(t, DAEMON_BIN, ["--version"], { env });
    assert.equal(version.code, 0);
    const daemonHelp = await runNode(t, CLI_BIN, ["daemon", "--help"], { env });
    assert.equal(daemonHelp.code, 0);
    assert.match(daemonHelp.stdout, /^agentstated /);
  });

  test("a second daemon on the same data directory prints one clear line, no stack", async (t) => {
    const dir = tempDir(t);
    const data = join(dir, "data");
    await spawnDaemon(t, { socket: join(dir, "a", "s.sock"), args: ["--backend", "jsonl", "--data-dir", data] });
    const second = await runNode(t, DAEMON_BIN, ["--socket", join(dir, "b", "s.sock"), "--backend", "jsonl", "--data-dir", data], { env: hermeticEnv(join(dir, "config")) });
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`^agentstated: data directory ${data.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is in use by process \\d+$`, "m"));
    assert.ok(!/\n\s+at /.test(second.stderr), `no stack trace: ${second.stderr}`);
  });

  test("sqlite files are created 0600, like the jsonl files", async (t) => {
    const dir = tempDir(t);
    const data = join(dir, "data");
    const d = await spawnDaemon(t, { socket: join(dir, "run", "s.sock"), args: ["--backend", "sqlite", "--data-dir", data] });
    await d.kill("SIGTERM");
    const files = readdirSync(data).filter((f) => /\.(db|sqlite)/.test(f));
    assert.ok(files.length > 0, `sqlite files in ${readdirSync(data).join(", ")}`);
    for (const f of files) assert.equal(statSync(join(data, f)).mode & 0o777, 0o600, f);
  });
});

describe("the autostart log", () => {
  test("past its cap the log moves to agentstated.log.1 and starts again", (t) => {
    const dir = tempDir(t);
    const path = join(dir, "agentstated.log");
    const fd = openSync(path, "a", 0o600);
    t.after(() => closeSync(fd));
    writeSync(fd, "x".repeat(100));
    assert.equal(rotateIfLarge(path, fd, 1000), false);
    writeSync(fd, "y".repeat(1000));
    assert.equal(rotateIfLarge(path, fd, 1000), true);
    assert.equal(readFileSync(`${path}.1`, "utf8").length, 1100);
    assert.equal(statSync(path).size, 0);
    writeSync(fd, "after\n");
    assert.equal(readFileSync(path, "utf8"), "after\n", "appends continue at the new start");
  });

  test("an autostarted daemon is told where its log is (to cap it), and the log is 0600", async (t) => {
    const { dir, run } = setup(t);
    const r = await run(["ping"]);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse((await run(["status", "--json"])).stdout) as { pid: number };
    const environ = readFileSync(`/proc/${status.pid}/environ`, "utf8").split("\0");
    assert.ok(environ.includes(`AGENTSTATE_LOG_FILE=${join(dir, "run", "agentstated.log")}`), environ.filter((e) => e.startsWith("AGENTSTATE")).join(" "));
    assert.equal(statSync(join(dir, "run", "agentstated.log")).mode & 0o777, 0o600);
  });
});

describe("autostart that fails", () => {
  test("says why: the end of the started daemon's log", async (t) => {
    const dir = tempDir(t);
    const data = join(dir, "data");
    await spawnDaemon(t, { socket: join(dir, "a", "s.sock"), args: ["--backend", "jsonl", "--data-dir", data] });
    const socket = join(dir, "b", "s.sock");
    const r = await runNode(t, CLI_BIN, ["ping", "--socket", socket, "--backend", "jsonl", "--data-dir", data], { env: hermeticEnv(join(dir, "config")), timeoutMs: 30_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /did not answer within 5 s\. .*agentstated\.log ends with:\n/);
    assert.match(r.stderr, /data directory .* is in use by process \d+/);
  });
});
