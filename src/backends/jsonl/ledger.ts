/**
 * jsonl usage ledger: `ledger.jsonl`, one stored turn per line in ingest order (format and index:
 * ledger-file.ts; decisions and costs: docs/decisions/jsonl-ledger.md).
 *
 * Memory (P7: it must not grow with the turns' size): the set of stored idHashes at ~8 bytes per
 * turn (key-set.ts) and a sparse segment index at ~0.1 byte per turn. Turns themselves are only in
 * the file, read through the vfs: reads stream the segments whose ts span meets the range.
 */
import type { StoredTurn } from "../../domain/ledger.js";
import type { LedgerFilter, LedgerReadPort, LedgerWritePort, TurnKey } from "../contract.js";
import { compareTurns, matchesFilter } from "../../core/ledger-rules.js";
import type { Files, Model } from "./engine.js";
import { repairTornTail } from "./files.js";
import { KeySet } from "./key-set.js";
import { keyOf, parseTurn, scanRange, SegmentIndex, turnLine } from "./ledger-file.js";
import type { ReadableFile, Vfs } from "./vfs.js";
import { dataDamaged } from "../../domain/errors.js";

const PATH = "ledger.jsonl";

export class JsonlLedgerPort implements LedgerReadPort, LedgerWritePort, Model {
  private keys = new KeySet();
  private index = new SegmentIndex();
  private repeatedLines = 0;
  private opened = false;

  constructor(
    private readonly vfs: Vfs,
    private readonly files: Files,
  ) {}

  /**
   * Reads the file once, streaming: keys into the key set, segments into the index. At open, a
   * torn last line (a crash while the file was written, past everything the journal holds) is cut.
   */
  async load(): Promise<void> {
    if (!this.opened) await repairTornTail(this.vfs.abs(PATH));
    this.opened = true;
    await this.vfs.know(PATH);
    const keys = new KeySet();
    const index = new SegmentIndex();
    let hashes = new BigUint64Array(1024);
    let count = 0;
    await this.withFile(async (file) => {
      await scanRange(file, 0, file.size, (line, offset) => {
        let key: TurnKey;
        try {
          key = keyOf(line);
        } catch {
          throw dataDamaged(`${PATH}: the line at byte ${offset} is not a stored turn; fix or remove it`);
        }
        if (count === hashes.length) {
          const grown = new BigUint64Array(hashes.length * 2);
          grown.set(hashes);
          hashes = grown;
        }
        hashes[count++] = BigInt("0x" + key.idHash);
        index.track(key.ts, offset, line.length + 1);
      });
    }, true);
    this.repeatedLines = keys.load(hashes, count);
    this.keys = keys;
    this.index = index;
  }

  warnings(): string[] {
    if (this.repeatedLines === 0) return [];
    return [`${PATH} holds ${this.repeatedLines} line(s) repeating an earlier line's idHash (hand-edited?); query and summary count every line`];
  }

  async storedKeys(hashes: readonly string[]) {
    return new Set(hashes.filter((h) => this.keys.has(h)));
  }

  insertTurns(turns: StoredTurn[]): void {
    const lines = turns.map(turnLine);
    let offset = this.files.append(PATH, lines.join(""));
    turns.forEach((t, i) => {
      const bytes = Buffer.byteLength(lines[i]);
      this.keys.add(t.idHash);
      this.index.track(t.ts, offset, bytes);
      offset += bytes;
    });
  }

  /**
   * Reads candidate segments in ascending order of their smallest ts, keeping the `limit` smallest
   * matching turns after `after`; stops at a segment whose smallest ts is past the last kept turn.
   * Ingest in roughly time order (the usual case) makes a page read one or two segments.
   */
  async turns(f: LedgerFilter, after: TurnKey | undefined, limit: number) {
    const low = after !== undefined && (f.since === undefined || after.ts > f.since) ? after.ts : f.since;
    const segments = this.index.overlapping(low, f.until).sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : a.offset - b.offset));
    let kept: StoredTurn[] = [];
    const trim = () => {
      kept.sort(compareTurns);
      if (kept.length > limit) kept = kept.slice(0, limit);
    };
    const inRange = (k: TurnKey) =>
      (f.since === undefined || k.ts >= f.since) && (f.until === undefined || k.ts < f.until) && (after === undefined || compareTurns(k, after) > 0);
    await this.withFile(async (file) => {
      for (const seg of segments) {
        if (kept.length === limit && kept[limit - 1].ts < seg.minTs) break;
        const worst = kept.length === limit ? kept[limit - 1] : undefined;
        await scanRange(file, seg.offset, seg.offset + seg.bytes, (line) => {
          const key = keyOf(line);
          if (!inRange(key) || (worst !== undefined && compareTurns(key, worst) >= 0)) return;
          const t = parseTurn(line);
          if (!matchesFilter(t, f)) return;
          kept.push(t);
          if (kept.length >= 2 * limit) trim();
        });
        trim();
      }
    });
    return kept;
  }

  /** Streams the segments whose ts span meets [since, until), in file order. */
  async scan(f: LedgerFilter, visit: (t: StoredTurn) => void) {
    const segments = this.index.overlapping(f.since, f.until);
    await this.withFile(async (file) => {
      for (const seg of segments) {
        await scanRange(file, seg.offset, seg.offset + seg.bytes, (line) => {
          const { ts } = keyOf(line);
          if ((f.since !== undefined && ts < f.since) || (f.until !== undefined && ts >= f.until)) return;
          const t = parseTurn(line);
          if (matchesFilter(t, f)) visit(t);
        });
      }
    });
  }

  private async withFile(fn: (file: ReadableFile) => Promise<void>, always = false): Promise<void> {
    if (!always && this.index.size === 0) return;
    const file = await this.vfs.open(PATH);
    if (!file) return;
    try {
      await fn(file);
    } finally {
      await file.close();
    }
  }
}
