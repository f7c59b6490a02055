/**
 * Ledger rules, the same for every backend: which turns a filter matches, the (ts, idHash) order,
 * what a summary groups by and how its rows are merged, sorted and shaped. Pure.
 */
import { compareCodePoints } from "../domain/order.js";
import { addTotals, dayFunction, emptyTotals, GROUP_FIELDS, type GroupKey, type StoredTurn, type SummaryRow, type SummaryTotals } from "../domain/ledger.js";
import type { AggregateDim, AggregateRow, LedgerFilter, LedgerSummaryQuery, TurnKey } from "../backends/contract.js";

/** Ledger order: ts, then idHash (both ASCII, so code point order is plain comparison). */
export function compareTurns(a: TurnKey, b: TurnKey): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.idHash < b.idHash ? -1 : a.idHash > b.idHash ? 1 : 0;
}

/** Whether `t` passes every field of `f` (the half-open ts range included). */
export function matchesFilter(t: StoredTurn, f: LedgerFilter): boolean {
  return (
    (f.since === undefined || t.ts >= f.since) &&
    (f.until === undefined || t.ts < f.until) &&
    (f.sessionId === undefined || t.sessionId === f.sessionId) &&
    (f.project === undefined || t.project === f.project) &&
    (f.model === undefined || t.model === f.model) &&
    (f.source === undefined || t.source === f.source) &&
    (f.host === undefined || t.host === f.host)
  );
}

/** A turn's value in one aggregate dimension (see AggregateDim). */
export function dimValue(t: StoredTurn, dim: AggregateDim): string | null {
  switch (dim) {
    case "model":
      return t.model;
    case "session":
      return t.sessionId;
    case "project":
      return t.project ?? null;
    case "source":
      return t.source;
    case "host":
      return t.host ?? null;
    case "utcDay":
      return t.ts.slice(0, 10);
    case "quarter":
      return `${t.ts.slice(0, 13)}|${Math.floor(Number(t.ts.slice(14, 16)) / 15)}`;
  }
}

/** A turn's contribution to the sums. */
function addTurn(sums: SummaryTotals, t: StoredTurn): void {
  const u = t.usage;
  sums.turns += 1;
  sums.inputTokens += u.input;
  sums.outputTokens += u.output;
  sums.reasoningTokens += u.reasoning ?? 0;
  sums.cacheReadTokens += u.cacheRead ?? 0;
  sums.cacheCreateTokens += u.cacheCreate ?? 0;
  if (t.costUsd !== undefined) {
    sums.costUsd += t.costUsd;
    sums.pricedTurns += 1;
  }
}

// Key values never hold control characters (validated names, days, quarters), so this is unambiguous.
const groupId = (key: readonly (string | null)[]) => key.map((k) => (k === null ? "\u0001" : k)).join("\u0000");

/** Sums turns per distinct value of `dims`: what a store's `aggregate` would answer, by scanning. */
export class Aggregator {
  private readonly rows = new Map<string, AggregateRow>();

  constructor(private readonly dims: readonly AggregateDim[]) {}

  add(t: StoredTurn): void {
    const key = this.dims.map((d) => dimValue(t, d));
    const id = groupId(key);
    let row = this.rows.get(id);
    if (!row) this.rows.set(id, (row = { key, totals: emptyTotals() }));
    addTurn(row.totals, t);
  }

  result(): AggregateRow[] {
    return [...this.rows.values()];
  }
}

/**
 * What the store aggregates by for a summary: each group key's column, and for `day` the UTC day,
 * or, in another zone, the UTC quarter hour (every zone's offset has been a multiple of 15 minutes
 * since 1972, so all of a quarter hour falls on one local day).
 */
export function aggregateDims(q: Pick<LedgerSummaryQuery, "groupBy" | "timezone">): AggregateDim[] {
  return q.groupBy.map((k) => (k === "day" ? (q.timezone === "UTC" ? "utcDay" : "quarter") : k));
}

/** The first instant of a quarter-hour key ("2026-03-01T10|2" → "2026-03-01T10:30:00.000Z"). */
const quarterStart = (key: string): string => `${key.slice(0, 13)}:${String(Number(key.slice(14)) * 15).padStart(2, "0")}:00.000Z`;

/** Null first, then code point order. */
function compareKey(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return compareCodePoints(a, b);
}

/**
 * The summary rows from aggregate rows (by aggregateDims(q)): quarters named by their zoned day and
 * merged, rows without turns dropped, sorted by the key fields in groupBy order, each carrying only
 * the fields its groupBy fills.
 */
export function summaryRows(q: Pick<LedgerSummaryQuery, "groupBy" | "timezone">, rows: readonly AggregateRow[]): SummaryRow[] {
  const day = dayFunction(q.timezone);
  const zoned = aggregateDims(q).map((d) => d === "quarter");
  const groups = new Map<string, { key: (string | null)[]; totals: SummaryTotals }>();
  for (const r of rows) {
    if (r.totals.turns === 0) continue;
    const key = r.key.map((v, i) => (zoned[i] && v !== null ? day(quarterStart(v)) : v));
    const id = groupId(key);
    const g = groups.get(id);
    if (g) addTotals(g.totals, r.totals);
    else groups.set(id, { key, totals: { ...r.totals } });
  }
  const sorted = [...groups.values()].sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const c = compareKey(a.key[i], b.key[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  return sorted.map(({ key, totals }) => {
    const row: Record<string, unknown> = {};
    q.groupBy.forEach((k: GroupKey, i) => (row[GROUP_FIELDS[k]] = key[i]));
    return { ...row, ...totals };
  });
}
