/** The memory backend: everything in process, nothing durable. For tests and throwaway runs. */
import type { Backend, BackendOptions } from "../contract.js";
import { CoreBackend } from "../../core/backend.js";
import { MemoryStorage } from "./storage.js";

export class MemoryBackend extends CoreBackend implements Backend {
  declare readonly storage: MemoryStorage;

  constructor(opts: BackendOptions) {
    const storage = new MemoryStorage(opts);
    super(storage, opts);
  }
}
