/**
 * A Backend (the store API the daemon, scheduler and migrations use) assembled from a backend's
 * storage primitives: each domain's operations come from src/core/, written once. A backend's
 * entry class extends this and supplies its Storage.
 */
import type { Backend, BackendName, BackendOptions, BackendProbe, ChangeLog, Storage } from "../backends/contract.js";
import { CoreConversations } from "./conversations.js";
import { CoreJobs } from "./jobs.js";

type Legacy = Omit<Backend, "name" | "conversations" | "jobs" | "changes" | "open" | "close" | "probe">;

export abstract class CoreBackend implements Pick<Backend, "name" | "conversations" | "jobs" | "changes" | "open" | "close" | "probe"> {
  readonly conversations: CoreConversations;
  readonly jobs: CoreJobs;

  /** `opts`: the store's clock and retention (runs kept per job). */
  constructor(
    readonly storage: Storage,
    opts: Pick<BackendOptions, "now" | "retention">,
  ) {
    this.conversations = new CoreConversations(storage);
    this.jobs = new CoreJobs(storage, opts);
  }

  get name(): BackendName {
    return this.storage.name;
  }

  get changes(): ChangeLog {
    return this.storage.changes;
  }

  open(): Promise<void> {
    return this.storage.open();
  }

  close(): Promise<void> {
    return this.storage.close();
  }

  probe(): Promise<BackendProbe> {
    return this.storage.probe();
  }
}

export type { Legacy as LegacyStores };
