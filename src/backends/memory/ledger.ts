/** In-memory ledger. */
import type { BackendOptions, LedgerStore } from "../contract.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryLedger implements LedgerStore {
  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}
}
