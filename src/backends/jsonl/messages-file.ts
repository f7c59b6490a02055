/** Reading a session's `<id>.jsonl` message file: from the end (tail) or from a seq onwards. */
import type { Message } from "../../domain/conversations.js";
import { linesBackward, linesForward } from "./lines.js";
import type { ReadableFile } from "./vfs.js";

export interface Placed {
  message: Message;
  /** Byte offset of its line. */
  offset: number;
}

/** Messages newest first, until `stop` says enough (the message stopping is included). */
export async function readBackward(file: ReadableFile, stop: (m: Message) => boolean): Promise<Placed[]> {
  const out: Placed[] = [];
  await linesBackward(file, (line) => {
    const message = JSON.parse(line.text) as Message;
    out.push({ message, offset: line.offset });
    return stop(message);
  });
  return out;
}

const PROBE = 8 * 1024;
const LINEAR_BELOW = 64 * 1024;

/** Byte offset of a line start at or before the first message with seq >= target (binary search). */
async function seekSeq(file: ReadableFile, target: number): Promise<number> {
  let lo = 0;
  let hi = file.size;
  const buf = Buffer.alloc(PROBE);
  while (hi - lo > LINEAR_BELOW) {
    const mid = Math.floor((lo + hi) / 2);
    const n = await file.read(buf, 0, PROBE, mid);
    const view = buf.subarray(0, n);
    const start = view.indexOf(0x0a);
    const end = start === -1 ? -1 : view.indexOf(0x0a, start + 1);
    if (end === -1) break; // a line longer than the probe: fall back to scanning
    const seq = (JSON.parse(view.subarray(start + 1, end).toString("utf8")) as Message).seq;
    if (seq < target) lo = mid + start + 1;
    else hi = mid;
  }
  return lo;
}

/** Messages with from <= seq <= to, ascending, at most `limit`. */
export async function readRange(file: ReadableFile, from: number, to: number, limit: number): Promise<Message[]> {
  const out: Message[] = [];
  if (limit <= 0) return out;
  await linesForward(file, await seekSeq(file, from), (line) => {
    const m = JSON.parse(line.text) as Message;
    if (m.seq > to) return false;
    if (m.seq >= from) out.push(m);
    return out.length < limit;
  });
  return out;
}
