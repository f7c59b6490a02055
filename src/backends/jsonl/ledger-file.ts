/**
 * `ledger.jsonl`: one stored turn per line, in ingest order, each line
 * `{"idHash":"<16 hex>","ts":"<canonical ts>",…the turn's other fields}`. Putting the key and ts
 * first lets a scan read both from fixed byte positions and parse the whole line only when the ts
 * is in range; a line in any other shape (hand-edited) is parsed in full.
 *
 * The file is not sorted, so readers use a sparse index: per segment of up to 1,024 lines (or
 * 1 MiB) its byte range and the smallest and largest ts in it, ~120 bytes per segment (~0.1 byte
 * per turn). A range query or summary reads only the segments whose ts span meets the range, and
 * a query page stops once no unread segment can hold a turn sorting before its last item.
 */
import type { StoredTurn } from "../../domain/ledger.js";
import type { TurnKey } from "../contract.js";
import type { ReadableFile } from "./vfs.js";

export interface Segment {
  offset: number;
  bytes: number;
  lines: number;
  minTs: string;
  maxTs: string;
}

const SEGMENT_LINES = 1024;
const SEGMENT_BYTES = 1024 * 1024;
const CHUNK = 1024 * 1024;
const HEAD = '{"idHash":"';
const MID = '","ts":"';
const HASH = /^[0-9a-f]{16}$/;

/** The line a stored turn is written as (with its trailing newline). */
export function turnLine(t: StoredTurn): string {
  const { idHash, ts, ...rest } = t;
  return JSON.stringify({ idHash, ts, ...rest }) + "\n";
}

/** The key and ts of a line: from fixed positions when the line has the written shape. */
export function keyOf(line: Buffer): TurnKey {
  const head = line.toString("latin1", 0, 60);
  if (head.startsWith(HEAD) && head.startsWith(MID, 27) && head.charCodeAt(59) === 0x22) {
    return { idHash: head.slice(11, 27), ts: head.slice(35, 59) };
  }
  const t = JSON.parse(line.toString("utf8")) as Partial<StoredTurn>;
  if (typeof t.idHash !== "string" || !HASH.test(t.idHash) || typeof t.ts !== "string") throw new Error("not a stored turn");
  return { idHash: t.idHash, ts: t.ts };
}

export const parseTurn = (line: Buffer): StoredTurn => JSON.parse(line.toString("utf8")) as StoredTurn;

/** The byte ranges of the file grouped into segments, with each segment's ts span. */
export class SegmentIndex {
  segments: Segment[] = [];
  size = 0;

  /** Records the line at `offset` (`bytes` long, newline included) holding a turn at `ts`. */
  track(ts: string, offset: number, bytes: number): void {
    let seg = this.segments[this.segments.length - 1];
    if (!seg || seg.lines >= SEGMENT_LINES || seg.bytes >= SEGMENT_BYTES) {
      seg = { offset, bytes: 0, lines: 0, minTs: ts, maxTs: ts };
      this.segments.push(seg);
    }
    seg.lines++;
    seg.bytes = offset + bytes - seg.offset;
    if (ts < seg.minTs) seg.minTs = ts;
    if (ts > seg.maxTs) seg.maxTs = ts;
    this.size = offset + bytes;
  }

  /**
   * The segments that may hold a turn with since <= ts < until, in file order, each cut at the
   * size the file has now (a segment still growing is read only as far as it was written).
   */
  overlapping(since: string | undefined, until: string | undefined): Segment[] {
    const size = this.size;
    const out: Segment[] = [];
    for (const s of this.segments) {
      if (s.offset >= size) break;
      if ((since === undefined || s.maxTs >= since) && (until === undefined || s.minTs < until)) {
        out.push({ ...s, bytes: Math.min(s.bytes, size - s.offset) });
      }
    }
    return out;
  }
}

/** Calls `fn` with every complete, non-empty line in bytes [from, to) of `file` and its offset. */
export async function scanRange(file: ReadableFile, from: number, to: number, fn: (line: Buffer, offset: number) => void): Promise<void> {
  let carry: Buffer | undefined;
  let carryAt = from;
  for (let pos = from; pos < to; ) {
    const len = Math.min(CHUNK, to - pos);
    const buf = Buffer.allocUnsafe(len);
    const bytesRead = await file.read(buf, 0, len, pos);
    if (bytesRead === 0) break;
    const base = carry ? carryAt : pos;
    const data = carry ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    pos += bytesRead;
    let start = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
      if (nl > start) fn(data.subarray(start, nl), base + start);
      start = nl + 1;
    }
    carry = start < data.length ? data.subarray(start) : undefined;
    carryAt = base + start;
  }
}
