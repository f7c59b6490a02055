/** The memory backend: everything in process, nothing durable. For tests and throwaway runs. */
import type { Backend, BackendOptions } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { MemoryStorage } from "./storage.js";
import { MemoryChangesets } from "./changesets.js";
import { MemoryLedger } from "./ledger.js";

export class MemoryBackend extends CoreBackend implements Backend {
  declare readonly storage: MemoryStorage;
  readonly changesets: MemoryChangesets;
  readonly ledger: MemoryLedger;

  constructor(opts: BackendOptions) {
    const storage = new MemoryStorage(opts);
    super(storage, opts);
    const changes = storage.changes;
    this.changesets = new MemoryChangesets(opts, changes);
    this.ledger = new MemoryLedger(opts, changes);
  }
}
