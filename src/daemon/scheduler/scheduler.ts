/**
 * The scheduler subsystem (SPEC §3.3): plans timers from the jobs' persisted nextRunAt, fires
 * slots through the backend's unique key, applies misfire policy to slots found late, runs exec
 * actions, and ties event-run claims to the claiming connection. Every decision goes through the
 * backend, so any number of daemons sharing one backend fire each slot once. docs/scheduler.md.
 */
import type { Backend, ChangeLog, JobStore } from "../../backends/contract.js";
import type { Change } from "../../domain/changes.js";
import { DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS, type jobsMethods } from "../../domain/jobs.js";
import type { HealthCheck } from "../../domain/daemon.js";
import type { Handler } from "../../rpc/dispatcher.js";
import type { HandlersFor } from "../handlers/types.js";
import { checkSize } from "../limits.js";
import type { Logger } from "../logger.js";
import type { Subsystem } from "../subsystem.js";
import { ClaimRegistry } from "./claims.js";
import { systemClock, type Clock } from "./clock.js";
import { EXEC_DEFAULTS, type ExecOptions } from "./exec.js";
import { execWorker, Executor } from "./executor.js";
import { firingPass, type FiringContext } from "./firing.js";
import { SchedulerStats, schedulerHealth } from "./health.js";
import { MISFIRE_DEFAULTS, type MisfireOptions } from "./misfire.js";
import { Planner } from "./planner.js";
import { Leases } from "./leases.js";
import { WaitingRuns } from "./waiting.js";

export interface SchedulerOptions {
  backend: Pick<Backend, "jobs" | "changes">;
  /** This daemon instance (firedBy, the exec worker name). */
  origin: string;
  logger: Logger;
  newId: () => string;
  clock?: Clock;
  /** Largest runs.finish output/error (the daemon's maxValueBytes). */
  maxValueBytes?: number;
  /** Claims a run gets before a released claim abandons it. */
  maxAttempts?: number;
  /** Longest time between planning passes (SPEC: 30 s). */
  replanEveryMs?: number;
  /** Wait after a failed pass. */
  retryMs?: number;
  misfire?: Partial<MisfireOptions>;
  exec?: Partial<ExecOptions>;
  /** How long a claim lasts unless this daemon renews it (default DEFAULT_LEASE_MS; R12). */
  leaseMs?: number;
}

type ClaimHandlers = Pick<HandlersFor<typeof jobsMethods>, "runs.claim" | "runs.finish">;

export class Scheduler implements Subsystem {
  readonly name = "scheduler";
  readonly handlers: Record<string, Handler>;
  readonly stats = new SchedulerStats();
  private readonly store: JobStore;
  private readonly changes: ChangeLog;
  private readonly clock: Clock;
  private readonly planner: Planner;
  private readonly executor: Executor;
  private readonly claims: ClaimRegistry;
  private readonly leases: Leases;
  private readonly firing: FiringContext;
  private readonly replanEveryMs: number;
  private readonly waiting = new WaitingRuns();
  private unwatch?: () => void;
  private lastSweep = -Infinity;
  private state: "new" | "running" | "stopped" = "new";
  private stopping?: Promise<void>;

  constructor(opts: SchedulerOptions) {
    this.store = opts.backend.jobs;
    this.changes = opts.backend.changes;
    this.clock = opts.clock ?? systemClock;
    this.replanEveryMs = opts.replanEveryMs ?? 30_000;
    const retryMs = opts.retryMs ?? 1000;
    const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.executor = new Executor(this.store, execWorker(opts.origin), { ...EXEC_DEFAULTS, ...opts.exec, maxAttempts, leaseMs }, this.stats, opts.logger);
    this.claims = new ClaimRegistry(this.store, maxAttempts, leaseMs, opts.logger);
    this.leases = new Leases(this.store, this.clock, { leaseMs, maxAttempts }, () => [...this.claims.heldRuns(), ...this.executor.heldRuns()], opts.logger);
    this.firing = {
      store: this.store,
      clock: this.clock,
      origin: opts.origin,
      newId: opts.newId,
      logger: opts.logger,
      stats: this.stats,
      misfire: { ...MISFIRE_DEFAULTS, ...opts.misfire },
      batch: 100,
      retryMs,
      onFired: (run, job) => this.executor.start(run.id, job),
    };
    this.planner = new Planner(this.clock, () => this.pass(), { maxWaitMs: this.replanEveryMs, retryMs }, (err) => {
      this.stats.failing = true;
      this.stats.lastError = { at: new Date(this.clock.now()).toISOString(), message: String(err) };
      opts.logger.warn("scheduler pass failed; retrying", { error: String(err) });
    });
    const max = opts.maxValueBytes ?? Infinity;
    const handlers: ClaimHandlers = {
      "runs.claim": (p, ctx) => this.claims.claim(p, ctx),
      "runs.finish": (p) => {
        checkSize("output", p.output, max);
        checkSize("error", p.error, max);
        return this.claims.finish(p);
      },
    };
    this.handlers = handlers as Record<string, Handler>;
  }

  async start(): Promise<void> {
    if (this.state !== "new") return;
    this.state = "running";
    this.unwatch = this.changes.watch((c) => this.onChange(c));
    await this.leases.tick(); // claims whose lease ran out while no daemon watched
    this.leases.start();
    this.planner.start();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.state = "stopped";
    this.unwatch?.();
    await this.planner.stop();
    await this.leases.stop();
    await this.executor.stop();
    // Connections closed just before subsystems stop; let their close handlers start releasing.
    await new Promise((resolve) => setImmediate(resolve));
    this.claims.stop(); // releases the backend keeps refusing try once more, then give up
    await this.claims.settled();
  }

  /** Resolves when no pass is running and every release has been written (for tests). */
  async idle(): Promise<void> {
    await this.planner.idle();
    await this.leases.idle();
    await this.claims.settled();
  }

  /** Ask for a planning pass now. */
  replan(): void {
    this.planner.request();
  }

  health(): HealthCheck {
    return schedulerHealth(this.stats, {
      waiting: this.waiting.overdue(this.clock.now()),
      nextDueAt: this.planner.armedFor,
      running: this.executor.size,
      claims: this.claims.held,
      releasesRetrying: this.claims.retrying,
      started: this.state === "running",
    });
  }

  private onChange(c: Change): void {
    if (c.domain === "jobs") {
      if (c.type === "job.deleted") this.waiting.jobDeleted(c.id);
      this.planner.request();
    } else if (c.type === "run.fired") {
      const data = c.data as { jobId?: string; status?: string } | undefined;
      if (data?.status === "pending" && typeof data.jobId === "string") {
        this.waiting.fired(c.id, data.jobId, Date.parse(c.at));
        this.executor.consider(c.id, data.jobId);
      }
    } else if (c.type === "run.claimed" || c.type === "run.finished") {
      this.waiting.settled(c.id);
    }
  }

  private async pass(): Promise<number | null> {
    const next = await firingPass(this.firing);
    this.stats.failing = false;
    if (this.clock.now() - this.lastSweep >= this.replanEveryMs) {
      this.lastSweep = this.clock.now();
      await this.sweep();
    }
    return next;
  }

  /** The periodic work that needs no precise timing: counting jobs, adopting stray exec runs. */
  private async sweep(): Promise<void> {
    let jobs = 0;
    let cursor: string | undefined;
    do {
      const page = await this.store.listJobs({ enabled: true, cursor, limit: 1000 });
      jobs += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    this.stats.jobs = jobs;
    await this.executor.sweep();
  }
}
