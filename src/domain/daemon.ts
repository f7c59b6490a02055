/** Daemon introspection methods (SPEC §5). */
import { Type, type Static } from "@sinclair/typebox";
import { method, table } from "./method.js";
import { JsonObject, Params } from "./schema.js";

const CheckStatus = Type.Union([Type.Literal("pass"), Type.Literal("warn"), Type.Literal("fail")]);
export type CheckStatus = Static<typeof CheckStatus>;

/** A status and a message, plus any facts the check wants to show (latency, counts, …). */
export const HealthCheck = Type.Intersect([
  Type.Object({ status: CheckStatus, message: Type.Optional(Type.String()) }),
  Type.Record(Type.String(), Type.Unknown()),
]);
export type HealthCheck = Static<typeof HealthCheck>;

export const Health = Type.Object({
  status: CheckStatus,
  checks: Type.Record(Type.String(), HealthCheck),
  version: Type.String(),
  uptime: Type.Number({ description: "seconds since start" }),
});
export type Health = Static<typeof Health>;

export const daemonMethods = table(
  method({ name: "daemon.ping", summary: "Liveness round trip.", params: Params({}), result: Type.Literal("pong") }),
  method({
    name: "daemon.version",
    summary: "Package version, protocol version and runtime.",
    params: Params({}),
    result: Type.Object({ version: Type.String(), protocol: Type.Integer(), node: Type.String(), backend: Type.String() }),
  }),
  method({
    name: "daemon.health",
    summary: "Health from cached probes; never blocks on a dead backend.",
    params: Params({}),
    result: Health,
  }),
  method({
    name: "daemon.stats",
    summary: "Counters: connections, requests, errors, memory.",
    params: Params({}),
    result: Type.Object({
      pid: Type.Integer(),
      uptime: Type.Number(),
      connections: Type.Integer(),
      requests: Type.Integer(),
      errors: Type.Integer(),
      inFlight: Type.Integer(),
      rssBytes: Type.Integer(),
      heapUsedBytes: Type.Integer(),
    }),
  }),
  method({
    name: "rpc.discover",
    summary: "The OpenRPC document of every method, generated from the same definitions that validate requests.",
    params: Params({}),
    result: JsonObject,
  }),
);
