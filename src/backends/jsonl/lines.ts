/**
 * Reading JSON-lines files through a ReadableFile (a disk file, or the vfs view of one): from the
 * end (the last N lines cost O(N)), or forwards from an offset. A torn last line — bytes after the
 * final newline — is never returned.
 */
import { StringDecoder } from "node:string_decoder";
import type { ReadableFile } from "./vfs.js";

export interface Line {
  text: string;
  /** Byte offset of the line's first byte. */
  offset: number;
}

const CHUNK = 64 * 1024;

/** Complete lines newest first, until `stop` returns true for one (included) or the file's start. */
export async function linesBackward(file: ReadableFile, stop: (line: Line) => boolean): Promise<Line[]> {
  const out: Line[] = [];
  let pos = file.size;
  let tail = Buffer.alloc(0); // bytes after `pos` that do not yet form a complete line
  let skippingTorn = true;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    await file.read(buf, 0, len, pos);
    let data = Buffer.concat([buf, tail]); // covers [pos, pos + data.length)
    if (skippingTorn) {
      const nl = data.lastIndexOf(0x0a);
      if (nl === -1) {
        tail = data;
        continue;
      }
      data = data.subarray(0, nl + 1);
      skippingTorn = false;
    }
    let end = data.length - 1; // the newline that ends the current line
    let nl = end > 0 ? data.lastIndexOf(0x0a, end - 1) : -1;
    while (nl !== -1) {
      if (end > nl + 1) {
        const line = { text: data.subarray(nl + 1, end).toString("utf8"), offset: pos + nl + 1 };
        out.push(line);
        if (stop(line)) return out;
      }
      end = nl;
      nl = end > 0 ? data.lastIndexOf(0x0a, end - 1) : -1;
    }
    if (pos === 0 && end > 0) {
      const line = { text: data.subarray(0, end).toString("utf8"), offset: 0 };
      out.push(line);
      if (stop(line)) return out;
    }
    tail = data.subarray(0, end + 1);
  }
  return out;
}

/** Complete lines from byte `from` (a line start) on, oldest first, until `take` returns false. */
export async function linesForward(file: ReadableFile, from: number, take: (line: Line) => boolean): Promise<void> {
  let pos = from;
  let lineStart = from;
  let carry = "";
  const decoder = new StringDecoder("utf8"); // a character may straddle two reads
  const buf = Buffer.alloc(256 * 1024);
  while (pos < file.size) {
    const n = await file.read(buf, 0, Math.min(buf.length, file.size - pos), pos);
    if (n === 0) return;
    pos += n;
    const parts = (carry + decoder.write(buf.subarray(0, n))).split("\n");
    carry = parts.pop() ?? "";
    for (const text of parts) {
      const offset = lineStart;
      lineStart += Buffer.byteLength(text) + 1;
      if (text !== "" && !take({ text, offset })) return;
    }
  }
}

/** Every complete line (oldest first). */
export async function allLines(file: ReadableFile): Promise<Line[]> {
  const out: Line[] = [];
  await linesForward(file, 0, (l) => {
    out.push(l);
    return true;
  });
  return out;
}
