/**
 * `perf record` on a bench daemon over a timed window (run.ts --perf DIR): on-CPU samples of every
 * thread, kernel included, with call graphs, so CPU per append can be split into JS, V8, SQLite,
 * libc and each system call. Summarise with `node dist/bench/perf-summary.js FILE.perf.data`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export interface PerfRecording {
  stop(): Promise<void>;
}

let available: boolean | undefined;

export function startPerf(dir: string, name: string, pid: number): PerfRecording | undefined {
  available ??= spawnSync("perf", ["--version"], { stdio: "ignore" }).status === 0;
  if (!available) {
    process.stderr.write("--perf: no perf on PATH; not recording\n");
    return undefined;
  }
  const child: ChildProcess = spawn("perf", ["record", "-q", "-e", "cpu-clock", "-F", "997", "-g", "-p", String(pid), "-o", join(dir, `${name}.perf.data`)], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    async stop() {
      child.kill("SIGINT");
      await exited;
    },
  };
}
