/**
 * The CLI (SPEC §8, §9): runCli in process for output and exit codes, the real bin/agentstate.js
 * where the process exit code itself or autostart is the point.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { connect } from "../../src/client/index.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { RawSocket } from "../helpers/raw.js";
import { CLI_BIN, hermeticEnv, runNode } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";
import { cli } from "../helpers/cli.js";


/** A socket path in a fresh directory where nothing listens. */
const nowhere = (t: TestContext) => join(tempDir(t), "run", "agentstate.sock");

describe("against a running daemon", () => {
  test("ping prints pong and exits 0; --json prints JSON", async (t) => {
    const d = await startTestDaemon(t);
    const human = await cli(["ping", "--socket", d.socket]);
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, new RegExp(`^pong from ${d.socket.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} in \\d+\\.\\d\\d ms\\n$`));
    const json = await cli(["ping", "--socket", d.socket, "--json"]);
    assert.equal(json.code, 0);
    const parsed = JSON.parse(json.out) as { pong: boolean; socket: string; roundTripUs: number };
    assert.equal(parsed.pong, true);
    assert.equal(parsed.socket, d.socket);
    assert.ok(Number.isInteger(parsed.roundTripUs));
  });

  test("health: exit 0 and a Nagios line with perfdata; --json prints the health document", async (t) => {
    const d = await startTestDaemon(t);
    const human = await cli(["health", "--socket", d.socket]);
    assert.equal(human.code, 0, human.out + human.err);
    assert.match(human.out, /^AGENTSTATE OK - .*backend pass.* \| (\S+=\S+)( \S+=\S+)*\n$/);
    assert.match(human.out, /\| uptime=\d+s /);
    assert.match(human.out, /backend_latency=[\d.]+ms/);

    const json = await cli(["health", "--socket", d.socket, "--json"]);
    assert.equal(json.code, 0);
    const health = JSON.parse(json.out) as { status: string; checks: Record<string, { status: string }>; version: string; uptime: number };
    assert.equal(health.status, "pass");
    assert.equal(health.checks.backend.status, "pass");
    assert.equal(typeof health.checks.eventLoop.status, "string");
    assert.equal(typeof health.version, "string");
    assert.equal(typeof health.uptime, "number");
  });

  test("an RPC error exits 1 with its code in brackets", async (t) => {
    const d = await startTestDaemon(t);
    const r = await cli(["sessions", "show", "missing-id", "--socket", d.socket]);
    assert.equal(r.code, 1);
    assert.match(r.err, /\[NOT_FOUND\]/);
    assert.equal(r.out, "");
  });

  test("sessions list and show print what the daemon holds", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    await client.sessions.create({ id: "cli-1", title: "from the client" });
    const list = await cli(["sessions", "list", "--socket", d.socket, "--json"]);
    assert.equal(list.code, 0, list.err);
    assert.deepEqual((JSON.parse(list.out) as { items: { id: string }[] }).items.map((s) => s.id), ["cli-1"]);
    const show = await cli(["sessions", "show", "cli-1", "--socket", d.socket]);
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, /title\s+from the client/);
  });
});

describe("configuration and usage", () => {
  test("config --json prints the resolved config with the url redacted and each source", async () => {
    const r = await cli(["config", "--json", "--socket", "/x/agentstate.sock", "--url", "postgres://agent:hunter2@db/state", "--backend", "postgres"]);
    assert.equal(r.code, 0, r.err);
    assert.ok(!r.out.includes("hunter2"), r.out);
    const { config, sources } = JSON.parse(r.out) as { config: Record<string, unknown>; sources: Record<string, string> };
    assert.equal(config.url, "postgres://agent:***@db/state");
    assert.equal(config.socket, "/x/agentstate.sock");
    assert.equal(config.backend, "postgres");
    assert.equal(sources.url, "flag");
    assert.equal(sources.logLevel, "default");
  });

  test("config reads AGENTSTATE_* from the environment", async (t) => {
    process.env.AGENTSTATE_LOG_LEVEL = "debug";
    t.after(() => delete process.env.AGENTSTATE_LOG_LEVEL);
    const r = await cli(["config", "--json"]);
    const { config, sources } = JSON.parse(r.out) as { config: Record<string, unknown>; sources: Record<string, string> };
    assert.equal(config.logLevel, "debug");
    assert.equal(sources.logLevel, "env");
  });

  test("an unknown command exits 2 and says so on stderr", async () => {
    const r = await cli(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command "frobnicate"/);
    assert.match(r.err, /usage: agentstate/);
    assert.equal(r.out, "");
    const sub = await cli(["sessions", "frob"]);
    assert.equal(sub.code, 2);
    assert.match(sub.err, /unknown command "sessions frob"/);
  });

  test("--help and no arguments print usage and exit 0", async () => {
    for (const argv of [[], ["--help"], ["sessions", "list", "--help"]]) {
      const r = await cli(argv);
      assert.equal(r.code, 0, argv.join(" "));
      assert.match(r.out, /usage: agentstate/);
    }
  });

  test("a bad flag exits 2", async () => {
    const r = await cli(["ping", "--bogus"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--bogus/);
    const badValue = await cli(["config", "--backend", "mysql"]);
    assert.equal(badValue.code, 2);
    assert.match(badValue.err, /--backend/);
  });

  test("a missing argument exits 2 without needing a daemon", async (t) => {
    const socket = nowhere(t);
    const r = await cli(["sessions", "show", "--socket", socket, "--backend", "memory"]); // autostart allowed
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /missing <id>/);
    const plan = await cli(["plans", "show", "--socket", socket, "--backend", "memory"]);
    assert.equal(plan.code, 2, plan.err);
    assert.match(plan.err, /missing <id\|agentstate:\/\/plans\/ID>/);
    assert.ok(!existsSync(socket), "no daemon was started for a usage error");
  });
});

describe("no daemon", () => {
  test("sessions list with --no-autostart exits 3", async (t) => {
    const socket = nowhere(t);
    const r = await cli(["sessions", "list", "--no-autostart", "--socket", socket]);
    assert.equal(r.code, 3);
    assert.match(r.err, /no agentstate daemon answers/);
    assert.ok(!existsSync(socket), "nothing was started");
  });

  test("health exits 2 CRITICAL (a monitor pages on it) and never starts a daemon", async (t) => {
    const socket = nowhere(t);
    const r = await cli(["health", "--no-autostart", "--socket", socket]);
    assert.equal(r.code, 2);
    assert.match(r.out, /^AGENTSTATE CRITICAL - no agentstate daemon answers on /);
    const again = await cli(["health", "--socket", socket, "--backend", "memory"]);
    assert.equal(again.code, 2, "health does not autostart even when allowed");
    assert.ok(!existsSync(socket));
    const json = await cli(["health", "--no-autostart", "--json", "--socket", socket]);
    assert.equal(json.code, 2);
    assert.equal((JSON.parse(json.out) as { status: string }).status, "fail");
  });
});

describe("the real binary", () => {
  test("exit codes: unknown command 2, unreachable 3, AGENTSTATE_AUTOSTART=0 honoured", async (t) => {
    const env = hermeticEnv(join(tempDir(t), "config"));
    const unknown = await runNode(t, CLI_BIN, ["frobnicate"], { env });
    assert.equal(unknown.code, 2);
    const socket = nowhere(t);
    const unreachable = await runNode(t, CLI_BIN, ["sessions", "list", "--no-autostart", "--socket", socket], { env });
    assert.equal(unreachable.code, 3, unreachable.stderr);
    const envOff = await runNode(t, CLI_BIN, ["ping", "--socket", socket], { env: { ...env, AGENTSTATE_AUTOSTART: "0" } });
    assert.equal(envOff.code, 3, envOff.stderr);
    assert.ok(!existsSync(socket));
  });

  async function autostarted(t: TestContext, argv: string[]) {
    // Registered before the temp dir's removal (after-hooks run in order), so the background
    // daemon, if one started, is stopped while its socket still exists.
    let socket = "";
    t.after(async () => {
      const client = await connect({ socket, connectTimeoutMs: 0 }).catch(() => undefined);
      if (!client) return;
      const { pid } = await client.daemon.stats();
      client.close();
      await stopDetached(socket, pid);
    });
    const dir = tempDir(t);
    socket = join(dir, "run", "agentstate.sock");
    const env = hermeticEnv(join(dir, "config"));
    const r = await runNode(t, CLI_BIN, [...argv, "--socket", socket, "--backend", "memory"], { env, timeoutMs: 20_000 });
    return { ...r, socket, dir };
  }

  test("autostart: ping with no daemon starts one in the background and prints pong", async (t) => {
    const r = await autostarted(t, ["ping"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pong from /);
    const client = await connect({ socket: r.socket, connectTimeoutMs: 0 });
    const stats = await client.daemon.stats();
    const version = await client.daemon.version();
    client.close();
    assert.notEqual(stats.pid, process.pid);
    assert.equal(version.backend, "memory", "the daemon got the CLI's settings");
    const log = readFileSync(join(r.dir, "run", "agentstated.log"), "utf8");
    assert.ok(log.split("\n").some((l) => l.includes('"msg":"listening"')), log);
  });

  test("autostart passes only daemon settings on: a command option does not break it", async (t) => {
    const r = await autostarted(t, ["sessions", "list", "--limit", "5", "--json"]);
    assert.equal(r.code, 0, r.stderr + readLog(r.dir));
    assert.deepEqual(JSON.parse(r.stdout), { items: [], nextCursor: null });
  });
});

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, "run", "agentstated.log"), "utf8");
  } catch {
    return "";
  }
}

/** SIGTERM a daemon that is not our child: wait for its connection to drop, then for its lock to go. */
async function stopDetached(socket: string, pid: number): Promise<void> {
  const raw = await RawSocket.connect(socket).catch(() => undefined);
  process.kill(pid, "SIGTERM");
  await raw?.closed;
  const deadline = Date.now() + 5000;
  while (existsSync(`${socket}.lock`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}
