/**
 * Runs an exec action (SPEC §3.3): the program itself, never a shell, in its own process group;
 * the run as JSON on stdin; AGENTSTATE_RUN_ID and AGENTSTATE_JOB_ID in its environment. At the
 * timeout the whole group is killed. The outcome is a value, never an exception: a program that
 * cannot be started is a failed run with a clear error, so nothing here can take the daemon down.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Action, Run } from "../../domain/jobs.js";

export type ExecAction = Extract<Action, { type: "exec" }>;

export interface ExecOptions {
  /** stdout and stderr together keep at most this many bytes (default 64 KiB). */
  outputBytes: number;
  /** Used when the action sets no timeoutMs (default 1 h). */
  defaultTimeoutMs: number;
}

export const EXEC_DEFAULTS: ExecOptions = { outputBytes: 64 * 1024, defaultTimeoutMs: 3_600_000 };

export interface ExecOutput {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** True when output beyond the byte limit was dropped. */
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

export interface ExecResult {
  status: "succeeded" | "failed";
  error?: string;
  output: ExecOutput;
}

/** A started program; `done` always resolves. */
export interface ExecHandle {
  readonly done: Promise<ExecResult>;
  /** Kills the process group now (daemon shutdown). */
  kill(): void;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is already gone
  }
}

export function runExec(action: ExecAction, run: Run, payload: unknown, opts: ExecOptions = EXEC_DEFAULTS): ExecHandle {
  const started = Date.now();
  const timeoutMs = action.timeoutMs ?? opts.defaultTimeoutMs;
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let kept = 0;
  let truncated = false;
  let timedOut = false;
  let child: ChildProcess;

  const output = (exitCode: number | null, signal: string | null): ExecOutput => ({
    exitCode,
    signal,
    stdout: Buffer.concat(chunks.stdout).toString("utf8"),
    stderr: Buffer.concat(chunks.stderr).toString("utf8"),
    truncated,
    timedOut,
    durationMs: Date.now() - started,
  });

  const done = new Promise<ExecResult>((resolve) => {
    const [program, ...args] = action.argv;
    try {
      child = spawn(program, args, {
        cwd: action.cwd,
        env: { ...process.env, ...action.env, AGENTSTATE_RUN_ID: run.id, AGENTSTATE_JOB_ID: run.jobId },
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
        shell: false,
      });
    } catch (err) {
      resolve({ status: "failed", error: `cannot start ${JSON.stringify(program)}: ${(err as Error).message}`, output: output(null, null) });
      return;
    }
    let settled = false;
    const finish = (result: ExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutMs);

    const collect = (name: "stdout" | "stderr") => (data: Buffer) => {
      const room = opts.outputBytes - kept;
      if (data.length > room) truncated = true;
      if (room <= 0) return;
      const part = data.length > room ? data.subarray(0, room) : data;
      chunks[name].push(part);
      kept += part.length;
    };
    child.stdout?.on("data", collect("stdout"));
    child.stderr?.on("data", collect("stderr"));
    // A program that exits without reading stdin makes the write fail with EPIPE: not an error of the run.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(JSON.stringify({ ...run, payload }) + "\n");

    child.on("error", (err: NodeJS.ErrnoException) => {
      const why =
        err.code === "ENOENT" ? `program not found: ${JSON.stringify(program)}` :
        err.code === "EACCES" ? `program not executable: ${JSON.stringify(program)}` :
        `cannot start ${JSON.stringify(program)}: ${err.code ?? err.message}`;
      finish({ status: "failed", error: action.cwd !== undefined && err.code === "ENOENT" ? `${why} (or cwd ${JSON.stringify(action.cwd)} does not exist)` : why, output: output(null, null) });
    });
    // 'close' waits for the pipes; a background grandchild holding them must not hold the run, so
    // after 'exit' the pipes get a moment to drain and are then cut.
    let exitTimer: NodeJS.Timeout | undefined;
    child.on("exit", () => {
      exitTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 1000);
    });
    child.on("close", (code, signal) => {
      clearTimeout(exitTimer);
      const out = output(code, signal);
      if (timedOut) finish({ status: "failed", error: `timed out after ${timeoutMs} ms; process group killed`, output: out });
      else if (code === 0) finish({ status: "succeeded", output: out });
      else finish({ status: "failed", error: code === null ? `killed by ${signal}` : `exited with code ${code}`, output: out });
    });
  });

  return { done, kill: () => child !== undefined && killGroup(child) };
}
