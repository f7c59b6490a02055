/** In-memory history. */
import type { BackendOptions, HistoryStore } from "../contract.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryHistory implements HistoryStore {
  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}
}
