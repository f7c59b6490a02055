/** The memory backend: everything in process, nothing durable. For tests and throwaway runs. */
import type { Backend, BackendOptions } from "../contract.js";
import { MemoryChangeLog } from "./changes.js";
import { MemoryConversations } from "./conversations.js";
import { MemoryGroups } from "./groups.js";
import { MemoryJobs } from "./jobs.js";
import { MemoryPlans } from "./plans.js";
import { MemoryHistory } from "./history.js";
import { MemoryChangesets } from "./changesets.js";
import { MemoryLedger } from "./ledger.js";

export class MemoryBackend implements Backend {
  readonly name = "memory" as const;
  readonly changes: MemoryChangeLog;
  readonly conversations: MemoryConversations;
  readonly groups: MemoryGroups;
  readonly jobs: MemoryJobs;
  readonly plans: MemoryPlans;
  readonly history: MemoryHistory;
  readonly changesets: MemoryChangesets;
  readonly ledger: MemoryLedger;

  constructor(opts: BackendOptions) {
    this.changes = new MemoryChangeLog(opts);
    this.conversations = new MemoryConversations(opts, this.changes);
    this.groups = new MemoryGroups(opts, this.changes);
    this.jobs = new MemoryJobs(opts, this.changes);
    this.plans = new MemoryPlans(opts, this.changes);
    this.history = new MemoryHistory(opts, this.changes);
    this.changesets = new MemoryChangesets(opts, this.changes);
    this.ledger = new MemoryLedger(opts, this.changes);
  }

  async open() {}
  async close() {}
  async probe() {
    return { ok: true, latencyMs: 0 };
  }
}
