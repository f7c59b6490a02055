/**
 * The stores of the SQL family that still decide in the backend (being moved to src/core/). sqlite/
 * and postgres/ provide the SqlDb, the Storage and their own open/probe details.
 */
import type { BackendOptions } from "../contract.js";
import type { SqlChangeLog } from "./changes.js";
import type { SqlDb } from "./db.js";
import { SqlChangesets } from "./changesets.js";
import { SqlLedger } from "./ledger.js";

export function sqlLegacyStores(db: SqlDb, opts: BackendOptions, changes: SqlChangeLog) {
  const committed = () => changes.committed();
  return {
    changesets: new SqlChangesets(db, opts, committed),
    ledger: new SqlLedger(db, opts, committed),
  };
}
