/**
 * The stores of the SQL family that still decide in the backend (being moved to src/core/). sqlite/
 * and postgres/ provide the SqlDb, the Storage and their own open/probe details.
 */
import type { BackendOptions } from "../contract.js";
import type { SqlChangeLog } from "./changes.js";
import type { SqlDb } from "./db.js";
import { SqlGroups } from "./groups.js";
import { SqlHistory } from "./history.js";
import { SqlJobs } from "./jobs.js";
import { SqlPlans } from "./plans.js";

export function sqlLegacyStores(db: SqlDb, opts: BackendOptions, changes: SqlChangeLog) {
  const committed = () => changes.committed();
  return {
    groups: new SqlGroups(db, opts, committed),
    jobs: new SqlJobs(db, opts, committed),
    plans: new SqlPlans(db, opts, committed),
    history: new SqlHistory(db, opts, committed),
  };
}
