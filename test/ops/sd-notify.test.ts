/**
 * systemd notifications (SPEC §8) against a datagram socket that plays systemd's part: READY=1
 * after the socket listens, STATUS= lines, WATCHDOG=1 at half of WATCHDOG_USEC only while healthy
 * and only for the WATCHDOG_PID it names, STOPPING=1 on SIGTERM, nothing without NOTIFY_SOCKET,
 * and the variables gone from the environment children inherit.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Notifier } from "../../src/daemon/sd-notify.js";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { RawSocket } from "../helpers/raw.js";
import { CLI_BIN, hermeticEnv, runNode, spawnDaemon } from "../helpers/spawn.js";
import { fakeNotifySocket, requireTool } from "../helpers/systemd.js";
import { tempDir } from "../helpers/tmp.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tools = (t: Parameters<typeof requireTool>[0]) => requireTool(t, "python3") && requireTool(t, "systemd-notify");

test("the notify variables are read once and removed from the environment children inherit", () => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(process.pid), KEEP: "1" };
  const n = Notifier.fromEnv(env);
  assert.equal(n.enabled, true);
  assert.equal(n.watchdogUsec, 30_000_000);
  assert.deepEqual(env, { KEEP: "1" });
});

test("WATCHDOG_PID naming another process, or no WATCHDOG_USEC: no watchdog", () => {
  assert.equal(Notifier.fromEnv({ NOTIFY_SOCKET: "/run/x", WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" }).watchdogUsec, undefined);
  assert.equal(Notifier.fromEnv({ NOTIFY_SOCKET: "/run/x" }).watchdogUsec, undefined);
  assert.equal(Notifier.fromEnv({ WATCHDOG_USEC: "30000000" }).watchdogUsec, undefined, "no socket, no watchdog");
});

test("without NOTIFY_SOCKET nothing is run at all", async () => {
  const warnings: string[] = [];
  const log = { warn: (m: string) => warnings.push(m), debug: () => undefined };
  const n = Notifier.fromEnv({}, { program: "/nonexistent/systemd-notify", log });
  assert.equal(n.enabled, false);
  n.ready("x");
  n.status("y");
  n.stopping();
  n.startWatchdog(() => true);
  await n.flush();
  assert.deepEqual(warnings, [], "the missing program was never run");
});

test("a missing systemd-notify is logged once and never throws", async () => {
  const warnings: string[] = [];
  const log = { warn: (m: string) => warnings.push(m), debug: () => undefined };
  const n = Notifier.fromEnv({ NOTIFY_SOCKET: "/nonexistent.sock" }, { program: "/nonexistent/systemd-notify", log });
  n.ready("x");
  n.status("y");
  await n.flush();
  assert.deepEqual(warnings, ["systemd notification failed"]);
});

test("messages arrive in order; the watchdog pings at half the interval only while healthy", async (t) => {
  if (!tools(t)) return;
  const sock = await fakeNotifySocket(t);
  const n = Notifier.fromEnv({ NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "200000" });
  t.after(() => n.stopWatchdog());
  n.status("one");
  n.ready("two");
  n.extendTimeout(60_000_000, "three");
  await n.flush();
  const lines = sock.lines().filter((l) => l !== "BARRIER=1");
  assert.deepEqual(lines, ["STATUS=one", "READY=1", `MAINPID=${process.pid}`, "STATUS=two", "EXTEND_TIMEOUT_USEC=60000000", "STATUS=three"]);

  let healthy = false;
  n.startWatchdog(() => healthy);
  await sleep(600);
  assert.equal(sock.lines().filter((l) => l === "WATCHDOG=1").length, 0, "no pings while unhealthy");
  assert.ok(sock.lines().some((l) => l.startsWith("STATUS=unhealthy")), JSON.stringify(sock.lines()));
  healthy = true;
  // WATCHDOG_USEC=2 s: a ping every second, so at least 2 within 3 s of READY=1.
  const readyAt = Date.now();
  while (Date.now() - readyAt < 3000 && sock.lines().filter((l) => l === "WATCHDOG=1").length < 2) await new Promise((r) => setTimeout(r, 50));
  assert.ok(sock.lines().filter((l) => l === "WATCHDOG=1").length >= 2, `fewer than 2 WATCHDOG=1 within 3 s: ${JSON.stringify(sock.lines())}`);
  await sleep(500);
  const pings = sock.lines().filter((l) => l === "WATCHDOG=1").length;
  // Every 100 ms; allow for a loaded machine, but there must be several.
  assert.ok(pings >= 2 && pings <= 8, `${pings} pings in ~0.5 s`);
  n.stopping("bye");
  await n.flush();
  const after = sock.lines().filter((l) => l === "WATCHDOG=1").length;
  await sleep(300);
  assert.equal(sock.lines().filter((l) => l === "WATCHDOG=1").length, after, "no pings after STOPPING=1");
  assert.deepEqual(sock.messages().at(-2), ["STOPPING=1", "STATUS=bye"]);
});

test("agentstated: STATUS while starting, READY=1 once listening, WATCHDOG=1, STOPPING=1 on SIGTERM", async (t) => {
  if (!tools(t)) return;
  const sock = await fakeNotifySocket(t);
  const socket = join(tempDir(t), "run", "agentstate.sock");
  const d = await spawnDaemon(t, { socket, env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "2000000" } });
  const ready = await sock.waitFor((l) => l === "READY=1");
  assert.ok(ready.includes(`MAINPID=${d.pid}`), JSON.stringify(ready));
  assert.ok(ready.includes(`STATUS=serving ${socket} (memory backend)`), JSON.stringify(ready));
  const before = sock.lines().slice(0, sock.lines().indexOf("READY=1"));
  assert.ok(before.includes("STATUS=starting: opening the memory backend"), JSON.stringify(before));
  await sock.waitFor((l) => l === "WATCHDOG=1");

  assert.deepEqual(await d.kill("SIGTERM"), { code: 0, signal: null }, d.stderr);
  const lines = sock.lines();
  const stopping = lines.indexOf("STOPPING=1");
  assert.ok(stopping > lines.indexOf("READY=1"), JSON.stringify(lines));
  assert.ok(lines.slice(stopping).some((l) => l.startsWith("STATUS=stopping: draining")), JSON.stringify(lines));
  assert.ok(!lines.slice(stopping).includes("WATCHDOG=1"), "no watchdog ping after STOPPING=1");
  assert.ok(!d.logs().some((l) => l.level === "warn" || l.level === "error"), d.stderr);
});

test("agentstated: a WATCHDOG_PID naming another process gets READY=1 but no WATCHDOG=1", async (t) => {
  if (!tools(t)) return;
  const sock = await fakeNotifySocket(t);
  const socket = join(tempDir(t), "run", "agentstate.sock");
  await spawnDaemon(t, { socket, env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "100000", WATCHDOG_PID: "1" } });
  await sock.waitFor((l) => l === "READY=1");
  await sleep(500);
  assert.ok(!sock.lines().includes("WATCHDOG=1"), JSON.stringify(sock.lines()));
});

test("agentstated: SIGHUP is a reload (RELOADING=1, then READY=1 again)", async (t) => {
  if (!tools(t)) return;
  const sock = await fakeNotifySocket(t);
  const socket = join(tempDir(t), "run", "agentstate.sock");
  const d = await spawnDaemon(t, { socket, env: { NOTIFY_SOCKET: sock.path } });
  await sock.waitFor((l) => l === "READY=1");
  d.child.kill("SIGHUP");
  const reloading = await sock.waitFor((l) => l === "RELOADING=1");
  assert.ok(reloading.some((l) => /^MONOTONIC_USEC=\d+$/.test(l)), JSON.stringify(reloading));
  await d.waitForLog((l) => l.msg === "reloaded");
  const deadline = Date.now() + 10_000;
  while (sock.lines().lastIndexOf("READY=1") < sock.lines().indexOf("RELOADING=1")) {
    assert.ok(Date.now() < deadline, `no READY=1 after the reload: ${JSON.stringify(sock.lines())}`);
    await sleep(20);
  }
});

test("agentstated: schema migrations ask for more start-up time (EXTEND_TIMEOUT_USEC) before READY=1", async (t) => {
  if (!tools(t)) return;
  const sock = await fakeNotifySocket(t);
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  await spawnDaemon(t, { socket, args: ["--backend", "sqlite", "--data-dir", join(dir, "data")], env: { NOTIFY_SOCKET: sock.path } });
  await sock.waitFor((l) => l === "READY=1");
  const lines = sock.lines();
  const extend = lines.findIndex((l) => l.startsWith("EXTEND_TIMEOUT_USEC="));
  assert.ok(extend >= 0 && extend < lines.indexOf("READY=1"), JSON.stringify(lines));
  assert.ok(lines.some((l) => /^STATUS=starting: migrating the schema to version \d+/.test(l)), JSON.stringify(lines));
});

test("a SQL backend reports each schema migration it runs while opening (the hook behind EXTEND_TIMEOUT_USEC)", async (t) => {
  const seen: { version: number; name: string }[] = [];
  const path = join(tempDir(t), "db", "agentstate.sqlite");
  const open = async () => {
    const db = new SqliteBackend({ path, origin: "test", now: () => new Date(), onMigration: (m) => seen.push({ version: m.version, name: m.name }) });
    await db.open();
    await db.close();
  };
  await open();
  assert.ok(seen.length >= 1, "a fresh database runs every migration");
  assert.deepEqual(seen.map((m) => m.version), [...seen.map((m) => m.version)].sort((a, b) => a - b));
  assert.ok(seen.every((m) => typeof m.name === "string" && m.name.length > 0));
  const first = seen.length;
  await open();
  assert.equal(seen.length, first, "an up-to-date database runs none");
});

test("a daemon the CLI autostarts does not inherit the CLI's NOTIFY_SOCKET", async (t) => {
  if (!tools(t)) return;
  const sock = await fakeNotifySocket(t);
  let socket = "";
  t.after(async () => {
    // Registered before the temp dir's removal: stop the background daemon while its socket exists.
    const raw = await RawSocket.connect(socket).catch(() => undefined);
    if (!raw) return;
    const stats = await raw.roundTrip<{ result?: { pid: number } }>({ jsonrpc: "2.0", id: 1, method: "daemon.stats" });
    if (stats.result) process.kill(stats.result.pid, "SIGTERM");
    await raw.closed;
    const deadline = Date.now() + 5000;
    while (existsSync(`${socket}.lock`) && Date.now() < deadline) await sleep(10);
  });
  const dir = tempDir(t);
  socket = join(dir, "run", "agentstate.sock");
  const env = hermeticEnv(join(dir, "config"), { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "100000" });
  const r = await runNode(t, CLI_BIN, ["ping", "--socket", socket, "--backend", "memory"], { env, timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  await sleep(500);
  assert.deepEqual(sock.messages(), [], "the autostarted daemon talked to the CLI's service manager");
});

test("a SIGTERM the moment the socket listens (before READY=1) still stops cleanly; READY=1 never follows STOPPING=1", async (t) => {
  if (!tools(t)) return;
  const sock = await fakeNotifySocket(t);
  const socket = join(tempDir(t), "run", "agentstate.sock");
  const d = await spawnDaemon(t, { socket, ready: false, env: { NOTIFY_SOCKET: sock.path } });
  await d.waitForLog((l) => l.msg === "listening");
  d.child.kill("SIGTERM");
  assert.deepEqual(await d.exited, { code: 0, signal: null }, d.stderr);
  assert.ok(sock.lines().includes("STOPPING=1"), JSON.stringify(sock.lines()));
  const lines = sock.lines();
  assert.ok(lines.lastIndexOf("READY=1") < lines.indexOf("STOPPING=1"), JSON.stringify(lines));
});
