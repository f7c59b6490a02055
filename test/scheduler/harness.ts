/** A controllable clock with timers, and schedulers on a shared backend, for scheduler tests. */
import type { Backend, JobInput } from "../../src/backends/contract.js";
import { MemoryBackend } from "../../src/backends/memory/index.js";
import type { Run } from "../../src/domain/jobs.js";
import type { Clock, Timer } from "../../src/daemon/scheduler/clock.js";
import { Scheduler, type SchedulerOptions } from "../../src/daemon/scheduler/scheduler.js";
import { silentLogger } from "../helpers/daemon.js";

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Time moves only when a test says so; timers fire in due order as it passes them. */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers: Pending[] = [];
  /** Called after each timer fires, to let the work it started finish before time moves on. */
  settle: () => Promise<void> = async () => undefined;

  constructor(start: string) {
    this.t = Date.parse(start);
  }

  now(): number {
    return this.t;
  }

  readonly date = (): Date => new Date(this.t);

  setTimer(fn: () => void, ms: number): Timer {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(p);
    return { cancel: () => void (p.cancelled = true) };
  }

  /** This clock seen from a host whose clock is off by `offsetMs` (same timers). */
  skewed(offsetMs: number): Clock {
    return { now: () => this.t + offsetMs, setTimer: (fn, ms) => this.setTimer(fn, ms) };
  }

  /** Jumps without firing timers (the process was not running). */
  jump(ms: number): void {
    this.t += ms;
  }

  /** Moves time forward by `ms`, firing each timer at its due time. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await this.settle();
    for (;;) {
      const live = this.timers.filter((p) => !p.cancelled);
      this.timers.length = 0;
      this.timers.push(...live);
      live.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const due = live[0];
      if (due === undefined || due.at > target) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await this.settle();
    }
    this.t = target;
    await this.settle();
  }
}

export const memoryBackend = (clock: ManualClock, origin = "test"): MemoryBackend =>
  new MemoryBackend({ origin, now: clock.date });

let ids = 0;
export const newId = (): string => `r${String(++ids).padStart(8, "0")}`;

export function makeScheduler(
  backend: Pick<Backend, "jobs" | "changes">,
  clock: Clock,
  origin: string,
  extra: Partial<SchedulerOptions> = {},
): Scheduler {
  return new Scheduler({ backend, clock, origin, logger: silentLogger(), newId, ...extra });
}

/** Lets microtasks, change notifications and planner passes of `schedulers` run out. */
export function settler(schedulers: () => Scheduler[]): () => Promise<void> {
  return async () => {
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.all(schedulers().map((s) => s.idle()));
    }
  };
}

export function jobInput(id: string, fields: Partial<JobInput> & Pick<JobInput, "schedule">): JobInput {
  return {
    id,
    timezone: "UTC",
    enabled: true,
    deleteAfterRun: false,
    action: { type: "event" },
    payload: {},
    misfire: "once",
    noOverlap: true,
    ...fields,
  };
}

/** Every run of a job, oldest slot first. */
export async function runsOf(backend: Pick<Backend, "jobs">, jobId: string): Promise<Run[]> {
  const out: Run[] = [];
  let cursor: string | undefined;
  do {
    const page = await backend.jobs.listRuns({ jobId, cursor, limit: 1000 });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out.reverse();
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
