/**
 * The events subsystem: events.subscribe / events.unsubscribe over the one fan-out point (hub.ts),
 * change-log retention in the background, and its health check. See docs/events.md.
 */
import type { eventsMethods } from "../../domain/events.js";
import type { HealthCheck } from "../../domain/daemon.js";
import type { HandlersFor } from "../handlers/types.js";
import type { SubsystemFactory } from "../subsystem.js";
import { RunPayloads } from "./enrich.js";
import { EventHub } from "./hub.js";
import { Retention } from "./retention.js";

export const eventsSubsystem: SubsystemFactory = (ctx) => {
  const warn = (message: string, meta: Record<string, unknown>) => ctx.logger.warn(message, meta);
  const changes = ctx.backend.changes;
  const hub = new EventHub({ changes, payloads: new RunPayloads(ctx.backend.jobs, warn), warn });
  const retention = new Retention({
    changes,
    hours: ctx.config.eventsRetentionHours,
    keepAtLeast: ctx.config.eventsRetentionMin,
    now: ctx.now,
    warn,
  });
  const handlers: HandlersFor<typeof eventsMethods> = {
    "events.subscribe": (p, call) => hub.subscribe(p, call),
    "events.unsubscribe": (p, call) => ({ unsubscribed: hub.unsubscribe(p.subscription, call) }),
  };
  return {
    name: "events",
    handlers,
    async start() {
      hub.start();
      retention.start();
    },
    async stop() {
      hub.stop();
      await retention.stop();
    },
    health(): HealthCheck {
      const stats = hub.stats();
      const pruneFailed = retention.lastRun?.error !== undefined;
      return {
        status: pruneFailed ? "warn" : "pass",
        ...(pruneFailed ? { message: "the last change-log prune failed" } : {}),
        ...stats,
        lastPrune: retention.lastRun ?? null,
      };
    },
  };
};
