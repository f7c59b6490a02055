/**
 * The usage ledger: one row per turn keyed by idHash, the turn as JSON in `data`, and real columns
 * for everything query filters and pages on and summary groups and sums. See docs/decisions/sql-ledger.md.
 */
import type { Migration } from "./migration.js";

export const ledger: Migration = {
  version: 5,
  name: "ledger",
  up: (d) => [
    // day = substr(ts, 1, 10), the UTC day, stored so that an index can hold it (summary by day).
    // Token columns hold 0 for an absent usage field; cost_usd stays NULL when the turn has no cost.
    `CREATE TABLE ledger_turns (
      id_hash TEXT ${d.binary} PRIMARY KEY,
      ts TEXT ${d.binary} NOT NULL,
      day TEXT ${d.binary} NOT NULL,
      model TEXT ${d.binary} NOT NULL,
      session_id TEXT ${d.binary} NOT NULL,
      project TEXT ${d.binary},
      source TEXT ${d.binary} NOT NULL,
      host TEXT ${d.binary},
      input_tokens ${d.bigint} NOT NULL,
      output_tokens ${d.bigint} NOT NULL,
      reasoning_tokens ${d.bigint} NOT NULL,
      cache_read_tokens ${d.bigint} NOT NULL,
      cache_create_tokens ${d.bigint} NOT NULL,
      cost_usd DOUBLE PRECISION,
      data TEXT NOT NULL)`,
    // query without a filter column (and with since/until): keyset order
    "CREATE INDEX ledger_turns_ts ON ledger_turns (ts, id_hash)",
    // query and summary filtered by one of these columns, in keyset order within it
    "CREATE INDEX ledger_turns_session ON ledger_turns (session_id, ts, id_hash)",
    "CREATE INDEX ledger_turns_model ON ledger_turns (model, ts, id_hash)",
    "CREATE INDEX ledger_turns_project ON ledger_turns (project, ts, id_hash)",
    "CREATE INDEX ledger_turns_source ON ledger_turns (source, ts, id_hash)",
    "CREATE INDEX ledger_turns_host ON ledger_turns (host, ts, id_hash)",
    // summary: covers every grouping column and every sum, so an unfiltered or ranged summary reads
    // this index alone (index-only scan), never the wide rows; (day, model) first lets SQLite group
    // by model and day in index order without a sort, and bounds a since/until range by day.
    `CREATE INDEX ledger_turns_summary ON ledger_turns (day, model, ts, source, project, host, session_id,
      input_tokens, output_tokens, reasoning_tokens, cache_read_tokens, cache_create_tokens, cost_usd)`,
  ],
};
