/**
 * Ledger logic for stores that aggregate in JavaScript (memory, jsonl, redis): filtering, ordering
 * and grouping exactly as contract/ledger.ts specifies, so they all give the same answer.
 */
import { dayFunction, emptyTotals, GROUP_FIELDS, type GroupKey, type StoredTurn, type SummaryRow, type SummaryTotals } from "../../domain/ledger.js";
import type { LedgerFilter, LedgerSummaryQuery } from "../contract/ledger.js";

/** Ledger order: ts, then idHash. Both are ASCII, so `<` is code point order. */
export function compareTurns(a: Pick<StoredTurn, "ts" | "idHash">, b: Pick<StoredTurn, "ts" | "idHash">): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.idHash < b.idHash ? -1 : a.idHash > b.idHash ? 1 : 0;
}

/** Whether `t` passes every field of `f` (the ts range included). */
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

/** Code point order (UTF-16 `<` differs for characters above U+FFFF); null first. */
export function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(j) as number;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

type KeyOf = (t: StoredTurn) => string | null;

function keyFunction(key: GroupKey, day: (ts: string) => string): KeyOf {
  switch (key) {
    case "model":
      return (t) => t.model;
    case "day":
      return (t) => day(t.ts);
    case "session":
      return (t) => t.sessionId;
    case "project":
      return (t) => t.project ?? null;
    case "source":
      return (t) => t.source;
    case "host":
      return (t) => t.host ?? null;
  }
}

interface Group {
  key: (string | null)[];
  totals: SummaryTotals;
}

/** Accumulates turns into summary rows; call `add` for every matching turn, then `rows()`. */
export class SummaryBuilder {
  private readonly groups = new Map<string, Group>();
  private readonly keyOf: KeyOf[];

  constructor(private readonly q: Pick<LedgerSummaryQuery, "groupBy" | "timezone">) {
    const day = dayFunction(q.timezone);
    this.keyOf = q.groupBy.map((k) => keyFunction(k, day));
  }

  add(t: StoredTurn): void {
    const key = this.keyOf.map((f) => f(t));
    // Key values never hold control characters (they are validated names or days), so this is unambiguous.
    const id = key.map((k) => (k === null ? "\u0001" : k)).join("\u0000");
    let group = this.groups.get(id);
    if (!group) {
      group = { key, totals: emptyTotals() };
      this.groups.set(id, group);
    }
    const sums = group.totals;
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

  rows(): SummaryRow[] {
    const groups = [...this.groups.values()].sort((a, b) => {
      for (let i = 0; i < a.key.length; i++) {
        const c = compareKeys(a.key[i], b.key[i]);
        if (c !== 0) return c;
      }
      return 0;
    });
    return groups.map(({ key, totals }) => {
      const row: Record<string, unknown> = {};
      this.q.groupBy.forEach((k, i) => (row[GROUP_FIELDS[k]] = key[i]));
      return { ...row, ...totals };
    });
  }
}
