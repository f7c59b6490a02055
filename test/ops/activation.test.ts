/**
 * Socket activation for real (SPEC §8): python3 plays systemd — it creates and listens on the Unix
 * socket, puts it at fd 3, sets LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES and execs node, so the pid
 * matches. The daemon serves on the inherited socket, takes no lock, and never unlinks it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, promises as fs, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { RawSocket } from "../helpers/raw.js";
import { ChildWatch, DAEMON_BIN, hermeticEnv } from "../helpers/spawn.js";
import { requireTool } from "../helpers/systemd.js";
import { tempDir } from "../helpers/tmp.js";

const ACTIVATOR = `
import os, socket, sys
path, names, pid_mode, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
os.umask(0o077)
socks = []
for i, name in enumerate(names.split(":")):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path if name == "agentstate" else path + "." + name)
    s.listen(64)
    socks.append(s)
high = [os.dup(s.fileno()) for s in socks]  # above every fd the sockets hold now
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
    os.set_inheritable(3 + i, True)
os.environ["LISTEN_FDS"] = str(len(socks))
os.environ["LISTEN_PID"] = str(os.getpid() if pid_mode == "self" else 1)
os.environ["LISTEN_FDNAMES"] = names
os.execv(argv[0], argv)
`;

async function activated(t: TestContext, opts: { names: string; pid?: "self" | "other"; socket?: string }) {
  const dir = tempDir(t);
  const script = join(dir, "activate.py");
  writeFileSync(script, ACTIVATOR);
  const inherited = join(dir, "activated.sock");
  const configured = opts.socket ?? inherited;
  const child = spawn(
    "python3",
    [script, inherited, opts.names, opts.pid ?? "self", process.execPath, DAEMON_BIN, "--socket", configured, "--backend", "memory"],
    { env: hermeticEnv(join(dir, "config-home")), stdio: ["ignore", "pipe", "pipe"] },
  );
  const watch = new ChildWatch(child);
  t.after(() => watch.kill("SIGKILL"));
  const listening = await watch.waitForLog((l) => l.msg === "listening");
  return { watch, listening, inherited, configured };
}

test("the inherited socket is served, with no lock, and left in place on SIGTERM", async (t) => {
  if (!requireTool(t, "python3")) return;
  const { watch, listening, inherited } = await activated(t, { names: "agentstate" });
  assert.equal(listening.activated, true);
  const modeBefore = (await fs.stat(inherited)).mode & 0o777;
  const inodeBefore = (await fs.stat(inherited)).ino;
  const raw = await RawSocket.connect(inherited, t);
  assert.deepEqual(await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "daemon.ping" }), { jsonrpc: "2.0", id: 1, result: "pong" });
  raw.destroy();
  assert.ok(!existsSync(`${inherited}.lock`), "an activated daemon takes no pid lock beside systemd's socket");

  assert.deepEqual(await watch.kill("SIGTERM"), { code: 0, signal: null }, watch.stderr);
  const after = await fs.stat(inherited);
  assert.equal(after.ino, inodeBefore, "the socket file is systemd's: never unlinked or replaced");
  assert.equal(after.mode & 0o777, modeBefore, "and never chmod-ed");
});

test("with several inherited sockets, the one LISTEN_FDNAMES calls agentstate is used", async (t) => {
  if (!requireTool(t, "python3")) return;
  const { watch, inherited } = await activated(t, { names: "metrics:agentstate" });
  const raw = await RawSocket.connect(inherited, t);
  assert.deepEqual(await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "daemon.ping" }), { jsonrpc: "2.0", id: 1, result: "pong" });
  raw.destroy();
  assert.deepEqual(await watch.kill("SIGTERM"), { code: 0, signal: null }, watch.stderr);
});

test("LISTEN_PID naming another process: the fds are not ours; the daemon binds its own socket", async (t) => {
  if (!requireTool(t, "python3")) return;
  const own = join(tempDir(t), "run", "own.sock");
  const { watch, listening } = await activated(t, { names: "agentstate", pid: "other", socket: own });
  assert.equal(listening.activated, false);
  const raw = await RawSocket.connect(own, t);
  assert.deepEqual(await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "daemon.ping" }), { jsonrpc: "2.0", id: 1, result: "pong" });
  raw.destroy();
  assert.deepEqual(await watch.kill("SIGTERM"), { code: 0, signal: null }, watch.stderr);
  assert.ok(!existsSync(own), "its own socket is removed on stop");
});
