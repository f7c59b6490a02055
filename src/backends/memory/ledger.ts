/** The ledger held in process: turns by idHash plus one array in (ts, idHash) order. */
import type { StoredTurn } from "../../domain/ledger.js";
import type { LedgerFilter, LedgerReadPort, LedgerWritePort, TurnKey } from "../contract.js";
import { compareTurns, matchesFilter } from "../../core/ledger-rules.js";
import { clone } from "../../domain/clone.js";

export const LEDGER_WRITES: ReadonlySet<string> = new Set<keyof LedgerWritePort>(["insertTurns"]);

export class MemoryLedgerPort implements LedgerReadPort, LedgerWritePort {
  private readonly byHash = new Map<string, StoredTurn>();
  /** Every stored turn, ascending (ts, idHash). */
  private ordered: StoredTurn[] = [];

  async storedKeys(hashes: readonly string[]) {
    return new Set(hashes.filter((h) => this.byHash.has(h)));
  }

  async turns(filter: LedgerFilter, after: TurnKey | undefined, limit: number) {
    const items: StoredTurn[] = [];
    this.walk(filter, after, (t) => items.push(t) < limit);
    return clone(items);
  }

  async scan(filter: LedgerFilter, visit: (t: StoredTurn) => void) {
    this.walk(filter, undefined, (t) => {
      visit(t);
      return true;
    });
  }

  /** Visits matching turns in order after `after` until `visit` returns false. */
  private walk(f: LedgerFilter, after: TurnKey | undefined, visit: (t: StoredTurn) => boolean): void {
    let from = f.since === undefined ? 0 : this.bound({ ts: f.since, idHash: "" });
    if (after) from = Math.max(from, this.bound(after, true));
    const to = f.until === undefined ? this.ordered.length : this.bound({ ts: f.until, idHash: "" });
    for (let i = from; i < to; i++) if (matchesFilter(this.ordered[i], f) && !visit(this.ordered[i])) return;
  }

  insertTurns(turns: StoredTurn[]): void {
    const fresh = clone(turns).sort(compareTurns);
    for (const t of fresh) this.byHash.set(t.idHash, t);
    this.ordered = merge(this.ordered, fresh);
  }

  /** Index of the first stored turn that sorts at or after `at` (strictly after, if `after`). */
  private bound(at: TurnKey, after = false): number {
    let lo = 0;
    let hi = this.ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareTurns(this.ordered[mid], at);
      if (c < 0 || (after && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Merges two arrays sorted by compareTurns; appends when `b` sorts wholly after `a` (the common case). */
function merge(a: StoredTurn[], b: StoredTurn[]): StoredTurn[] {
  if (b.length === 0) return a;
  if (a.length === 0 || compareTurns(a[a.length - 1], b[0]) < 0) {
    for (const t of b) a.push(t);
    return a;
  }
  const out: StoredTurn[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(compareTurns(a[i], b[j]) <= 0 ? a[i++] : b[j++]);
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}
