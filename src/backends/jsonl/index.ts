/**
 * The jsonl backend: a documented, human-readable directory (see docs/jsonl-layout.md), made
 * durable by a group-committed journal. One daemon per data directory (a pid lock).
 */
import type { Backend } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { JsonlStorage, type JsonlOptions } from "./storage.js";
import { JsonlJobs } from "./jobs.js";
import { JsonlChangesets } from "./changesets.js";
import { JsonlLedger } from "./ledger.js";
import type { Engine } from "./engine.js";

export { FORMAT, type JsonlOptions } from "./storage.js";

export class JsonlBackend extends CoreBackend implements Backend {
  declare readonly storage: JsonlStorage;
  readonly jobs: JsonlJobs;
  readonly changesets: JsonlChangesets;
  readonly ledger: JsonlLedger;

  constructor(opts: JsonlOptions) {
    const storage = new JsonlStorage(opts);
    super(storage, opts);
    storage.ports.plans.events = { edited: (...a) => this.plans.edited(...a), removed: (...a) => this.plans.removed(...a) };
    const { engine, changes } = storage;
    this.jobs = new JsonlJobs(engine, opts, changes);
    this.changesets = new JsonlChangesets(engine, opts, changes);
    this.ledger = new JsonlLedger(engine, opts, changes);
    storage.legacy = [this.jobs, this.changesets, this.ledger];
  }

  get engine(): Engine {
    return this.storage.engine;
  }
}
