/** Handler typing: each handler takes its method's params and returns its result, checked by tsc. */
import type { MethodDef, ParamsOf, ResultOf } from "../../domain/method.js";
import type { CallContext } from "../../rpc/dispatcher.js";
import type { Backend } from "../../backends/contract.js";
import type { ResolvedConfig } from "../../config/config.js";
import type { Logger } from "../logger.js";

export type HandlersFor<T extends Record<string, MethodDef>> = {
  [N in keyof T]: (params: ParamsOf<T[N]>, ctx: CallContext) => Promise<ResultOf<T[N]>> | ResultOf<T[N]>;
};

/** What domain handlers need from the daemon. */
export interface ServiceContext {
  readonly backend: Backend;
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly newId: () => string;
}
