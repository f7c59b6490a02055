/**
 * The restore operations of the core stores (RestoreStore.group / plan / history), reached through
 * the store objects every backend's Backend carries. `backend.restore` is not wired yet; until then
 * the conformance cases call the core operations it will delegate to.
 */
import type { Backend, RestoreStore } from "../../src/backends/contract.js";

type Restorable<T> = { restore(record: T): Promise<void> };

export function restorePath(b: Backend): Pick<RestoreStore, "group" | "plan" | "history"> {
  const groups = b.groups as unknown as Restorable<Parameters<RestoreStore["group"]>[0]>;
  const plans = b.plans as unknown as Restorable<Parameters<RestoreStore["plan"]>[0]>;
  const history = b.history as unknown as Restorable<Parameters<RestoreStore["history"]>[0]>;
  return { group: (g) => groups.restore(g), plan: (p) => plans.restore(p), history: (e) => history.restore(e) };
}
