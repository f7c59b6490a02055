/**
 * The real binaries from dist: `bin/agentstated.js` as a child process that the test waits on until
 * it answers, and `bin/agentstate.js` runs with their exit code and output. Every child is killed
 * and awaited in t.after.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { RawSocket } from "./raw.js";

/** The repository root (this file runs as dist/test/helpers/spawn.js). */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const DAEMON_BIN = join(ROOT, "bin", "agentstated.js");
export const CLI_BIN = join(ROOT, "bin", "agentstate.js");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LogLine {
  time: string;
  level: string;
  msg: string;
  [key: string]: unknown;
}

/**
 * The environment a child gets: the parent's without any AGENTSTATE_* setting, and a config
 * directory of its own so a developer's ~/.config/agentstate never leaks into a test.
 */
export function hermeticEnv(configHome: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("AGENTSTATE_") && k !== "NOTIFY_SOCKET" && k !== "LISTEN_FDS" && k !== "LISTEN_PID" && k !== "JOURNAL_STREAM") env[k] = v;
  }
  return { ...env, XDG_CONFIG_HOME: configHome, ...extra };
}

export class ChildWatch {
  readonly exited: Promise<Exit>;
  private stdoutText = "";
  private stderrText = "";
  private readonly listeners = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding("utf8").on("data", (s: string) => {
      this.stdoutText += s;
      this.wake();
    });
    child.stderr?.setEncoding("utf8").on("data", (s: string) => {
      this.stderrText += s;
      this.wake();
    });
    // 'close' (not 'exit'): stdio is fully read by then.
    this.exited = new Promise((resolve) => child.once("close", (code, signal) => {
      this.wake();
      resolve({ code, signal });
    }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  get stdout(): string {
    return this.stdoutText;
  }
  get stderr(): string {
    return this.stderrText;
  }

  /** Stderr lines that are JSON log records (every line the daemon logs should be one). */
  logs(): LogLine[] {
    return this.stderrText
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as LogLine);
  }

  /** Resolves with the first log record matching `pred`; rejects on exit or timeout. */
  async waitForLog(pred: (l: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs().find(pred);
      if (found) return found;
      if (!this.running) throw new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) first; stderr:\n${this.stderrText}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching log line within ${timeoutMs} ms; stderr:\n${this.stderrText}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.listeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.listeners.add(done);
      });
    }
  }

  /** Sends `signal` (if still running) and waits for the exit. */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  private wake(): void {
    const ls = [...this.listeners];
    this.listeners.clear();
    for (const l of ls) l();
  }
}

export interface SpawnDaemonOptions {
  socket: string;
  /** Extra daemon flags; `--socket` and `--backend memory` are always given. */
  args?: string[];
  /** Extra environment on top of hermeticEnv. */
  env?: Record<string, string>;
  /** Wait until it answers a ping (default true). */
  ready?: boolean;
}

/** Spawns `node bin/agentstated.js --socket … --backend memory`; killed (SIGKILL if need be) in t.after. */
export async function spawnDaemon(t: Pick<TestContext, "after">, opts: SpawnDaemonOptions): Promise<ChildWatch> {
  const configHome = join(dirname(dirname(opts.socket)), "config-home");
  const child = spawn(process.execPath, [DAEMON_BIN, "--socket", opts.socket, "--backend", "memory", ...(opts.args ?? [])], {
    env: hermeticEnv(configHome, opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const watch = new ChildWatch(child);
  t.after(() => watch.kill("SIGKILL"));
  if (opts.ready ?? true) {
    await watch.waitForLog((l) => l.msg === "listening");
    const raw = await RawSocket.connect(opts.socket);
    try {
      const reply = await raw.roundTrip({ jsonrpc: "2.0", id: 1, method: "daemon.ping" });
      if (reply.result !== "pong") throw new Error(`spawned daemon answered ${JSON.stringify(reply)}`);
    } finally {
      raw.destroy();
    }
  }
  return watch;
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs `node <script> …args` to completion (killed after `timeoutMs`). */
export async function runNode(
  t: Pick<TestContext, "after">,
  script: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  const child = spawn(process.execPath, [script, ...args], { env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
  const watch = new ChildWatch(child);
  t.after(() => watch.kill("SIGKILL"));
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 15_000);
  const exit = await watch.exited;
  clearTimeout(timer);
  return { ...exit, stdout: watch.stdout, stderr: watch.stderr };
}
