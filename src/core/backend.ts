/**
 * A Backend (the store API the daemon, scheduler and migrations use) assembled from a backend's
 * storage primitives: each domain's operations come from src/core/, written once. A backend's
 * entry class extends this and supplies its Storage.
 */
import type { Backend, BackendName, BackendProbe, ChangeLog, Storage } from "../backends/contract.js";
import { CoreChangesets } from "./changesets.js";
import { CoreConversations } from "./conversations.js";
import { CoreLedger } from "./ledger.js";

type Legacy = Omit<Backend, "name" | "conversations" | "changesets" | "ledger" | "changes" | "open" | "close" | "probe">;

export abstract class CoreBackend implements Pick<Backend, "name" | "conversations" | "changesets" | "ledger" | "changes" | "open" | "close" | "probe"> {
  readonly conversations: CoreConversations;
  readonly changesets: CoreChangesets;
  readonly ledger: CoreLedger;

  constructor(readonly storage: Storage) {
    this.conversations = new CoreConversations(storage);
    this.changesets = new CoreChangesets(storage);
    this.ledger = new CoreLedger(storage);
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
