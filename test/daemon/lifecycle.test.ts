/**
 * Start, stop and signals (SPEC §8): SIGTERM drains and exits 0 leaving nothing behind; a graceful
 * stop finishes requests in flight and refuses new ones; start/stop are idempotent; SIGHUP reloads
 * the log level; logs are JSON lines on stderr.
 */
import assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import { ConnectionLostError, RpcCallError } from "../../src/client/index.js";
import type { Session } from "../../src/domain/conversations.js";
import { resolveConfig } from "../../src/config/config.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { silentLogger, startTestDaemon } from "../helpers/daemon.js";
import { RawSocket } from "../helpers/raw.js";
import { spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

/** A memory store whose createSession waits at a gate the test opens. */
function gatedStore() {
  const store = new MemoryBackend({ origin: "test", now: () => new Date() });
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const createSession = store.conversations.createSession.bind(store.conversations);
  store.conversations.createSession = async (input) => {
    entered();
    await gate;
    return createSession(input);
  };
  return { store, open, inside };
}

const refused = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const s = createConnection(path);
    s.once("connect", () => {
      s.destroy();
      reject(new Error("a new connection was accepted while stopping"));
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? String(err)));
  });

test("SIGTERM: exit code 0, socket and lock removed, logs are JSON lines on stderr", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const d = await spawnDaemon(t, { socket });
  assert.ok(existsSync(socket));
  assert.equal((await fs.readFile(`${socket}.lock`, "utf8")).trim(), String(d.pid));
  const exit = await d.kill("SIGTERM");
  assert.deepEqual(exit, { code: 0, signal: null }, d.stderr);
  assert.ok(!existsSync(socket), "socket removed");
  assert.ok(!existsSync(`${socket}.lock`), "lock removed");

  const lines = d.stderr.split("\n").filter(Boolean);
  assert.ok(lines.length >= 3, d.stderr);
  for (const line of lines) {
    const rec = JSON.parse(line) as Record<string, unknown>; // throws on a non-JSON line
    assert.equal(typeof rec.time, "string");
    assert.ok(["error", "warn", "info", "debug"].includes(rec.level as string), line);
    assert.equal(typeof rec.msg, "string");
  }
  const msgs = d.logs().map((l) => l.msg);
  assert.deepEqual(msgs.filter((m) => ["listening", "stopping", "stopped"].includes(m)), ["listening", "stopping", "stopped"]);
  assert.equal(d.stdout, "", "nothing on stdout");
});

test("SIGINT stops cleanly too", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const d = await spawnDaemon(t, { socket });
  assert.deepEqual(await d.kill("SIGINT"), { code: 0, signal: null });
  assert.ok(!existsSync(socket));
});

test("graceful stop: the request in flight completes, new ones are refused, then stop resolves", async (t) => {
  const { store, open, inside } = gatedStore();
  const d = await startTestDaemon(t, { store });
  const slowClient = await d.client();
  const otherClient = await d.client();
  const slow = slowClient.sessions.create({ id: "in-flight" });
  let replied = false;
  const slowDone = slow.then(
    (s) => {
      replied = true;
      return s;
    },
    (err: unknown) => err,
  );
  await inside;

  let stopResolved = false;
  const stopping = d.daemon.stop().then(() => {
    stopResolved = true;
  });

  // A request on a connection opened before the stop: SHUTTING_DOWN.
  const refusedCall = await otherClient.sessions.get({ id: "in-flight" }).then(
    () => assert.fail("a new request was served while stopping"),
    (err: unknown) => err,
  );
  assert.ok(refusedCall instanceof RpcCallError, String(refusedCall));
  assert.equal(refusedCall.code, "SHUTTING_DOWN");
  assert.equal(refusedCall.rpcCode, -32005);
  // A new connection: refused.
  assert.match(await refused(d.socket), /ECONNREFUSED|ENOENT/);
  assert.equal(stopResolved, false, "stop waits for the request in flight");
  assert.equal(replied, false);

  open();
  const result = await slowDone;
  assert.ok(!(result instanceof Error), `the request in flight failed: ${String(result)}`);
  assert.equal((result as Session).id, "in-flight");
  assert.equal(stopResolved, false, "the reply arrived before stop() resolved");
  await stopping;
  assert.ok(!existsSync(d.socket), "socket removed");
  assert.ok(!existsSync(`${d.socket}.lock`), "lock removed");
});

test("graceful stop delivers a large reply in flight whole before closing the connection", async (t) => {
  const { store, open, inside } = gatedStore();
  const d = await startTestDaemon(t, { store });
  const client = await d.client();
  const blob = "x".repeat(3_000_000); // far more than a socket buffer holds
  const call = client.sessions.create({ id: "large", metadata: { blob } }).catch((err: unknown) => err);
  await inside;
  const stopping = d.daemon.stop();
  open();
  const result = await call;
  assert.ok(!(result instanceof Error), `the reply was cut short: ${String(result)}`);
  assert.equal(((result as Session).metadata.blob as string).length, blob.length);
  await stopping;
});

test("graceful stop is bounded: after drainTimeoutMs the stuck call's connection is closed", async (t) => {
  const { store, open, inside } = gatedStore();
  t.after(open);
  const d = await startTestDaemon(t, { store, drainTimeoutMs: 150 });
  const client = await d.client();
  const stuck = client.sessions.create({ id: "never" }).then(
    () => assert.fail("a stuck call cannot succeed"),
    (err: unknown) => err,
  );
  await inside;
  const t0 = performance.now();
  await d.daemon.stop();
  const took = performance.now() - t0;
  assert.ok(took >= 140 && took < 2000, `stop took ${took.toFixed(0)} ms`);
  assert.ok((await stuck) instanceof ConnectionLostError);
});

test("start() and stop() are idempotent", async (t) => {
  const d = await startTestDaemon(t);
  const again = d.daemon.start();
  assert.equal(again, d.daemon.start(), "start() returns the same promise");
  await again;
  const raw = await RawSocket.connect(d.socket, t);
  assert.deepEqual(await raw.syncPing(), []);

  const first = d.daemon.stop();
  const second = d.daemon.stop();
  assert.equal(first, second, "stop() returns the same promise");
  await Promise.all([first, second]);
  await raw.closed;
  await d.daemon.stop();
  assert.ok(!existsSync(d.socket));
});

test("stop() called while start() is still running waits for start, then stops everything", async (t) => {
  const dir = tempDir(t);
  const config = { ...resolveConfig({ env: {} }).config, socket: join(dir, "run", "s.sock"), backend: "memory" as const };
  const daemon = new Daemon({ config, logger: silentLogger() });
  t.after(() => daemon.stop());
  const starting = daemon.start();
  const stopping = daemon.stop();
  await starting;
  await stopping;
  assert.ok(!existsSync(config.socket), "nothing left listening");
  assert.ok(!existsSync(`${config.socket}.lock`));
  assert.match(await refused(config.socket), /ENOENT|ECONNREFUSED/);
});

test("SIGHUP reloads the log level from the config file", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const configFile = join(dir, "config.json");
  await fs.writeFile(configFile, JSON.stringify({ logLevel: "info" }));
  const d = await spawnDaemon(t, { socket, env: { AGENTSTATE_CONFIG: configFile } });
  assert.ok(!d.logs().some((l) => l.level === "debug"), "no debug lines at info");

  await fs.writeFile(configFile, JSON.stringify({ logLevel: "debug" }));
  d.child.kill("SIGHUP");
  const reloaded = await d.waitForLog((l) => l.msg === "reloaded");
  assert.equal(reloaded.logLevel, "debug");

  // A file that no longer parses: reported at error level, the daemon carries on.
  await fs.writeFile(configFile, "{ not json");
  d.child.kill("SIGHUP");
  const failed = await d.waitForLog((l) => l.msg.startsWith("reload failed"));
  assert.equal(failed.level, "error");
  assert.ok(d.running, "a bad config file on SIGHUP does not stop the daemon");
  const raw = await RawSocket.connect(socket, t);
  assert.deepEqual(await raw.syncPing(), []);

  // Down to "error": its own "reloaded" line and the "stopping"/"stopped" info lines must not
  // appear. Two round trips through the daemon's event loop after the signal make sure the SIGHUP
  // was handled before the SIGTERM is sent.
  await fs.writeFile(configFile, JSON.stringify({ logLevel: "error" }));
  const before = d.logs().length;
  d.child.kill("SIGHUP");
  assert.deepEqual(await raw.syncPing(), []);
  assert.deepEqual(await raw.syncPing(), []);
  raw.destroy();
  d.child.kill("SIGTERM");
  assert.deepEqual(await d.exited, { code: 0, signal: null });
  assert.deepEqual(d.logs().slice(before), [], "nothing below error is logged at level error");
});
