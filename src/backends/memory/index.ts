/** The memory backend: everything in process, nothing durable. For tests and throwaway runs. */
import type { Backend, BackendOptions } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { MemoryStorage } from "./storage.js";
import { MemoryGroups } from "./groups.js";
import { MemoryJobs } from "./jobs.js";
import { MemoryPlans } from "./plans.js";
import { MemoryHistory } from "./history.js";

export class MemoryBackend extends CoreBackend implements Backend {
  declare readonly storage: MemoryStorage;
  readonly groups: MemoryGroups;
  readonly jobs: MemoryJobs;
  readonly plans: MemoryPlans;
  readonly history: MemoryHistory;

  constructor(opts: BackendOptions) {
    const storage = new MemoryStorage(opts);
    super(storage);
    const changes = storage.changes;
    this.groups = new MemoryGroups(opts, changes);
    this.jobs = new MemoryJobs(opts, changes);
    this.plans = new MemoryPlans(opts, changes);
    this.history = new MemoryHistory(opts, changes);
  }
}
