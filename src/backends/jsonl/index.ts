/**
 * The jsonl backend: a documented, human-readable directory (see docs/jsonl-layout.md), made
 * durable by a group-committed journal. One daemon per data directory (a pid lock).
 */
import type { Backend } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { JsonlStorage, type JsonlOptions } from "./storage.js";
import { JsonlGroups } from "./groups.js";
import { JsonlJobs } from "./jobs.js";
import { JsonlPlans } from "./plans.js";
import { JsonlHistory } from "./history.js";
import type { Engine } from "./engine.js";

export { FORMAT, type JsonlOptions } from "./storage.js";

export class JsonlBackend extends CoreBackend implements Backend {
  declare readonly storage: JsonlStorage;
  readonly groups: JsonlGroups;
  readonly jobs: JsonlJobs;
  readonly plans: JsonlPlans;
  readonly history: JsonlHistory;

  constructor(opts: JsonlOptions) {
    const storage = new JsonlStorage(opts);
    super(storage);
    const { engine, changes } = storage;
    this.groups = new JsonlGroups(engine, opts, changes);
    this.jobs = new JsonlJobs(engine, opts, changes);
    this.plans = new JsonlPlans(engine, opts, changes);
    this.history = new JsonlHistory(engine, opts, changes);
    storage.legacy = [this.groups, this.jobs, this.plans, this.history];
  }

  get engine(): Engine {
    return this.storage.engine;
  }
}
