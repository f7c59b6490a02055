/**
 * The change log as JSON lines in segments: `changes/<first cursor, 15 digits>.jsonl`, one change
 * per line in cursor order, a new segment every SEGMENT_LINES changes. Cursors are decimal
 * integers assigned when a unit commits, so journal order is cursor order. Pruning deletes whole
 * segments (never rewrites one), and the oldest retained cursor is known from the segments
 * themselves, so since() answers reset for anything pruned — whatever removed it, and also while
 * a prune runs. A change is visible to since(), head() and watchers only once its journal line is
 * durable. A data directory written by an older agentstate may hold a single `changes.jsonl`: it
 * is read as the first segment and pruned like the others.
 */
import type { Change, ChangeInput } from "../../domain/changes.js";
import { invalidParams } from "../../domain/errors.js";
import type { BackendOptions, ChangeLog } from "../contract.js";
import type { ChangeSink, Engine, Files, Model } from "./engine.js";
import { linesForward } from "./lines.js";
import { parseStored } from "./parse.js";

const DIR = "changes";
const LEGACY = "changes.jsonl";
const SEGMENT_LINES = 16_384;
const STRIDE = 128;

interface Segment {
  path: string;
  first: number;
  last: number;
  lastAt: string;
  lines: number;
  /** Every STRIDE-th line's [cursor, byte offset]. */
  index: Array<[number, number]>;
}

const segmentName = (first: number) => `${DIR}/${String(first).padStart(15, "0")}.jsonl`;

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw invalidParams("cursor is not one this server issued", "/fromCursor");
  return Number(cursor);
}

export class JsonlChangeLog implements ChangeLog, ChangeSink, Model {
  private segments: Segment[] = [];
  /** Last cursor assigned (durable or not), last durable, last removed by pruning. */
  private last = 0;
  private durableCursor = 0;
  private prunedThrough = 0;
  /** Committed changes waiting for their journal line, in cursor order. */
  private pending: Array<{ j: number; change: Change }> = [];
  private readonly listeners = new Set<(c: Change) => void>();

  constructor(
    private readonly engine: Engine,
    private readonly opts: BackendOptions,
  ) {}

  async load(): Promise<void> {
    const vfs = this.engine.vfs;
    const paths = [...(await vfs.list(".")).filter((n) => n === LEGACY), ...(await vfs.list(DIR)).filter((n) => n.endsWith(".jsonl")).map((n) => `${DIR}/${n}`)];
    const segments: Segment[] = [];
    for (const path of paths) {
      const file = await vfs.open(path);
      if (!file) continue;
      const seg: Segment = { path, first: 0, last: 0, lastAt: "", lines: 0, index: [] };
      try {
        await linesForward(file, 0, (line) => {
          const c = parseStored<Change>(line.text, `${path} (the line at byte ${line.offset})`);
          const cursor = Number(c.cursor);
          if (seg.lines % STRIDE === 0) seg.index.push([cursor, line.offset]);
          if (seg.lines === 0) seg.first = cursor;
          seg.last = cursor;
          seg.lastAt = c.at;
          seg.lines++;
          return true;
        });
      } finally {
        await file.close();
      }
      if (seg.lines > 0) segments.push(seg);
    }
    segments.sort((a, b) => a.first - b.first);
    await vfs.know(...segments.map((s) => s.path));
    this.segments = segments;
    this.last = segments.at(-1)?.last ?? 0;
    this.durableCursor = this.last;
    this.prunedThrough = (segments[0]?.first ?? 1) - 1;
    this.pending = [];
  }

  /** Assigns cursors to a unit's changes and queues their lines (ChangeSink). */
  commit(inputs: readonly ChangeInput[], at: string, j: number, files: Files): Change[] {
    const changes: Change[] = inputs.map((input) => ({ cursor: String(++this.last), at, origin: this.opts.origin, ...input }));
    for (const c of changes) {
      let seg = this.segments.at(-1);
      const cursor = Number(c.cursor);
      if (!seg || seg.lines >= SEGMENT_LINES) {
        seg = { path: segmentName(cursor), first: cursor, last: cursor, lastAt: c.at, lines: 0, index: [] };
        this.segments.push(seg);
        this.engine.vfs.knowAbsent(seg.path);
      }
      const offset = files.append(seg.path, JSON.stringify(c) + "\n");
      if (seg.lines % STRIDE === 0) seg.index.push([cursor, offset]);
      seg.last = cursor;
      seg.lastAt = c.at;
      seg.lines++;
      this.pending.push({ j, change: c });
    }
    return changes;
  }

  /** The journal made every line up to `j` durable: those changes become visible, in order. */
  durable(j: number): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n].j <= j) n++;
    if (n === 0) return;
    const ready = this.pending.slice(0, n);
    this.pending = this.pending.slice(n);
    this.durableCursor = Number(ready[ready.length - 1].change.cursor);
    for (const { change } of ready) for (const l of this.listeners) l(change);
  }

  async since(cursor: string | undefined, limit: number) {
    const after = cursor === undefined ? 0 : parseCursor(cursor);
    // Judge reset before reading: a prune that runs during the read only moves prunedThrough up,
    // and whatever it removed after we looked would then be missing from what we return.
    const reset = cursor !== undefined && after < this.prunedThrough;
    const upTo = this.durableCursor;
    const out: Change[] = [];
    for (const seg of this.segments.filter((s) => s.last > after)) {
      if (out.length >= limit) break;
      let start = 0;
      for (const [c, offset] of seg.index) {
        if (c > after) break;
        start = offset;
      }
      const file = await this.engine.vfs.open(seg.path);
      if (!file) {
        // Pruned while we were reading: whatever we would have returned after `after` is gone.
        return { changes: [], reset: true };
      }
      try {
        await linesForward(file, start, (line) => {
          const c = JSON.parse(line.text) as Change;
          const n = Number(c.cursor);
          if (n > upTo) return false;
          if (n > after) out.push(c);
          return out.length < limit;
        });
      } finally {
        await file.close();
      }
    }
    return { changes: out, reset };
  }

  async head() {
    return this.durableCursor === 0 ? undefined : String(this.durableCursor);
  }

  watch(listener: (c: Change) => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Removes the changes older than `before`, keeping at least the newest `keepAtLeast` (and always
   * the newest one, which carries the cursor sequence across a reopen): whole segments are
   * deleted, the first segment that keeps some lines is replaced by those lines.
   */
  async prune(before: Date, keepAtLeast: number): Promise<number> {
    const cutoff = before.toISOString();
    const keep = Math.max(1, keepAtLeast);
    return this.engine.unit(async (ctx) => {
      let total = this.segments.reduce((n, seg) => n + seg.lines, 0);
      let whole = 0;
      while (whole < this.segments.length && this.segments[whole].lastAt < cutoff && total - this.segments[whole].lines >= keep) {
        total -= this.segments[whole].lines;
        whole++;
      }
      const gone = this.segments.slice(0, whole);
      const edge = this.segments[whole];
      let cut: { seg: Segment; kept: Array<{ c: Change; text: string }>; removed: Change[] } | undefined;
      if (edge) {
        const lines = await this.lines(edge);
        let n = 0;
        while (n < lines.length && lines[n].c.at < cutoff && total - n > keep) n++;
        if (n > 0) cut = { seg: edge, kept: lines.slice(n), removed: lines.slice(0, n).map((l) => l.c) };
      }
      const removed = gone.reduce((n, seg) => n + seg.lines, 0) + (cut?.removed.length ?? 0);
      if (removed === 0) return 0;
      ctx.writes.push(() => {
        for (const seg of gone) ctx.files.remove(seg.path);
        let through = gone.at(-1)?.last ?? 0;
        if (cut) {
          const { seg, kept } = cut;
          ctx.files.replace(seg.path, kept.map((l) => l.text + "\n").join(""));
          seg.index = [];
          let offset = 0;
          kept.forEach((l, i) => {
            if (i % STRIDE === 0) seg.index.push([Number(l.c.cursor), offset]);
            offset += Buffer.byteLength(l.text) + 1;
          });
          seg.first = Number(kept[0].c.cursor);
          seg.lines = kept.length;
          through = Number(cut.removed[cut.removed.length - 1].cursor);
        }
        this.segments = this.segments.slice(gone.length);
        this.prunedThrough = Math.max(this.prunedThrough, through);
      });
      return removed;
    });
  }

  private async lines(seg: Segment): Promise<Array<{ c: Change; text: string }>> {
    const out: Array<{ c: Change; text: string }> = [];
    const file = await this.engine.vfs.open(seg.path);
    if (!file) return out;
    try {
      await linesForward(file, 0, (line) => {
        out.push({ c: JSON.parse(line.text) as Change, text: line.text });
        return true;
      });
    } finally {
      await file.close();
    }
    return out;
  }
}
