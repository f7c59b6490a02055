/**
 * The shared SQL backend: every store on one SqlDb, whatever the engine. sqlite/ and postgres/
 * provide the SqlDb and their own open/probe details.
 */
import type { BackendOptions } from "../contract.js";
import { SqlChangeLog } from "./changes.js";
import { SqlConversations } from "./conversations.js";
import type { SqlDb } from "./db.js";
import { SqlChangesets } from "./changesets.js";
import { SqlGroups } from "./groups.js";
import { SqlHistory } from "./history.js";
import { SqlJobs } from "./jobs.js";
import { SqlLedger } from "./ledger.js";
import { SqlPlans } from "./plans.js";

export class SqlStores {
  readonly changes: SqlChangeLog;
  readonly conversations: SqlConversations;
  readonly groups: SqlGroups;
  readonly jobs: SqlJobs;
  readonly plans: SqlPlans;
  readonly history: SqlHistory;
  readonly changesets: SqlChangesets;
  readonly ledger: SqlLedger;

  constructor(db: SqlDb, opts: BackendOptions, pollMs: number) {
    this.changes = new SqlChangeLog(db, pollMs, opts.log);
    const committed = () => this.changes.committed();
    this.conversations = new SqlConversations(db, opts, committed);
    this.groups = new SqlGroups(db, opts, committed);
    this.jobs = new SqlJobs(db, opts, committed);
    this.plans = new SqlPlans(db, opts, committed);
    this.history = new SqlHistory(db, opts, committed);
    this.changesets = new SqlChangesets(db, opts, committed);
    this.ledger = new SqlLedger(db, opts, committed);
  }
}
