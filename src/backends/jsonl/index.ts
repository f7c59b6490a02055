/**
 * The jsonl backend: a documented, human-readable directory (see docs/jsonl-layout.md), made
 * durable by a group-committed journal. One daemon per data directory (a pid lock).
 */
import type { Backend } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { JsonlStorage, type JsonlOptions } from "./storage.js";
import { JobsWatch } from "./jobs-watch.js";
import type { Engine } from "./engine.js";

export { FORMAT, type JsonlOptions } from "./storage.js";

export class JsonlBackend extends CoreBackend implements Backend {
  declare readonly storage: JsonlStorage;
  /** Hand edits of schedules/*.yaml (tests stop it to simulate a crash). */
  readonly jobsWatch: JobsWatch;
  private watching?: Promise<void>;

  constructor(opts: JsonlOptions) {
    const storage = new JsonlStorage(opts);
    super(storage, opts);
    storage.ports.plans.events = { edited: (...a) => this.plans.edited(...a), removed: (...a) => this.plans.removed(...a) };
    const { engine } = storage;
    this.jobsWatch = new JobsWatch(storage, storage.ports.jobs, engine.vfs, engine.path("schedules"), opts.log);
  }

  /** Opens the storage, then reconciles and watches hand edits of schedules/*.yaml. */
  override async open(): Promise<void> {
    await super.open();
    this.watching ??= this.jobsWatch.start();
    await this.watching;
  }

  override async close(): Promise<void> {
    await this.jobsWatch.stop();
    await super.close();
  }

  get engine(): Engine {
    return this.storage.engine;
  }
}
