/** Reading a session's `<id>.jsonl` message file: from the end (tail) or from a seq onwards. */
import { promises as fs } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import type { Message } from "../../domain/conversations.js";
import { readLinesBackward, type Line } from "./files.js";

const parse = (line: Line): Message => JSON.parse(line.text) as Message;

/** Messages newest first, until `stop` says enough (the message stopping is included). */
export async function readBackward(path: string, stop: (m: Message) => boolean): Promise<Message[]> {
  const out: Message[] = [];
  await readLinesBackward(path, (line) => {
    const m = parse(line);
    out.push(m);
    return stop(m);
  });
  return out;
}

/** The last complete line: its message and byte offset. */
export async function lastLine(path: string): Promise<{ message: Message; offset: number } | undefined> {
  const [line] = await readLinesBackward(path, () => true);
  return line ? { message: parse(line), offset: line.offset } : undefined;
}

const PROBE = 8 * 1024;
const LINEAR_BELOW = 64 * 1024;

/** Byte offset of a line start at or before the first message with seq >= target (binary search). */
async function seekSeq(fh: fs.FileHandle, size: number, target: number): Promise<number> {
  let lo = 0;
  let hi = size;
  const buf = Buffer.alloc(PROBE);
  while (hi - lo > LINEAR_BELOW) {
    const mid = Math.floor((lo + hi) / 2);
    const { bytesRead } = await fh.read(buf, 0, PROBE, mid);
    const view = buf.subarray(0, bytesRead);
    const start = view.indexOf(0x0a);
    const end = start === -1 ? -1 : view.indexOf(0x0a, start + 1);
    if (end === -1) break; // a line longer than the probe: fall back to scanning
    const seq = (JSON.parse(view.subarray(start + 1, end).toString("utf8")) as Message).seq;
    if (seq < target) lo = mid + start + 1;
    else hi = mid;
  }
  return lo;
}

/** Up to `limit` messages with seq >= fromSeq, ascending, that pass `keep`. */
export async function readForward(path: string, fromSeq: number, limit: number, keep: (m: Message) => boolean): Promise<Message[]> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const out: Message[] = [];
  try {
    const { size } = await fh.stat();
    let pos = await seekSeq(fh, size, fromSeq);
    let carry = "";
    const decoder = new StringDecoder("utf8"); // a character may straddle two reads
    const buf = Buffer.alloc(256 * 1024);
    while (out.length < limit && pos < size) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const parts = (carry + decoder.write(buf.subarray(0, bytesRead))).split("\n");
      carry = parts.pop() ?? "";
      for (const text of parts) {
        if (text === "") continue;
        const m = JSON.parse(text) as Message;
        if (m.seq >= fromSeq && keep(m)) out.push(m);
        if (out.length >= limit) break;
      }
    }
  } finally {
    await fh.close();
  }
  return out;
}
