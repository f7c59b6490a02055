/** Ledger methods: timestamps and zones made canonical, defaults and limits applied here, once. */
import { invalidParams } from "../../domain/errors.js";
import {
  addTotals, canonicalTimestamp, canonicalTimeZone, emptyTotals, type ledgerMethods, type LedgerQueryParams, type SummaryParams,
} from "../../domain/ledger.js";
import type { LedgerFilter } from "../../backends/contract.js";
import { checkSize } from "../limits.js";
import type { HandlersFor, ServiceContext } from "./types.js";

export const DEFAULT_LIMIT = 100;
export const DEFAULT_TIMEZONE = "UTC";

function timestamp(value: string, path: string): string {
  const ts = canonicalTimestamp(value);
  if (ts === undefined) throw invalidParams(`${JSON.stringify(value)} is not a time in years 0000–9999`, path);
  return ts;
}

/** The filter fields of `p`, with since/until canonical and in order. */
function filterOf(p: LedgerQueryParams | SummaryParams): LedgerFilter {
  const since = p.since === undefined ? undefined : timestamp(p.since, "/since");
  const until = p.until === undefined ? undefined : timestamp(p.until, "/until");
  if (since !== undefined && until !== undefined && until < since) throw invalidParams("until is before since", "/until");
  return { since, until, sessionId: p.sessionId, project: p.project, model: p.model, source: p.source, host: p.host };
}

export function ledgerHandlers({ backend, config }: ServiceContext): HandlersFor<typeof ledgerMethods> {
  const store = backend.ledger;
  const max = config.maxValueBytes;
  return {
    "ledger.ingest": (p) => {
      const turns = p.turns.map((t, i) => {
        checkSize(`turns[${i}].extra`, t.extra, max);
        return { ...t, ts: timestamp(t.ts, `/turns/${i}/ts`) };
      });
      return store.ingest(turns);
    },
    "ledger.query": (p) => store.query({ ...filterOf(p), cursor: p.cursor, limit: p.limit ?? DEFAULT_LIMIT }),
    "ledger.summary": async (p) => {
      const timezone = canonicalTimeZone(p.timezone ?? DEFAULT_TIMEZONE);
      if (timezone === undefined) throw invalidParams(`unknown time zone ${JSON.stringify(p.timezone)}`, "/timezone");
      const rows = await store.summary({ ...filterOf(p), groupBy: p.groupBy, timezone });
      return { groupBy: p.groupBy, timezone, rows, totals: rows.reduce(addTotals, emptyTotals()) };
    },
  };
}
