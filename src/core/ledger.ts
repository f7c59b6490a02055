/**
 * The usage ledger (SPEC §3.7), written once over the storage primitives
 * (src/backends/contract/ports/ledger.ts); filter, order and grouping rules in ./ledger-rules.ts.
 */
import { idHash, type IngestResult, type StoredTurn, type SummaryRow, type Turn } from "../domain/ledger.js";
import type { LedgerQuery, LedgerStore, LedgerSummaryQuery, Page, Storage } from "../backends/contract.js";
import { Aggregator, aggregateDims, summaryRows } from "./ledger-rules.js";
import { decodeCursor, pageOf } from "./paging.js";
import { clone } from "../domain/clone.js";

export class CoreLedger implements LedgerStore {
  constructor(private readonly storage: Storage) {}

  /**
   * First write wins per key: a turn whose key is stored, or repeats an earlier one of the batch, is
   * a duplicate. The keys are read in the unit, so a concurrent ingest of the same key makes one of
   * the two run again and count it a duplicate.
   */
  async ingest(turns: Turn[]): Promise<IngestResult> {
    const batch = new Map<string, StoredTurn>();
    for (const t of turns) {
      const key = idHash(t.source, t.sessionId, t.messageId);
      if (!batch.has(key)) batch.set(key, { idHash: key, ...clone(t) });
    }
    if (batch.size === 0) return { inserted: 0, duplicates: turns.length };
    return this.storage.write(async (u) => {
      const stored = await u.ledger.storedKeys([...batch.keys()]);
      const fresh = [...batch.values()].filter((t) => !stored.has(t.idHash));
      const result = { inserted: fresh.length, duplicates: turns.length - fresh.length };
      if (fresh.length === 0) return result;
      let minTs = fresh[0].ts;
      let maxTs = minTs;
      for (const t of fresh) {
        if (t.ts < minTs) minTs = t.ts;
        if (t.ts > maxTs) maxTs = t.ts;
      }
      u.ledger.insertTurns(fresh);
      u.change({ domain: "ledger", type: "ledger.ingested", id: fresh[0].idHash, data: { ...result, minTs, maxTs } });
      return result;
    });
  }

  async query(q: LedgerQuery): Promise<Page<StoredTurn>> {
    return this.storage.read(async (r) => {
      const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2, ["string", "string"]) as [string, string]);
      return pageOf(await r.ledger.turns(q, after && { ts: after[0], idHash: after[1] }, q.limit + 1), q.limit, (t) => [t.ts, t.idHash]);
    });
  }

  async summary(q: LedgerSummaryQuery): Promise<SummaryRow[]> {
    const dims = aggregateDims(q);
    return this.storage.read(async (r) => {
      const port = r.ledger;
      if (port.aggregate) return summaryRows(q, await port.aggregate(q, dims));
      const agg = new Aggregator(dims);
      await port.scan(q, (t) => agg.add(t));
      return summaryRows(q, agg.result());
    });
  }
}
