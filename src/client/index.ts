/**
 * The typed client library: `import { connect } from "agentstate"`. Calls are generated from the
 * same method definitions the server validates with: `client.sessions.create({...})`.
 */
import { resolveConfig } from "../config/config.js";
import { methods, type MethodName, type MethodParams, type MethodResult } from "../domain/methods.js";
import { Connection } from "./connection.js";
import { EventSubscriptions, type EventHandler, type EventSubscription, type SubscribeOptions } from "./subscriptions.js";

type NamespaceOf<N> = N extends `${infer A}.${string}` ? A : never;
type VerbOf<N> = N extends `${string}.${infer B}` ? B : never;
type Args<N extends MethodName> = object extends MethodParams<N> ? [params?: MethodParams<N>] : [params: MethodParams<N>];

export type MethodCall<N extends MethodName> = (...args: Args<N>) => Promise<MethodResult<N>>;

export type TypedMethods = {
  [NS in NamespaceOf<MethodName>]: {
    [N in MethodName as NamespaceOf<N> extends NS ? VerbOf<N> : never]: MethodCall<N>;
  };
};

export interface ConnectOptions {
  /** Socket path; default: the same resolution as the daemon (AGENTSTATE_SOCKET, config file, default path). */
  socket?: string;
  /** Per-request timeout in ms (default 30 s; 0 disables). */
  timeoutMs?: number;
  /** How long connecting keeps retrying before DaemonUnreachableError (default 2 s). */
  connectTimeoutMs?: number;
}

export class AgentStateClient {
  constructor(protected readonly connection: Connection) {}

  /** Call any method by name. */
  call<N extends MethodName>(method: N, ...args: Args<N>): Promise<MethodResult<N>> {
    return this.connection.call(method, args[0]) as Promise<MethodResult<N>>;
  }

  close(): void {
    this.connection.close();
  }
}

/** `events.subscribe` is the resuming subscription of subscriptions.ts, not the raw method. */
export type EventsApi = Omit<TypedMethods["events"], "subscribe"> & {
  subscribe(topics: readonly string[], handler: EventHandler, options?: SubscribeOptions): Promise<EventSubscription>;
};

export type Client = AgentStateClient & Omit<TypedMethods, "events"> & { events: EventsApi };

export async function connect(options: ConnectOptions = {}): Promise<Client> {
  const socketPath = options.socket ?? resolveConfig().config.socket;
  const connection = new Connection({
    socketPath,
    timeoutMs: options.timeoutMs ?? 30_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
  });
  await connection.open();
  const client = new AgentStateClient(connection) as Client;
  const namespaces: Record<string, Record<string, (params?: unknown) => Promise<unknown>>> = {};
  for (const name of Object.keys(methods)) {
    const [ns, verb] = name.split(".", 2) as [string, string];
    (namespaces[ns] ??= {})[verb] = (params?: unknown) => connection.call(name, params);
  }
  Object.assign(client, namespaces);
  const subscriptions = new EventSubscriptions(connection);
  client.events.subscribe = (topics, handler, opts) => subscriptions.subscribe(topics, handler, opts);
  return client;
}

export { RpcCallError, DaemonUnreachableError, RequestTimeoutError, ConnectionLostError } from "./errors.js";
export type { MethodName, MethodParams, MethodResult } from "../domain/methods.js";
export type * from "../domain/conversations.js";
export type * from "../domain/groups.js";
export type * from "../domain/jobs.js";
export type * from "../domain/plans.js";
export type * from "../domain/history.js";
export type * from "../domain/changesets.js";
export type * from "../domain/ledger.js";
export type * from "../domain/checkpoints.js";
export type * from "../domain/changes.js";
export type * from "../domain/events.js";
export type { EventMessage, EventHandler, EventSubscription, SubscribeOptions } from "./subscriptions.js";
export { compareCursors } from "../domain/cursor.js";
export type { Health, HealthCheck } from "../domain/daemon.js";
