/** history methods. */
import type { historyMethods } from "../../domain/history.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export function historyHandlers(_ctx: ServiceContext): HandlersFor<typeof historyMethods> {
  return {};
}
