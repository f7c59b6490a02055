/**
 * A throwaway redis-server for tests: a temp dir, a free port, AOF on (appendfsync always) so
 * restart tests see what was acknowledged; stopped when the process exits. One per test process;
 * each test isolates itself under its own key prefix. AGENTSTATE_TEST_REDIS_URL points the tests at
 * an existing server instead. Under CI=true a missing server is a failure, not a skip.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./postgres.js";

export interface RedisServer {
  url: string;
  stop?(): Promise<void>;
  start?(): Promise<void>;
}

let shared: Promise<RedisServer> | undefined;

export function redis(): Promise<RedisServer> {
  shared ??= process.env.AGENTSTATE_TEST_REDIS_URL
    ? Promise.resolve({ url: process.env.AGENTSTATE_TEST_REDIS_URL })
    : startThrowawayRedis();
  return shared;
}

export async function startThrowawayRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-redis-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""], { stdio: "ignore" });
    child.unref();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on("error", () => undefined); // refused while the server starts: expected
      try {
        await c.connect();
        await c.ping();
        c.disconnect();
        return;
      } catch {
        c.disconnect();
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        if (Date.now() > deadline) throw new Error("redis-server did not start within 10 s");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await exited;
  };
  await start();
  process.once("exit", () => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return { url, stop, start };
}
