/**
 * What the kernel counts for a process, read from /proc: CPU time of the whole process (every
 * thread, user and system) and its read/write system calls. Linux only; elsewhere undefined.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    const n = Number(r.stdout?.trim());
    ticksPerSecond = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return ticksPerSecond;
}

export interface ProcSample {
  /** Seconds of CPU, user and system, of every thread the process has had. */
  user: number;
  system: number;
  /** read(2)/readv and write(2)/writev-family calls (/proc/<pid>/io syscr, syscw). */
  readCalls: number;
  writeCalls: number;
}

export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const hz = clockTicks();
    const io = Object.fromEntries(
      readFileSync(`/proc/${pid}/io`, "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split(": ") as [string, string]),
    );
    return {
      user: Number(fields[11]) / hz,
      system: Number(fields[12]) / hz,
      readCalls: Number(io.syscr),
      writeCalls: Number(io.syscw),
    };
  } catch {
    return undefined;
  }
}

/** end − start, field by field. */
export function delta(start: ProcSample | undefined, end: ProcSample | undefined): ProcSample | undefined {
  if (!start || !end) return undefined;
  return {
    user: end.user - start.user,
    system: end.system - start.system,
    readCalls: end.readCalls - start.readCalls,
    writeCalls: end.writeCalls - start.writeCalls,
  };
}
