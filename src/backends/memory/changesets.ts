/** In-memory changesets. */
import type { BackendOptions, ChangesetStore } from "../contract.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryChangesets implements ChangesetStore {
  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}
}
