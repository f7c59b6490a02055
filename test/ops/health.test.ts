/**
 * Health (SPEC §8): daemon.health reports the backend (reachable, latency, last error, durability)
 * and the event loop from cached probes; `agentstate health` and systemd/agentstate-healthcheck
 * exit 0 OK / 1 WARNING / 2 CRITICAL / 3 UNKNOWN with a Nagios line and perfdata.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test, type TestContext } from "node:test";
import { spawn } from "node:child_process";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import type { BackendProbe } from "../../src/backends/contract.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { ChildWatch, CLI_BIN, ROOT, hermeticEnv, runNode } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

const HEALTHCHECK = join(ROOT, "systemd", "agentstate-healthcheck");

function storeProbing(result: BackendProbe): MemoryBackend {
  const store = new MemoryBackend({ origin: "test", now: () => new Date() });
  store.probe = async () => result;
  return store;
}

const cli = (t: TestContext, socket: string, args: string[]) =>
  runNode(t, CLI_BIN, ["health", ...args], { env: hermeticEnv(join(tempDir(t), "config-home"), { AGENTSTATE_SOCKET: socket }) });

async function healthcheck(t: TestContext, env: Record<string, string>, args: string[] = []) {
  const child = spawn("sh", [HEALTHCHECK, ...args], {
    env: hermeticEnv(join(tempDir(t), "config-home"), { AGENTSTATE_BIN: CLI_BIN, ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const watch = new ChildWatch(child);
  t.after(() => watch.kill("SIGKILL"));
  const exit = await watch.exited;
  return { ...exit, stdout: watch.stdout, stderr: watch.stderr };
}

test("daemon.health: backend reachability, latency, last error and durability; the event loop", async (t) => {
  const d = await startTestDaemon(t, { store: storeProbing({ ok: false, latencyMs: 2, error: "connection refused" }) });
  const client = await d.client();
  const health = await client.daemon.health();
  assert.equal(health.status, "fail");
  const backend = health.checks.backend;
  assert.ok(backend);
  assert.equal(backend.status, "fail");
  assert.equal(backend.reachable, false);
  assert.equal(backend.message, "connection refused");
  assert.equal(backend.lastError, "connection refused");
  assert.equal(typeof backend.lastErrorAt, "string");
  assert.equal(backend.latencyMs, 2);
  assert.equal(backend.durability, "none (lost on exit)");
  assert.equal(health.checks.eventLoop?.status, "pass");
  assert.equal(typeof health.checks.eventLoop?.p99DelayMs, "number");
  assert.equal(typeof health.version, "string");
  assert.ok(health.uptime >= 0);
});

/**
 * A loaded test machine can stall this process's event loop past the warning threshold; the
 * daemon then honestly says WARNING. Accept that (only that) where OK is expected.
 */
function assertOk(t: TestContext, r: { code: number | null; stdout: string; stderr: string }): void {
  if (r.code === 1 && /^AGENTSTATE WARNING - .*eventLoop warn/.test(r.stdout) && !/(backend|events|scheduler) (warn|fail)/.test(r.stdout)) {
    t.diagnostic(`event loop slow on this machine: ${r.stdout.trim()}`);
    return;
  }
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^AGENTSTATE OK - /);
}

test("agentstate health: OK exits 0 with a Nagios line and perfdata", async (t) => {
  const d = await startTestDaemon(t);
  const r = await cli(t, d.socket, []);
  assertOk(t, r);
  assert.match(r.stdout, /^AGENTSTATE \w+ - backend pass, eventLoop \w+(, \w+ pass)* \| uptime=\d+s backend_latency=[\d.]+ms event_loop_p99=[\d.]+ms\n$/);
  const json = await cli(t, d.socket, ["--json"]);
  assert.ok(["pass", "warn"].includes((JSON.parse(json.stdout) as { status: string }).status), json.stdout);
});

test("agentstate health: a warning exits 1, a dead backend exits 2, no daemon exits 2 CRITICAL", async (t) => {
  const warn = await startTestDaemon(t, { store: storeProbing({ ok: true, latencyMs: 1, warnings: ["plans/x.md does not parse"] }) });
  const w = await cli(t, warn.socket, []);
  assert.equal(w.code, 1, w.stdout + w.stderr);
  assert.match(w.stdout, /^AGENTSTATE WARNING - backend warn \(plans\/x\.md does not parse\)/);

  const dead = await startTestDaemon(t, { store: storeProbing({ ok: false, latencyMs: 2000, error: "probe timed out" }) });
  const c = await cli(t, dead.socket, []);
  assert.equal(c.code, 2, c.stdout + c.stderr);
  assert.match(c.stdout, /^AGENTSTATE CRITICAL - backend fail \(probe timed out\)/);

  const none = await cli(t, join(tempDir(t), "nobody.sock"), []);
  assert.equal(none.code, 2, none.stdout + none.stderr);
  assert.match(none.stdout, /^AGENTSTATE CRITICAL - no agentstate daemon answers on /);
});

test("agentstate-healthcheck passes the exit codes and the line through", async (t) => {
  const ok = await startTestDaemon(t);
  const r0 = await healthcheck(t, { AGENTSTATE_SOCKET: ok.socket });
  assertOk(t, r0);
  assert.match(r0.stdout, / \| uptime=/);

  const dead = await startTestDaemon(t, { store: storeProbing({ ok: false, latencyMs: 1, error: "down" }) });
  const r2 = await healthcheck(t, { AGENTSTATE_SOCKET: dead.socket });
  assert.equal(r2.code, 2, r2.stdout + r2.stderr);

  const r2json = await healthcheck(t, { AGENTSTATE_SOCKET: dead.socket }, ["--json"]);
  assert.equal(r2json.code, 2);
  assert.equal((JSON.parse(r2json.stdout) as { status: string }).status, "fail");

  const r3 = await healthcheck(t, { AGENTSTATE_SOCKET: join(tempDir(t), "nobody.sock") });
  assert.equal(r3.code, 2, r3.stdout + r3.stderr);
  assert.match(r3.stdout, /^AGENTSTATE CRITICAL - no agentstate daemon answers/);
});

test("agentstate-healthcheck: a check that hangs is UNKNOWN after the timeout; a missing binary is UNKNOWN", async (t) => {
  const dir = tempDir(t);
  const hang = join(dir, "hang");
  writeFileSync(hang, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
  const t0 = performance.now();
  const r = await healthcheck(t, { AGENTSTATE_BIN: hang, AGENTSTATE_HEALTH_TIMEOUT: "1" });
  const took = performance.now() - t0;
  assert.equal(r.code, 3);
  assert.equal(r.stdout, "AGENTSTATE UNKNOWN - no answer within 1s\n");
  assert.ok(took < 10_000, `took ${took.toFixed(0)} ms`);

  const missing = await healthcheck(t, { AGENTSTATE_BIN: join(dir, "nope") });
  assert.equal(missing.code, 3);
  assert.match(missing.stdout, /^AGENTSTATE UNKNOWN - .*nope not found/);

  const bad = await healthcheck(t, { AGENTSTATE_HEALTH_TIMEOUT: "soon" });
  assert.equal(bad.code, 3);
});

test("agentstate-healthcheck run from a clone finds the CLI beside itself (no AGENTSTATE_BIN, none on PATH)", async (t) => {
  const d = await startTestDaemon(t);
  const path = ["/usr/bin", "/bin", dirname(process.execPath)].join(":");
  const r = await healthcheck(t, { AGENTSTATE_BIN: "", AGENTSTATE_SOCKET: d.socket, PATH: path });
  assertOk(t, r);
});
