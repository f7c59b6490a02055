/**
 * The daemon's lifecycle. Subsystems start in order (backend, dispatcher, health, socket) and
 * stop in reverse; start() and stop() are idempotent and resolve only when everything they
 * opened or closed is done.
 */
import type { Socket } from "node:net";
import { hostname } from "node:os";
import { monotonicFactory } from "ulid";
import { createBackend } from "../backends/index.js";
import type { Backend } from "../backends/contract.js";
import type { ResolvedConfig } from "../config/config.js";
import { AgentStateError } from "../domain/errors.js";
import { allMethods } from "../domain/methods.js";
import { Dispatcher, type Handler } from "../rpc/dispatcher.js";
import { RpcServer } from "../rpc/server.js";
import { conversationHandlers } from "./handlers/conversations.js";
import { daemonHandlers } from "./handlers/daemon.js";
import { groupsHandlers } from "./handlers/groups.js";
import { jobsHandlers } from "./handlers/jobs.js";
import { plansHandlers } from "./handlers/plans.js";
import { historyHandlers } from "./handlers/history.js";
import { changesetsHandlers } from "./handlers/changesets.js";
import { ledgerHandlers } from "./handlers/ledger.js";
import { checkpointsHandlers } from "./handlers/checkpoints.js";
import type { ServiceContext } from "./handlers/types.js";
import { HealthMonitor } from "./health.js";
import { listen, type Listener } from "./listener.js";
import { schedulerSubsystem } from "./scheduler/index.js";
import { eventsSubsystem } from "./events/index.js";
import { migrateSubsystem } from "./migrate.js";
import type { Logger } from "./logger.js";
import { VERSION } from "./version.js";
import type { DaemonContext, Subsystem, SubsystemFactory } from "./subsystem.js";
import type { HealthCheck } from "../domain/daemon.js";

/** Subsystems in start order (stopped in reverse). */
const SUBSYSTEMS: SubsystemFactory[] = [eventsSubsystem, schedulerSubsystem, migrateSubsystem];

export interface DaemonOptions {
  config: ResolvedConfig;
  logger: Logger;
  /** Overrides for tests: a prepared backend, a controllable clock. */
  backend?: Backend;
  now?: () => Date;
  /** Start/stop progress for the service manager (systemd STATUS=). */
  onStatus?: (status: string) => void;
  /** Called before each schema migration the backend runs while opening. */
  onMigration?: (migration: { version: number; name: string }) => void;
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

export class Daemon {
  readonly origin: string;
  private state: State = "new";
  private starting?: Promise<void>;
  private stopping?: Promise<void>;
  private backend?: Backend;
  private server?: RpcServer;
  private listener?: Listener;
  private health?: HealthMonitor;
  private subsystems: Subsystem[] = [];
  private readonly started: Subsystem[] = [];
  private readonly startedAt = Date.now();

  constructor(private readonly opts: DaemonOptions) {
    this.origin = `${process.pid}@${hostname()}`;
  }

  get socketPath(): string {
    return this.opts.config.socket;
  }

  /** Cached probes (backend, event loop, subsystems); set once start() has opened the backend. */
  get healthMonitor(): HealthMonitor | undefined {
    return this.health;
  }

  start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStart(): Promise<void> {
    const { config, logger } = this.opts;
    this.state = "starting";
    const status = this.opts.onStatus ?? (() => undefined);
    status(`starting: opening the ${config.backend} backend`);
    const now = this.opts.now ?? (() => new Date());
    const backend =
      this.opts.backend ??
      (await createBackend({
        name: config.backend,
        dataDir: config.dataDir,
        url: config.url,
        pgSchema: config.pgSchema,
        pgPoolSize: config.pgPoolSize,
        redisPrefix: config.redisPrefix,
        origin: this.origin,
        now,
        log: logger,
        onMigration: this.opts.onMigration,
      }));
    this.backend = backend;
    await backend.open();

    const health = new HealthMonitor(backend, VERSION, this.startedAt);
    this.health = health;
    const ctx: ServiceContext = { backend, config, logger, newId: monotonicFactory() };
    const dctx: DaemonContext = { ...ctx, health, server: () => this.server as RpcServer, origin: this.origin, now };
    this.subsystems = SUBSYSTEMS.map((make) => make(dctx));
    const handlers: Record<string, Handler> = {
      ...daemonHandlers({ ...ctx, health, startedAt: this.startedAt, server: () => this.server as RpcServer }),
      ...conversationHandlers(ctx),
      ...groupsHandlers(ctx),
      ...jobsHandlers(ctx),
      ...plansHandlers(ctx),
      ...historyHandlers(ctx),
      ...changesetsHandlers(ctx),
      ...ledgerHandlers(ctx),
      ...checkpointsHandlers(ctx),
      ...Object.assign({}, ...this.subsystems.map((sub) => sub.handlers ?? {})),
    };
    const dispatcher = new Dispatcher(allMethods, handlers, {
      logger,
      admit: () => {
        if (this.state === "stopping" || this.state === "stopped") {
          throw new AgentStateError("SHUTTING_DOWN", "the daemon is shutting down");
        }
      },
    });
    const server = new RpcServer(dispatcher, { maxLineBytes: config.maxLineBytes, maxInFlight: config.maxInFlight, logger });
    this.server = server;
    health.start();
    status("starting: subsystems");
    for (const sub of this.subsystems) {
      await sub.start?.();
      this.started.push(sub);
      if (sub.health) health.register(sub.name, () => (sub.health as () => HealthCheck)());
    }
    this.listener = await listen({
      path: config.socket,
      group: config.socketGroup,
      onConnection: (socket: Socket) => server.attach(socket),
    });
    this.state = "running";
    logger.info("listening", { socket: config.socket, backend: backend.name, activated: this.listener.activated, version: VERSION });
  }

  private async doStop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const { logger, config } = this.opts;
    this.state = "stopping";
    this.opts.onStatus?.(`stopping: draining ${this.server?.inFlight ?? 0} requests in flight`);
    // Stop accepting connections; requests already read are drained, new ones get SHUTTING_DOWN.
    this.listener?.server.close();
    if (this.server) {
      const drained = await this.server.drain(config.drainTimeoutMs);
      if (!drained) logger.warn("drain timed out; closing connections with requests in flight", { inFlight: this.server.inFlight });
      this.server.closeAll();
    }
    for (const sub of this.started.splice(0).reverse()) {
      await sub.stop?.().catch((err: unknown) => logger.error("subsystem failed to stop", { subsystem: sub.name, error: String(err) }));
    }
    this.health?.stop();
    await this.listener?.close();
    this.opts.onStatus?.("stopping: closing the backend");
    await this.backend?.close();
    this.state = "stopped";
    logger.info("stopped");
  }
}
