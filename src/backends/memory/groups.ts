/** In-memory groups. */
import type { BackendOptions, GroupStore } from "../contract.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryGroups implements GroupStore {
  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}
}
