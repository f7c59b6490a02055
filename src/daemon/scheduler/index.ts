/** The scheduler as a daemon subsystem. */
import type { DaemonContext, Subsystem } from "../subsystem.js";
import { systemClock } from "./clock.js";
import { Scheduler } from "./scheduler.js";

export { Scheduler, type SchedulerOptions } from "./scheduler.js";
export type { Clock, Timer } from "./clock.js";

export const schedulerSubsystem = (ctx: DaemonContext): Subsystem =>
  new Scheduler({
    backend: ctx.backend,
    origin: ctx.origin,
    logger: ctx.logger,
    newId: ctx.newId,
    // The daemon's clock (tests may control it) with real timers.
    clock: { now: () => ctx.now().getTime(), setTimer: (fn, ms) => systemClock.setTimer(fn, ms) },
    maxValueBytes: ctx.config.maxValueBytes,
    leaseMs: ctx.config.claimLeaseMs,
  });
