/** In-memory jobs. */
import type { BackendOptions, JobStore } from "../contract.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryJobs implements JobStore {
  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}
}
