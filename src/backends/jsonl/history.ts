/** jsonl history: to be written (see conversations.ts for the pattern). */
import type { BackendOptions } from "../contract.js";
import type { JsonlChangeLog } from "./changes.js";
import type { Engine } from "./engine.js";
import type { JsonlDomain } from "./domain.js";

export class JsonlHistory implements JsonlDomain {
  constructor(
    protected readonly engine: Engine,
    protected readonly opts: BackendOptions,
    protected readonly changes: JsonlChangeLog,
  ) {}

  async load(): Promise<void> {}
}
