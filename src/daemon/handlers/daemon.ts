/** daemon.* and rpc.discover. */
import { daemonMethods } from "../../domain/daemon.js";
import { allMethods, PROTOCOL_VERSION } from "../../domain/methods.js";
import { openRpcDocument } from "../../rpc/openrpc.js";
import type { RpcServer } from "../../rpc/server.js";
import type { HealthMonitor } from "../health.js";
import { VERSION } from "../version.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export interface DaemonHandlerDeps extends ServiceContext {
  readonly health: HealthMonitor;
  readonly server: () => RpcServer;
  readonly startedAt: number;
}

export function daemonHandlers(deps: DaemonHandlerDeps): HandlersFor<typeof daemonMethods> {
  let discover: Record<string, unknown> | undefined;
  return {
    "daemon.ping": () => "pong" as const,
    "daemon.version": () => ({ version: VERSION, protocol: PROTOCOL_VERSION, node: process.version, backend: deps.backend.name }),
    "daemon.health": () => deps.health.report(),
    "daemon.stats": () => {
      const server = deps.server();
      const mem = process.memoryUsage();
      return {
        pid: process.pid,
        uptime: (Date.now() - deps.startedAt) / 1000,
        connections: server.connections.size,
        requests: server.dispatcher.requests,
        errors: server.dispatcher.errors,
        inFlight: server.inFlight,
        rssBytes: mem.rss,
        heapUsedBytes: mem.heapUsed,
      };
    },
    "rpc.discover": () => (discover ??= openRpcDocument(allMethods, VERSION)),
  };
}
