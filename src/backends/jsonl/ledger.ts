/**
 * jsonl usage ledger: `ledger.jsonl`, one stored turn per line in ingest order (format and index:
 * ledger-file.ts; decisions and costs: docs/decisions/jsonl-ledger.md).
 *
 * Memory (P7: it must not grow with the turns' size): the set of stored idHashes at ~8 bytes per
 * turn (key-set.ts) and a sparse segment index at ~0.1 byte per turn. Turns themselves are only in
 * the file: query and summary stream the segments whose ts span meets the range.
 *
 * Ingest decides against the key set with no await between the checks and `engine.tx`, and the
 * ingest op's memory applier adds the keys at once, so concurrent ingests insert each key once.
 * Replay after a crash runs ops whose lines may already be in the file: until `afterReplay()` the key
 * set keeps the keys read from the file apart (frozen), and the file applier skips those.
 */
import { promises as fs } from "node:fs";
import { invalidParams } from "../../domain/errors.js";
import { idHash, type IngestResult, type StoredTurn, type SummaryRow, type Turn } from "../../domain/ledger.js";
import type { BackendOptions, LedgerQuery, LedgerStore, LedgerSummaryQuery, Page } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { compareTurns, matchesFilter, SummaryBuilder } from "../common/ledger.js";
import type { JsonlChangeLog } from "./changes.js";
import type { JsonlDomain } from "./domain.js";
import type { Engine } from "./engine.js";
import { repairTornTail } from "./files.js";
import type { Op } from "./journal.js";
import { KeySet } from "./key-set.js";
import { keyOf, parseTurn, scanRange, SegmentIndex, turnLine, type Segment, type TurnKey } from "./ledger-file.js";

interface IngestOp extends Op {
  k: "ledger";
  t: StoredTurn[];
}

export class JsonlLedger implements LedgerStore, JsonlDomain {
  private readonly keys = new KeySet();
  private readonly index = new SegmentIndex();
  private replaying = true;
  private repeatedLines = 0;
  private readonly path: string;

  constructor(
    protected readonly engine: Engine,
    protected readonly opts: BackendOptions,
    protected readonly changes: JsonlChangeLog,
  ) {
    this.path = engine.path("ledger.jsonl");
    engine.register<IngestOp>("ledger", {
      memory: (op) => {
        for (const t of op.t) this.keys.add(t.idHash);
      },
      files: async (op, io) => {
        const fresh = this.replaying ? op.t.filter((t) => !this.keys.loaded(t.idHash)) : op.t;
        let text = "";
        for (const t of fresh) {
          const line = turnLine(t);
          this.index.track(t.ts, this.index.size, Buffer.byteLength(line));
          text += line;
        }
        if (text !== "") io.append(this.path, text);
      },
    });
  }

  /** Reads the file once, streaming: keys into the key set, segments into the index. */
  async load(): Promise<void> {
    await repairTornTail(this.path);
    let keys = new BigUint64Array(1024);
    let count = 0;
    const fh = await fs.open(this.path, "r").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (fh) {
      try {
        await scanRange(fh, 0, (await fh.stat()).size, (line, offset) => {
          let key: TurnKey;
          try {
            key = keyOf(line);
          } catch {
            throw new Error(`${this.path}: the line at byte ${offset} is not a stored turn; fix or remove it`);
          }
          if (count === keys.length) {
            const grown = new BigUint64Array(keys.length * 2);
            grown.set(keys);
            keys = grown;
          }
          keys[count++] = BigInt("0x" + key.idHash);
          this.index.track(key.ts, offset, line.length + 1);
        });
      } finally {
        await fh.close();
      }
    }
    this.repeatedLines = this.keys.load(keys, count);
    this.keys.freeze(true);
  }

  async afterReplay(): Promise<void> {
    this.replaying = false;
    this.keys.freeze(false);
  }

  warnings(): string[] {
    if (this.repeatedLines === 0) return [];
    return [`${this.path} holds ${this.repeatedLines} line(s) repeating an earlier line's idHash (hand-edited?); query and summary count every line`];
  }

  async ingest(turns: Turn[]): Promise<IngestResult> {
    // No await until engine.tx: the checks and the key set's update are one atomic step.
    const fresh: StoredTurn[] = [];
    const batch = new Set<string>();
    for (const t of turns) {
      const key = idHash(t.source, t.sessionId, t.messageId);
      if (batch.has(key) || this.keys.has(key)) continue;
      batch.add(key);
      fresh.push({ idHash: key, ...structuredClone(t) });
    }
    const result = { inserted: fresh.length, duplicates: turns.length - fresh.length };
    if (fresh.length === 0) return result;
    let minTs = fresh[0].ts;
    let maxTs = minTs;
    for (const t of fresh) {
      if (t.ts < minTs) minTs = t.ts;
      if (t.ts > maxTs) maxTs = t.ts;
    }
    await this.engine.tx([
      { k: "ledger", t: fresh } as IngestOp,
      this.changes.op({ domain: "ledger", type: "ledger.ingested", id: fresh[0].idHash, data: { ...result, minTs, maxTs } }),
    ]);
    return result;
  }

  /**
   * Reads candidate segments in ascending order of their smallest ts, keeping the `limit + 1`
   * smallest matching turns after the cursor; stops at a segment whose smallest ts is past the last
   * kept turn. Ingest in roughly time order (the usual case) makes a page read one or two segments.
   */
  async query(q: LedgerQuery): Promise<Page<StoredTurn>> {
    let after: TurnKey | undefined;
    if (q.cursor !== undefined) {
      const [ts, key] = decodeCursor(q.cursor, 2);
      if (typeof ts !== "string" || typeof key !== "string") throw invalidParams("cursor is not one this server issued", "/cursor");
      after = { ts, idHash: key };
    }
    await this.engine.settled();
    const want = q.limit + 1;
    const low = after !== undefined && (q.since === undefined || after.ts > q.since) ? after.ts : q.since;
    const segments = this.index.overlapping(low, q.until).sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : a.offset - b.offset));
    let kept: StoredTurn[] = [];
    const trim = () => {
      kept.sort(compareTurns);
      if (kept.length > want) kept = kept.slice(0, want);
    };
    const inRange = (k: TurnKey) =>
      (q.since === undefined || k.ts >= q.since) && (q.until === undefined || k.ts < q.until) && (after === undefined || compareTurns(k, after) > 0);
    await this.withFile(async (fh) => {
      for (const seg of segments) {
        if (kept.length === want && kept[want - 1].ts < seg.minTs) break;
        const worst = kept.length === want ? kept[want - 1] : undefined;
        await scanRange(fh, seg.offset, seg.offset + seg.bytes, (line) => {
          const key = keyOf(line);
          if (!inRange(key) || (worst !== undefined && compareTurns(key, worst) >= 0)) return;
          const t = parseTurn(line);
          if (!matchesFilter(t, q)) return;
          kept.push(t);
          if (kept.length >= 2 * want) trim();
        });
        trim();
      }
    });
    const items = kept.slice(0, q.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: kept.length > q.limit ? encodeCursor([last.ts, last.idHash]) : null };
  }

  /** Streams the segments whose ts span meets [since, until), in file order. */
  async summary(q: LedgerSummaryQuery): Promise<SummaryRow[]> {
    await this.engine.settled();
    const builder = new SummaryBuilder(q);
    const segments: Segment[] = this.index.overlapping(q.since, q.until);
    await this.withFile(async (fh) => {
      for (const seg of segments) {
        await scanRange(fh, seg.offset, seg.offset + seg.bytes, (line) => {
          const { ts } = keyOf(line);
          if ((q.since !== undefined && ts < q.since) || (q.until !== undefined && ts >= q.until)) return;
          const t = parseTurn(line);
          if (matchesFilter(t, q)) builder.add(t);
        });
      }
    });
    return builder.rows();
  }

  private async withFile(fn: (fh: fs.FileHandle) => Promise<void>): Promise<void> {
    if (this.index.size === 0) return;
    const fh = await fs.open(this.path, "r");
    try {
      await fn(fh);
    } finally {
      await fh.close();
    }
  }
}
