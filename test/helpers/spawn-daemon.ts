/** Spawns the real daemon binary (from dist) and waits until it answers. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect } from "../../src/client/index.js";

export const DAEMON_BIN = fileURLToPath(new URL("../../../bin/agentstated.js", import.meta.url));

export interface Spawned {
  child: ChildProcess;
  stderr: () => string;
}

/** `wrap` runs the daemon inside a network namespace (test/helpers/netns.ts: a lab host's `wrap`). */
export async function spawnDaemon(args: string[], env: NodeJS.ProcessEnv = {}, wrap: (argv: string[]) => string[] = (a) => a): Promise<Spawned> {
  const argv = wrap([process.execPath, DAEMON_BIN, ...args]);
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const socketIndex = args.indexOf("--socket");
  const socket = args[socketIndex + 1];
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${err}`);
    try {
      const c = await connect({ socket, connectTimeoutMs: 100, timeoutMs: 2000 });
      await c.daemon.ping();
      c.close();
      return { child, stderr: () => err };
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL"); // never leave it running: the test process would wait for it forever
        throw new Error(`daemon did not answer on ${socket}: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  }
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
