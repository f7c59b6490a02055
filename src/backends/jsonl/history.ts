/**
 * jsonl shell history: `history.jsonl`, one entry per line in seq order, and `history.idem.jsonl`,
 * one `{ key, firstSeq, lastSeq }` line per append that carried an idempotency key.
 *
 * Memory (P7: it must not grow with the data): the head, the file's line count, a sparse index
 * (the byte offset of every 256th line) and the kept idempotency keys. Entries are read from the
 * file through the vfs: a page reads backwards from the index entry past its bound, so `tail`-like
 * lists cost O(limit), not O(file).
 *
 * Retention: the core lists nothing at or below its floor, so dropping entries only records the
 * floor; once the file holds more than max(kept / 4, 64) lines below it, a maintenance unit
 * (`compact`, run by JsonlStorage after the append) replaces the file with the lines above it. The
 * newest line is always kept, so the last seq survives a reopen.
 */
import type { HistoryAppendResult, HistoryEntry } from "../../domain/history.js";
import type { HistoryHead, HistoryReadPort, HistoryWritePort } from "../contract.js";
import type { Files, Model } from "./engine.js";
import { allLines, linesBackward, type Line } from "./lines.js";
import type { ReadableFile, Vfs } from "./vfs.js";

const PATH = "history.jsonl";
const KEYS_PATH = "history.idem.jsonl";
const STRIDE = 256;
const SLACK = 64;

interface KeyLine extends HistoryAppendResult {
  key: string;
}

const seqOf = (line: Line): number => (JSON.parse(line.text) as HistoryEntry).seq;

export class JsonlHistoryPort implements HistoryReadPort, HistoryWritePort, Model {
  private head: HistoryHead = { lastSeq: 0, keyed: 0 };
  private lines = 0;
  private index: Array<[seq: number, offset: number]> = [];
  /** Seqs at or below this are dropped (known since the last drop; 0 after a load). */
  private floor = 0;
  private readonly keys = new Map<string, HistoryAppendResult>();
  private keyLines = 0;
  /** Bumped by every replacement of the file: a read that saw it change runs again. */
  private generation = 0;

  constructor(
    private readonly vfs: Vfs,
    private readonly files: Files,
    /** The number of keys the core keeps, for rewriting the key file. */
    private readonly keysKept: number,
  ) {}

  async load(): Promise<void> {
    await this.vfs.know(PATH, KEYS_PATH);
    const lines = await this.readLines(PATH);
    this.rebuild(lines);
    this.floor = 0;
    this.keys.clear();
    const keyLines = await this.readLines(KEYS_PATH);
    for (const line of keyLines) {
      const { key, firstSeq, lastSeq } = JSON.parse(line.text) as KeyLine;
      this.keys.delete(key);
      this.keys.set(key, { firstSeq, lastSeq });
    }
    for (const k of this.keys.keys()) {
      if (this.keys.size <= this.keysKept) break;
      this.keys.delete(k);
    }
    this.keyLines = keyLines.length;
    this.head = { lastSeq: lines.length > 0 ? seqOf(lines[lines.length - 1]) : 0, keyed: keyLines.length };
  }

  private async readLines(path: string): Promise<Line[]> {
    const f = await this.vfs.open(path);
    if (!f) return [];
    try {
      return await allLines(f);
    } finally {
      await f.close();
    }
  }

  /** The index and line count of a file holding `lines` (offsets as in that file). */
  private rebuild(lines: readonly Line[]): void {
    this.index = [];
    for (let i = 0; i < lines.length; i += STRIDE) this.index.push([seqOf(lines[i]), lines[i].offset]);
    this.lines = lines.length;
    this.generation++;
  }

  async historyHead() {
    return { ...this.head };
  }

  async historyKey(key: string) {
    const r = this.keys.get(key);
    return r && { ...r };
  }

  async historyBefore(before: number, above: number, limit: number, contains?: string): Promise<HistoryEntry[]> {
    for (;;) {
      const generation = this.generation;
      const index = this.index;
      const file = await this.vfs.open(PATH);
      if (!file) return [];
      try {
        if (generation !== this.generation) continue; // replaced while it was being opened
        return await this.scan(file, index, before, above, limit, contains);
      } finally {
        await file.close();
      }
    }
  }

  private async scan(file: ReadableFile, index: ReadonlyArray<[number, number]>, before: number, above: number, limit: number, contains?: string): Promise<HistoryEntry[]> {
    const next = index.find(([seq]) => seq >= before);
    const end = next === undefined ? file.size : next[1];
    const view: ReadableFile = { size: end, read: (b, o, l, p) => file.read(b, o, l, p), close: async () => {} };
    const out: HistoryEntry[] = [];
    await linesBackward(view, (line) => {
      const e = JSON.parse(line.text) as HistoryEntry;
      if (e.seq <= above) return true;
      if (e.seq < before && (contains === undefined || e.command.includes(contains))) out.push(e);
      return out.length >= limit;
    });
    return out;
  }

  insertHistory(entries: HistoryEntry[], head: HistoryHead): void {
    const texts = entries.map((e) => JSON.stringify(e) + "\n");
    let offset = this.files.append(PATH, texts.join(""));
    for (const [i, text] of texts.entries()) {
      if (this.lines % STRIDE === 0) this.index.push([entries[i].seq, offset]);
      this.lines++;
      offset += Buffer.byteLength(text);
    }
    this.head = { ...head };
  }

  dropHistoryThrough(seq: number): void {
    this.floor = Math.max(this.floor, seq);
  }

  /** Whether the file holds enough dropped lines to be worth rewriting (see `compact`). */
  get compactionDue(): boolean {
    const kept = this.head.lastSeq - this.floor;
    return this.floor > 0 && this.lines - kept > Math.max(Math.ceil(kept / 4), SLACK);
  }

  /**
   * Read phase of a maintenance unit: the lines above the floor (always the newest); returns the
   * write that replaces the file with them, or undefined when there is nothing to drop.
   */
  async compact(): Promise<(() => void) | undefined> {
    if (!this.compactionDue) return undefined;
    const floor = Math.min(this.floor, this.head.lastSeq - 1);
    const lines = await this.readLines(PATH);
    const from = lines.findIndex((l) => seqOf(l) > floor);
    if (from <= 0) return undefined;
    const kept = lines.slice(from);
    return () => {
      const text = kept.map((l) => l.text + "\n").join("");
      this.files.replace(PATH, text);
      const base = kept[0].offset;
      this.rebuild(kept.map((l) => ({ text: l.text, offset: l.offset - base })));
    };
  }

  putHistoryKey(key: string, result: HistoryAppendResult, _n: number): void {
    this.keys.delete(key);
    this.keys.set(key, { ...result });
    this.files.append(KEYS_PATH, JSON.stringify({ key, ...result } satisfies KeyLine) + "\n");
    this.keyLines++;
  }

  pruneHistoryKeys(keep: number, _newest: number): void {
    for (const k of this.keys.keys()) {
      if (this.keys.size <= keep) break;
      this.keys.delete(k);
    }
    if (this.keyLines <= 2 * keep + SLACK) return;
    const text = [...this.keys].map(([key, r]) => JSON.stringify({ key, ...r } satisfies KeyLine) + "\n").join("");
    this.files.replace(KEYS_PATH, text);
    this.keyLines = this.keys.size;
  }
}
