/**
 * What every bench module shares: the result shape `run.ts` prints, and a real daemon from dist
 * on a temporary socket, with nothing of the developer's configuration.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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
  /** Which checkout's daemon was measured (Checkout.label); absent for rows that use none. */
  side?: string;
  /** The headline number, for comparing checkouts and rounds (run.ts takes medians of it). */
  metric?: Metric;
  /** Which round produced the row (run.ts fills it in). */
  round?: number;
}

export interface Metric {
  value: number;
  unit: string;
  better: "higher" | "lower";
}

export interface BenchModule {
  id: string;
  /** Other ids that select this module with --only (P2C selects P2, whose runs it comes from). */
  aliases?: string[];
  title: string;
  /**
   * "alternates": the module runs every checkout itself, case by case, in checkoutsFor(round)
   * order, and labels its rows. "this-only": it measures in-process code of this checkout and
   * cannot run another. Otherwise run.ts runs the whole module once per checkout.
   */
  checkouts?: "alternates" | "this-only";
  run(round: number): Promise<BenchResult[]>;
}

export interface BenchDaemon {
  socket: string;
  /** The daemon's data directory (jsonl files, the sqlite file). */
  dataDir: string;
  pid: number;
  /** With --cpu-prof: the profile's path without ".cpuprofile" (written when the daemon exits). */
  profile?: string;
  stop(): Promise<void>;
}

/**
 * A checkout whose daemon a bench runs: this one, or with `--baseline DIR` another built checkout
 * (`npx tsc -p tsconfig.json` there), so before and after are measured side by side in one run.
 * Bench clients always come from this checkout; only the daemon differs.
 */
export interface Checkout {
  /** "base" (the --baseline checkout) or "this". */
  label: string;
  root: string;
}

export interface RunSettings {
  checkouts: Checkout[];
  /** How many times each module runs; with two checkouts each round alternates their order. */
  rounds: number;
  /** With --cpu-prof DIR, every bench daemon writes a V8 CPU profile there. */
  cpuProfDir?: string;
  /** With --perf DIR, `perf record` samples each P2/P2s daemon's CPU over the timed window into DIR. */
  perfDir?: string;
  /** Overrides the seconds each P2/P2s case writes for (default 10). */
  seconds?: number;
  /** Overrides P2s's writer counts (default 8, 32, 128). */
  p2sWriters?: number[];
  /** The checkout startBenchDaemon uses when not told (run.ts sets it for modules that do not alternate). */
  defaultRoot: string;
}

export const settings: RunSettings = { checkouts: [{ label: "this", root: ROOT }], rounds: 1, defaultRoot: ROOT };

/** The checkouts in the order to run them in `round`: base first in even rounds, this first in odd. */
export function checkoutsFor(round: number): Checkout[] {
  return round % 2 === 0 ? settings.checkouts : [...settings.checkouts].reverse();
}

/** The node flags `root`'s daemon runs with in production (from its own dist), else this checkout's. */
async function daemonNodeFlags(root: string): Promise<readonly string[]> {
  if (root === ROOT) return DAEMON_NODE_FLAGS;
  try {
    const mod = (await import(pathToFileURL(join(root, "dist", "src", "config", "node-flags.js")).href)) as { DAEMON_NODE_FLAGS?: readonly string[] };
    return mod.DAEMON_NODE_FLAGS ?? DAEMON_NODE_FLAGS;
  } catch {
    return DAEMON_NODE_FLAGS;
  }
}

export interface DaemonOptions {
  /** Go to node before the script (default: the flags the daemon runs with in production). */
  nodeArgs?: string[];
  /** The checkout to run (default settings.defaultRoot). */
  root?: string;
  /** Added to the daemon's environment (e.g. the slow-flush shim). */
  env?: NodeJS.ProcessEnv;
  /** With --cpu-prof: the profile's file name, without extension. */
  profileName?: string;
}

let profileCount = 0;

export async function startBenchDaemon(args: string[] = [], opts: DaemonOptions = {}): Promise<BenchDaemon> {
  const root = opts.root ?? settings.defaultRoot;
  const dir = mkdtempSync(join(tmpdir(), "agentstate-bench-"));
  const socket = join(dir, "run", "agentstate.sock");
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), ...opts.env };
  const profileBase = settings.cpuProfDir ? join(settings.cpuProfDir, `${opts.profileName ?? "daemon"}-${++profileCount}`) : undefined;
  const profile = profileBase
    ? ["--cpu-prof", "--cpu-prof-interval", "250", "--cpu-prof-dir", dirname(profileBase), "--cpu-prof-name", `${basename(profileBase)}.cpuprofile`]
    : [];
  // perf resolves JIT-compiled JS through /tmp/perf-<pid>.map, which this flag makes V8 write.
  if (settings.perfDir) profile.push("--perf-basic-prof");
  const child: ChildProcess = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? (await daemonNodeFlags(root))), ...profile, join(root, "bin", "agentstated.js"), "--socket", socket, "--backend", "memory", "--data-dir", join(dir, "data"), ...args],
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
    profile: profileBase,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Beside a daemon's CPU profile, the timed window (CLOCK_MONOTONIC µs, the profile's own clock) and
 * what was done in it, so profile-summary.js can leave out start-up and shutdown.
 */
export function writeProfileWindow(daemon: BenchDaemon, window: { fromUs: number; toUs: number; appends: number; syncs?: number; secondsInSync?: number }): void {
  if (daemon.profile) writeFileSync(`${daemon.profile}.window.json`, JSON.stringify(window) + "\n");
}

/** CLOCK_MONOTONIC in µs: the clock of V8's CPU profiles. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

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
export async function runWorkers<T>(
  script: string,
  argLists: string[][],
  timeoutMs: number,
  opts: { env?: NodeJS.ProcessEnv; onGo?: () => void } = {},
): Promise<T[]> {
  let readyCount = 0;
  let allReady!: () => void;
  const ready = new Promise<void>((r) => (allReady = r));
  const children = argLists.map((args) => {
    const child = spawn(process.execPath, [join(DIST_BENCH, script), ...args], {
      stdio: ["pipe", "pipe", "inherit"],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
    });
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
    opts.onGo?.();
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
export async function runChild<T>(script: string, args: string[], timeoutMs = 0, env?: NodeJS.ProcessEnv): Promise<T> {
  const child = spawn(process.execPath, [join(DIST_BENCH, script), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: env ? { ...process.env, ...env } : process.env,
  });
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
