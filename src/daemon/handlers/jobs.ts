/** jobs methods. */
import type { jobsMethods } from "../../domain/jobs.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export function jobsHandlers(_ctx: ServiceContext): HandlersFor<typeof jobsMethods> {
  return {};
}
