/** groups methods. */
import type { groupsMethods } from "../../domain/groups.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export function groupsHandlers(_ctx: ServiceContext): HandlersFor<typeof groupsMethods> {
  return {};
}
