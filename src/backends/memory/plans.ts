/** In-memory plans. */
import type { BackendOptions, PlanStore } from "../contract.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryPlans implements PlanStore {
  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}
}
