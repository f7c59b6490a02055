/** Every RPC method, by name. Server dispatch, client types and rpc.discover all read this. */
import { conversationMethods } from "./conversations.js";
import { daemonMethods } from "./daemon.js";
import { groupsMethods } from "./groups.js";
import { jobsMethods } from "./jobs.js";
import { plansMethods } from "./plans.js";
import { historyMethods } from "./history.js";
import { changesetsMethods } from "./changesets.js";
import { ledgerMethods } from "./ledger.js";
import { checkpointsMethods } from "./checkpoints.js";
import { eventsMethods } from "./events.js";
import { migrateMethods } from "./migrate.js";
import type { MethodDef, ParamsOf, ResultOf } from "./method.js";

export const methods = {
  ...daemonMethods,
  ...conversationMethods,
  ...groupsMethods,
  ...jobsMethods,
  ...plansMethods,
  ...historyMethods,
  ...changesetsMethods,
  ...ledgerMethods,
  ...checkpointsMethods,
  ...eventsMethods,
  ...migrateMethods,
};

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodParams<N extends MethodName> = ParamsOf<Methods[N]>;
export type MethodResult<N extends MethodName> = ResultOf<Methods[N]>;
export const allMethods: readonly MethodDef[] = Object.values(methods);

export const PROTOCOL_VERSION = 1;
