/**
 * The socket on disk (SPEC §5, §8, R4): modes set before bind, one daemon per socket, stale
 * sockets from a crash replaced, and a directory that belongs to someone else refused.
 */
import assert from "node:assert/strict";
import { existsSync, promises as fs } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { resolveConfig } from "../../src/config/config.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { startTestDaemon, silentLogger } from "../helpers/daemon.js";
import { RawSocket } from "../helpers/raw.js";
import { spawnDaemon } from "../helpers/spawn.js";
import { tempDir } from "../helpers/tmp.js";

const mode = async (path: string) => (await fs.stat(path)).mode & 0o7777;
const isRoot = process.getuid?.() === 0;

test("the socket is 0600 inside a 0700 directory", async (t) => {
  const d = await startTestDaemon(t);
  assert.ok((await fs.lstat(d.socket)).isSocket());
  assert.equal((await mode(d.socket)).toString(8), "600");
  assert.equal((await mode(join(d.socket, ".."))).toString(8), "700");
  const raw = await RawSocket.connect(d.socket, t);
  assert.deepEqual(await raw.syncPing(), []);
});

test("an existing directory open to others is refused and left as it was (it may be /tmp)", async (t) => {
  const dir = tempDir(t);
  const shared = join(dir, "shared");
  await fs.mkdir(shared);
  await fs.chmod(shared, 0o1777);
  const config = { ...resolveConfig({ env: {} }).config, socket: join(shared, "s.sock"), backend: "memory" as const };
  const daemon = new Daemon({ config, logger: silentLogger() });
  await assert.rejects(daemon.start(), /open to other users \(mode 1777\).*directory of its own/);
  await daemon.stop();
  assert.equal((await mode(shared)).toString(8), "1777", "the daemon never chmods a directory it did not create");
  assert.equal(existsSync(join(shared, "s.sock")), false);
});

test("a directory the daemon creates is 0700 before the socket exists", async (t) => {
  const dir = tempDir(t);
  const runDir = join(dir, "made", "by", "daemon");
  const d = await startTestDaemon(t, { socket: join(runDir, "s.sock") });
  assert.equal((await mode(runDir)).toString(8), "700");
  assert.equal((await mode(d.socket)).toString(8), "600");
});

test("with a socket group the socket is 0660 inside a 0750 directory owned by that group", async (t) => {
  const gid = process.getgid?.();
  if (gid === undefined) return t.skip("no POSIX gids on this platform");
  const d = await startTestDaemon(t, { socketGroup: String(gid) });
  assert.equal((await mode(d.socket)).toString(8), "660");
  const dirMode = await mode(join(d.socket, ".."));
  assert.equal((dirMode & 0o777).toString(8), "750");
  assert.equal(dirMode & ~0o2777, 0, `only the setgid bit may be added: ${dirMode.toString(8)}`);
  assert.equal((await fs.stat(join(d.socket, ".."))).gid, gid);
});

test("a second daemon on the same socket exits non-zero naming the running pid; the first keeps serving", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const first = await spawnDaemon(t, { socket });
  const second = await spawnDaemon(t, { socket, ready: false });
  const exit = await second.exited;
  assert.notEqual(exit.code, 0, second.stderr);
  assert.equal(exit.code, 1);
  assert.match(second.stderr, new RegExp(`pid ${first.pid}\\b`), second.stderr);
  assert.ok(first.running);
  const raw = await RawSocket.connect(socket, t);
  assert.deepEqual(await raw.syncPing(), []);
  assert.ok(existsSync(socket), "the loser did not remove the winner's socket");
});

test("a stale socket and lock left by a SIGKILLed daemon are replaced by the next one", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  const crashed = await spawnDaemon(t, { socket });
  const exit = await crashed.kill("SIGKILL");
  assert.equal(exit.signal, "SIGKILL");
  assert.ok(existsSync(socket), "the socket file stays behind after SIGKILL");
  assert.ok(existsSync(`${socket}.lock`), "the lock file stays behind after SIGKILL");
  await assert.rejects(RawSocket.connect(socket), /ECONNREFUSED/);

  const next = await spawnDaemon(t, { socket });
  const raw = await RawSocket.connect(socket, t);
  const stats = await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "daemon.stats" });
  assert.equal((stats.result as { pid: number }).pid, next.pid);
  assert.equal((await fs.readFile(`${socket}.lock`, "utf8")).trim(), String(next.pid));
});

test("a lock file naming a live process that is not a daemon still refuses a second daemon", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "run", "agentstate.sock");
  await fs.mkdir(join(dir, "run"), { mode: 0o700 });
  await fs.writeFile(`${socket}.lock`, `${process.pid}\n`); // this test process is alive
  const blocked = await spawnDaemon(t, { socket, ready: false });
  const exit = await blocked.exited;
  assert.equal(exit.code, 1);
  assert.match(blocked.stderr, new RegExp(`pid ${process.pid}\\b`));
  assert.ok(!existsSync(socket));
});

test("a socket directory owned by another uid is refused", async (t) => {
  if (!isRoot) return t.skip("needs root to chown a directory to another uid");
  const dir = tempDir(t);
  const foreign = join(dir, "foreign");
  await fs.mkdir(foreign, { mode: 0o700 });
  await fs.chown(foreign, 65534, 65534);
  const config = { ...resolveConfig({ env: {} }).config, socket: join(foreign, "agentstate.sock"), backend: "memory" as const };
  const daemon = new Daemon({ config, logger: silentLogger() });
  t.after(() => daemon.stop());
  await assert.rejects(daemon.start(), /belongs to uid 65534/);
  assert.ok(!existsSync(config.socket), "no socket was created");
  assert.ok(!existsSync(`${config.socket}.lock`), "no lock was created");
});

test("a socket path whose directory is a regular file is refused with a clear error", async (t) => {
  const dir = tempDir(t);
  await fs.writeFile(join(dir, "notadir"), "");
  const config = { ...resolveConfig({ env: {} }).config, socket: join(dir, "notadir", "s.sock"), backend: "memory" as const };
  const daemon = new Daemon({ config, logger: silentLogger() });
  t.after(() => daemon.stop());
  await assert.rejects(daemon.start(), /notadir/);
});
