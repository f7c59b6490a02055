/** The memory backend: everything in process, nothing durable. For tests and throwaway runs. */
import type { Backend, BackendOptions } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { MemoryStorage } from "./storage.js";
import { MemoryGroups } from "./groups.js";
import { MemoryPlans } from "./plans.js";
import { MemoryHistory } from "./history.js";
import { MemoryChangesets } from "./changesets.js";
import { MemoryLedger } from "./ledger.js";

export class MemoryBackend extends CoreBackend implements Backend {
  declare readonly storage: MemoryStorage;
  readonly groups: MemoryGroups;
  readonly plans: MemoryPlans;
  readonly history: MemoryHistory;
  readonly changesets: MemoryChangesets;
  readonly ledger: MemoryLedger;

  constructor(opts: BackendOptions) {
    const storage = new MemoryStorage(opts);
    super(storage, opts);
    const changes = storage.changes;
    this.groups = new MemoryGroups(opts, changes);
    this.plans = new MemoryPlans(opts, changes);
    this.history = new MemoryHistory(opts, changes);
    this.changesets = new MemoryChangesets(opts, changes);
    this.ledger = new MemoryLedger(opts, changes);
  }
}
