/**
 * A part of the daemon with its own lifecycle and methods (event fan-out, scheduler, …). The daemon
 * starts subsystems in list order after the backend is open and before the socket listens, and
 * stops them in reverse order after the last request has drained.
 */
import type { HealthCheck } from "../domain/daemon.js";
import type { Handler } from "../rpc/dispatcher.js";
import type { RpcServer } from "../rpc/server.js";
import type { ServiceContext } from "./handlers/types.js";
import type { HealthMonitor } from "./health.js";

export interface Subsystem {
  readonly name: string;
  /** Handlers for the methods this subsystem serves (each must have a definition in src/domain). */
  readonly handlers?: Record<string, Handler>;
  start?(): Promise<void>;
  /** Resolves when every timer, watcher and child process it owns is gone. */
  stop?(): Promise<void>;
  /** Shown under its name in daemon.health. */
  health?(): HealthCheck;
}

export interface DaemonContext extends ServiceContext {
  readonly health: HealthMonitor;
  /** The RPC server (connections); available once the daemon is starting. */
  readonly server: () => RpcServer;
  readonly origin: string;
  readonly now: () => Date;
}

export type SubsystemFactory = (ctx: DaemonContext) => Subsystem;
