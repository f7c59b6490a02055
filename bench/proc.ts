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

/** The whole machine's CPU time so far, every core (/proc/stat's "cpu" line), in clock ticks. */
export interface MachineSample {
  busy: number;
  total: number;
}

export function sampleMachine(): MachineSample | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const fields = [user, nice, system, idle, iowait, irq, softirq, steal].map((n) => n ?? 0);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** The share (0–1) of all cores' time that was busy between two samples. */
export function machineBusy(start: MachineSample | undefined, end: MachineSample | undefined): number | undefined {
  if (!start || !end || end.total <= start.total) return undefined;
  return (end.busy - start.busy) / (end.total - start.total);
}
