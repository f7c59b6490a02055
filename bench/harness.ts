/**
 * What every bench module shares: the result shape `run.ts` prints, and a real daemon from dist
 * on a temporary socket, with nothing of the developer's configuration.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DAEMON_NODE_FLAGS } from "../src/config/node-flags.js";

/** The repository root (this file runs as dist/bench/harness.js). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DIST_BENCH = fileURLToPath(new URL(".", import.meta.url));

export interface BenchResult {
  /** Target id from SPEC §10 (P1…P8), or P1.x for comparisons without a target. */
  id: string;
  what: string;
  /** Human form of the target, e.g. "p50 ≤ 100 µs"; "" for comparison rows. */
  target: string;
  measured: string;
  /** How far inside the target (≥ 1 passes); null for comparison rows. */
  ratio: number | null;
  pass: boolean | null;
  raw: Record<string, unknown>;
  /** os.loadavg() (1, 5, 15 min) when the module started and ended; run.ts fills it in. */
  load?: { start: number[]; end: number[] };
}

export interface BenchModule {
  id: string;
  title: string;
  run(): Promise<BenchResult[]>;
}

export interface BenchDaemon {
  socket: string;
  /** The daemon's data directory (jsonl files, the sqlite file). */
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
}

/** `nodeArgs` go to node before the script (default: the flags the daemon runs with in production). */
export async function startBenchDaemon(args: string[] = [], opts: { nodeArgs?: string[] } = {}): Promise<BenchDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-bench-"));
  const socket = join(dir, "run", "agentstate.sock");
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, "config") };
  const child: ChildProcess = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? DAEMON_NODE_FLAGS), join(ROOT, "bin", "agentstated.js"), "--socket", socket, "--backend", "memory", "--data-dir", join(dir, "data"), ...args],
    { env, stdio: ["ignore", "ignore", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
      if (stderr.includes('"msg":"listening"')) resolve();
    });
    void exited.then(() => reject(new Error(`daemon exited before listening:\n${stderr}`)));
  });
  return {
    socket,
    dataDir: join(dir, "data"),
    pid: child.pid ?? -1,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** os.loadavg() rounded to two decimals. */
export const load = (): number[] => loadavg().map((v) => Math.round(v * 100) / 100);

/** Rounds to `digits` decimals. */
export const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** Resolves after `ms`; keeps the process alive meanwhile. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts one `node dist/bench/<script>` per argument list, waits until every one has printed
 * `ready` on stdout, writes `go` to all their stdins at once, and returns the JSON line each prints
 * last. A worker that has not finished after `timeoutMs` is killed and fails the run.
 */
export async function runWorkers<T>(script: string, argLists: string[][], timeoutMs: number): Promise<T[]> {
  let readyCount = 0;
  let allReady!: () => void;
  const ready = new Promise<void>((r) => (allReady = r));
  const children = argLists.map((args) => {
    const child = spawn(process.execPath, [join(DIST_BENCH, script), ...args], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    let sawReady = false;
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
      if (!sawReady && out.includes("ready\n")) {
        sawReady = true;
        out = out.slice(out.indexOf("ready\n") + 6);
        if (++readyCount === argLists.length) allReady();
      }
    });
    const done = new Promise<T>((resolve, reject) => {
      child.once("close", (code) => {
        if (code !== 0) reject(new Error(`${script} ${args.join(" ")} exited ${code}`));
        else resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as T);
      });
    });
    return { child, done };
  });
  const timer = setTimeout(() => children.forEach((c) => c.child.kill("SIGKILL")), timeoutMs);
  try {
    await Promise.race([ready, Promise.all(children.map((c) => c.done))]);
    for (const c of children) c.child.stdin.end("go\n");
    return await Promise.all(children.map((c) => c.done));
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `node dist/bench/echo-server.js` on a temporary socket (P1's floor). */
export async function startEchoServer(): Promise<BenchDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-bench-"));
  const socket = join(dir, "echo.sock");
  const child = spawn(process.execPath, [join(DIST_BENCH, "echo-server.js"), socket], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (s: string) => s.includes("listening") && resolve());
    void exited.then(() => reject(new Error("echo server exited before listening")));
  });
  return {
    socket,
    dataDir: dir,
    pid: child.pid ?? -1,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `node dist/bench/<script> …args` and parses the JSON line it prints. */
export async function runChild<T>(script: string, args: string[], timeoutMs = 0): Promise<T> {
  const child = spawn(process.execPath, [join(DIST_BENCH, script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  const timer = timeoutMs > 0 ? setTimeout(() => child.kill("SIGKILL"), timeoutMs) : undefined;
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} ${args.join(" ")} exited ${code}${timer ? ` (time limit ${timeoutMs} ms)` : ""}`);
  return JSON.parse(out) as T;
}

/** `count` chat messages of about 200 bytes of JSON each, numbered from `from`. */
export function benchMessages(from: number, count: number): { role: string; content: string }[] {
  return Array.from({ length: count }, (_, j) => {
    const head = `message ${from + j}: `;
    return { role: j % 2 ? "assistant" : "user", content: head + "lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(4).slice(0, 165 - head.length) };
  });
}
