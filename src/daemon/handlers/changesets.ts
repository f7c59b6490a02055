/** changesets methods. */
import type { changesetsMethods } from "../../domain/changesets.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export function changesetsHandlers(_ctx: ServiceContext): HandlersFor<typeof changesetsMethods> {
  return {};
}
