/**
 * How a journal segment reads back (journal.ts writes it). A line is `{"j":N,"p":P,"s":S,…}`: `j`
 * numbers the unit of work; `p` is the j of the last line written before the line's batch (the same
 * for every line of one batch; 0 or the previous segment's last j when the batch is the segment's
 * first); `s` is the segment's random id. The active segment ends in zeros (journal.ts,
 * Preallocation), so its lines end at the first NUL byte.
 *
 * Whatever follows the first NUL other than the zeros at the end is taken for the batch a crash cut
 * short: some of its pages written, others still zero. Only the last batch can have been in flight,
 * so the complete lines of this segment found past the hole must all belong to one batch, and that
 * batch must go on from the lines before the hole: it is the batch of the last line before the
 * hole (the same `p`) or the batch right after it (`p` = that line's j). Otherwise acknowledged
 * lines are in the hole or behind it, which a crash does not leave where the disk honours flushes
 * and the file system orders data writes: that is damage, and the open refuses with DATA_DAMAGED
 * instead of dropping them.
 *
 * Lines of another segment past the hole are ignored: on file systems that do not order data writes
 * (ext2, ext4 without a journal or with data=writeback) a crash while fresh zeros were being laid can
 * leave the old contents of reused blocks there, often a retired segment's lines. Zeros inside the
 * last batch, or before a segment's first line, cannot be told from a crash (as in PostgreSQL's WAL);
 * lines of an older agentstate carry no `p` and `s` and are not judged.
 */
import { randomBytes } from "node:crypto";
import { dataDamaged } from "../../domain/errors.js";
import type { FileOp } from "./vfs.js";

/**
 * One unit of work as journaled: its file ops. `l` held ops of stores that applied their own writes
 * in earlier versions; a journal that still has them is refused at open (engine.ts finishOpen).
 */
export interface JournalLine {
  j: number;
  /** The j of the last line written before this line's batch (absent in older journals). */
  p?: number;
  /** The segment's id (absent in older journals). */
  s?: string;
  w?: FileOp[];
  l?: Array<{ k: string }>;
}

/** A line's text: `body` is the unit's JSON without j, p and s (`{}` when empty). */
export function lineText(j: number, p: number, segment: string, body: string): string {
  return `{"j":${j},"p":${p},"s":"${segment}"${body === "{}" ? "}" : "," + body.slice(1)}\n`;
}

/** A new segment id: 8 hex digits, enough that a stale block's lines never share it by chance. */
export const segmentId = (): string => randomBytes(4).toString("hex");

/**
 * A segment's text as lines: complete lines up to the first NUL; `torn`, an unfinished last line;
 * `beyond`, what follows the first NUL other than the zeros at the end (a torn batch's later pages).
 */
export function splitSegment(text: string): { lines: string[]; torn: string; beyond: string } {
  const nul = text.indexOf("\0");
  const lines = (nul < 0 ? text : text.slice(0, nul)).split("\n");
  const torn = lines.pop() ?? "";
  return { lines, torn, beyond: nul < 0 ? "" : text.slice(nul).replace(/\0+$/, "") };
}

/** The journal lines that can be read whole out of `beyond` (pieces of lines are skipped). */
function linesBeyond(beyond: string): JournalLine[] {
  const out: JournalLine[] = [];
  for (const piece of beyond.split("\n")) {
    const text = piece.replace(/^\0+/, "");
    if (!text.startsWith('{"j":') || text.includes("\0")) continue;
    try {
      const line = JSON.parse(text) as JournalLine;
      if (typeof line.j === "number") out.push(line);
    } catch {
      // a piece of a line whose start is in the hole
    }
  }
  return out;
}

/**
 * Throws DATA_DAMAGED when the lines past a hole cannot be the unfinished last batch (see above).
 * `last` is the last complete line before the hole in the same segment, if any.
 */
export function checkHole(name: string, last: JournalLine | undefined, beyond: string, holeAt: number): void {
  if (last?.p === undefined || last.s === undefined) return;
  const after = linesBeyond(beyond).filter((l) => l.s === last.s);
  if (after.length === 0) return;
  const batches = new Set(after.map((l) => l.p));
  const p = after[0].p;
  const continues = batches.size === 1 && (p === last.p || p === last.j) && after.every((l) => l.j > last.j);
  if (!continues) {
    throw dataDamaged(
      `${name}: the lines past a hole of zeros at byte ${holeAt} (after line j=${last.j}) are not the unfinished last batch, ` +
        "so acknowledged lines were lost: the data directory was damaged or its disk does not honour flushes",
    );
  }
}
