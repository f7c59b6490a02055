/**
 * What every bench module shares: the result shape `run.ts` prints, and a real daemon from dist
 * on a temporary socket, with nothing of the developer's configuration.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
}

export interface BenchModule {
  id: string;
  title: string;
  run(): Promise<BenchResult[]>;
}

export interface BenchDaemon {
  socket: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startBenchDaemon(args: string[] = []): Promise<BenchDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-bench-"));
  const socket = join(dir, "run", "agentstate.sock");
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, "config") };
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, "bin", "agentstated.js"), "--socket", socket, "--backend", "memory", "--data-dir", join(dir, "data"), ...args],
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
    pid: child.pid ?? -1,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
    pid: child.pid ?? -1,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `node dist/bench/<script> …args` and parses the JSON line it prints. */
export async function runChild<T>(script: string, args: string[]): Promise<T> {
  const child = spawn(process.execPath, [join(DIST_BENCH, script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  if (code !== 0) throw new Error(`${script} ${args.join(" ")} exited ${code}`);
  return JSON.parse(out) as T;
}
