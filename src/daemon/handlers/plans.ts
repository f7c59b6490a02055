/** plans methods. */
import type { plansMethods } from "../../domain/plans.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export function plansHandlers(_ctx: ServiceContext): HandlersFor<typeof plansMethods> {
  return {};
}
