/** plans on SQL: to be written (see conversations.ts for the pattern). */
import type { BackendOptions } from "../contract.js";
import type { SqlDb } from "./db.js";

export class SqlPlans {
  constructor(
    protected readonly db: SqlDb,
    protected readonly opts: BackendOptions,
    /** Call after each committed write so change-log watchers look at once. */
    protected readonly committed: () => void,
  ) {}
}
