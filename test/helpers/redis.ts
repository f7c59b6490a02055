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
  /** redis://host:port, or a Unix socket path (ioredis takes either). */
  url: string;
  port?: number;
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

export interface ThrowawayRedisOptions {
  /**
   * Runs the server inside a network namespace (test/helpers/netns.ts: the lab's `server.wrap`),
   * listening on every address there at `port` (default 6379: the namespace's own); `url` is then
   * the Unix socket, so the test's own checks never cross a partition.
   */
  wrap?: (argv: string[]) => string[];
  port?: number;
}

/** A URL of `server` at a TCP address (for a server started with `wrap`: one of the lab's addresses). */
export const redisUrlAt = (server: RedisServer, host: string): string => `redis://${host}:${server.port ?? 6379}`;

export async function startThrowawayRedis(opts: ThrowawayRedisOptions = {}): Promise<RedisServer & { port: number }> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-redis-"));
  const wrap = opts.wrap;
  const port = opts.port ?? (wrap ? 6379 : await freePort());
  const url = wrap ? join(dir, "redis.sock") : `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ["--port", String(port), "--bind", wrap ? "0.0.0.0" : "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""];
    if (wrap) args.push("--protected-mode", "no", "--unixsocket", url, "--unixsocketperm", "700");
    const argv = (wrap ?? ((a: string[]) => a))(["redis-server", ...args]);
    child = spawn(argv[0], argv.slice(1), { stdio: "ignore" });
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
    c.ref(); // the child was unref()ed at start; waiting for its exit must keep this process alive
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await exited;
  };
  await start();
  process.once("exit", () => {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return { url, port, stop, start };
}
