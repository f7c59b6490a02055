/**
 * A Backend (the store API the daemon, scheduler and migrations use) assembled from a backend's
 * storage primitives: each domain's operations come from src/core/, written once. A backend's
 * entry class extends this and supplies its Storage.
 */
import {
  STORE_DEFAULTS, type Backend, type BackendName, type BackendOptions, type BackendProbe, type ChangeLog, type RestoreStore, type Storage,
} from "../backends/contract.js";
import { CoreChangesets } from "./changesets.js";
import { CoreCheckpoints } from "./checkpoints.js";
import { CoreConversations } from "./conversations.js";
import { CoreGroups } from "./groups.js";
import { CoreHistory } from "./history.js";
import { CoreJobs } from "./jobs.js";
import { CoreLedger } from "./ledger.js";
import { CorePlans } from "./plans.js";

export abstract class CoreBackend implements Backend {
  readonly conversations: CoreConversations;
  readonly groups: CoreGroups;
  readonly plans: CorePlans;
  readonly history: CoreHistory;
  readonly jobs: CoreJobs;
  readonly checkpoints: CoreCheckpoints;
  readonly changesets: CoreChangesets;
  readonly ledger: CoreLedger;
  /** The restore path (SPEC §2), assembled from each domain's core restore operations. */
  readonly restore: RestoreStore;

  /** `opts`: the store's clock and retention (history entries, runs kept per job). */
  constructor(
    readonly storage: Storage,
    opts: Pick<BackendOptions, "now" | "retention">,
  ) {
    this.conversations = new CoreConversations(storage);
    this.groups = new CoreGroups(storage);
    this.plans = new CorePlans(storage);
    this.history = new CoreHistory(storage, opts.retention?.historyEntries ?? STORE_DEFAULTS.historyEntries);
    this.jobs = new CoreJobs(storage, opts);
    this.checkpoints = new CoreCheckpoints(storage);
    this.changesets = new CoreChangesets(storage);
    this.ledger = new CoreLedger(storage);
    this.restore = {
      session: (session, messages) => this.conversations.restoreSession(session, messages),
      messages: (sessionId, messages) => this.conversations.restoreMessages(sessionId, messages),
      group: (group) => this.groups.restore(group),
      plan: (plan) => this.plans.restore(plan),
      history: (entries) => this.history.restore(entries),
      job: (job) => this.jobs.restoreJob(job),
      runs: (runs) => this.jobs.restoreRuns(runs),
      changeset: (changeset, entries) => this.changesets.restoreChangeset(changeset, entries),
      invocation: (invocation) => this.changesets.restoreInvocation(invocation),
      checkpointThread: (thread) => this.checkpoints.restoreThread(thread),
    };
  }

  get name(): BackendName {
    return this.storage.name;
  }

  get changes(): ChangeLog {
    return this.storage.changes;
  }

  async open(): Promise<void> {
    return this.storage.open();
  }

  async close(): Promise<void> {
    return this.storage.close();
  }

  async probe(): Promise<BackendProbe> {
    return this.storage.probe();
  }
}
