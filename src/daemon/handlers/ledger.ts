/** ledger methods. */
import type { ledgerMethods } from "../../domain/ledger.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export function ledgerHandlers(_ctx: ServiceContext): HandlersFor<typeof ledgerMethods> {
  return {};
}
