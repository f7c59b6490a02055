/**
 * The change log as `changes.jsonl`, one change per line in cursor order. Cursors are decimal
 * integers, assigned when a write is validated, so journal order is cursor order. A sparse index
 * (every 128th line's byte offset) makes since(cursor) read only from near the cursor.
 */
import { promises as fs } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import type { Change, ChangeInput } from "../../domain/changes.js";
import { invalidParams } from "../../domain/errors.js";
import type { BackendOptions, ChangeLog } from "../contract.js";
import type { Engine } from "./engine.js";
import { repairTornTail, writeFileAtomic } from "./files.js";
import type { Op } from "./journal.js";

interface ChangeOp extends Op {
  k: "chg";
  c: Change;
}

const STRIDE = 128;
const READ_CHUNK = 256 * 1024;

export class JsonlChangeLog implements ChangeLog {
  private last = 0;
  private fileLast = 0;
  private fileSize = 0;
  private lines = 0;
  private prunedThrough = 0;
  private index: Array<[cursor: number, offset: number]> = [];
  private readonly listeners = new Set<(c: Change) => void>();
  private readonly path: string;

  constructor(
    private readonly engine: Engine,
    private readonly opts: BackendOptions,
  ) {
    this.path = engine.path("changes.jsonl");
    engine.register<ChangeOp>("chg", {
      memory: (op) => {
        this.last = Math.max(this.last, Number(op.c.cursor));
      },
      files: async (op, io) => {
        const cursor = Number(op.c.cursor);
        if (cursor <= this.fileLast) return; // replayed, already there
        const line = JSON.stringify(op.c) + "\n";
        if (this.lines % STRIDE === 0) this.index.push([cursor, this.fileSize]);
        io.append(this.path, line);
        this.fileSize += Buffer.byteLength(line);
        this.lines++;
        this.fileLast = cursor;
      },
    });
    engine.onApplied((ops) => {
      if (this.listeners.size === 0) return;
      for (const op of ops) if (op.k === "chg") for (const l of this.listeners) l((op as ChangeOp).c);
    });
  }

  /** Reads the file once at open to find the last cursor and build the index. */
  async load(): Promise<void> {
    await repairTornTail(this.path);
    let text = "";
    try {
      text = await fs.readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.rebuild(text);
  }

  private rebuild(text: string): void {
    this.index = [];
    this.lines = 0;
    let offset = 0;
    let first: number | undefined;
    let last = 0;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const cursor = Number((JSON.parse(line) as Change).cursor);
      if (this.lines % STRIDE === 0) this.index.push([cursor, offset]);
      first ??= cursor;
      last = cursor;
      offset += Buffer.byteLength(line) + 1;
      this.lines++;
    }
    this.fileSize = offset;
    this.fileLast = Math.max(this.fileLast, last);
    this.last = Math.max(this.last, last);
    if (first !== undefined) this.prunedThrough = Math.max(this.prunedThrough, first - 1);
  }

  /** Builds the op that records a change; the caller puts it in the same transaction as the write. */
  op(input: ChangeInput): ChangeOp {
    const c: Change = { cursor: String(++this.last), at: this.opts.now().toISOString(), origin: this.opts.origin, ...input };
    return { k: "chg", c };
  }

  async since(cursor: string | undefined, limit: number) {
    const after = cursor === undefined ? 0 : parseCursor(cursor);
    await this.engine.journal.settled();
    const reset = cursor !== undefined && after < this.prunedThrough;
    let lo = 0;
    let hi = this.index.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.index[mid][0] <= after) lo = mid + 1;
      else hi = mid;
    }
    const start = lo === 0 ? 0 : this.index[lo - 1][1];
    return { changes: await this.readFrom(start, after, limit), reset };
  }

  private async readFrom(offset: number, after: number, limit: number): Promise<Change[]> {
    const out: Change[] = [];
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return out;
      throw err;
    }
    try {
      let pos = offset;
      let carry = "";
      const decoder = new StringDecoder("utf8"); // a character may straddle two reads
      const buf = Buffer.alloc(READ_CHUNK);
      while (out.length < limit) {
        const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        const text = carry + decoder.write(buf.subarray(0, bytesRead));
        const parts = text.split("\n");
        carry = parts.pop() ?? ""; // a partial line: the rest comes with the next read
        for (const line of parts) {
          if (line === "") continue;
          const c = JSON.parse(line) as Change;
          if (Number(c.cursor) > after) out.push(c);
          if (out.length >= limit) break;
        }
      }
    } finally {
      await fh.close();
    }
    return out;
  }

  async head() {
    await this.engine.journal.settled();
    return this.fileLast === 0 ? undefined : String(this.fileLast);
  }

  watch(listener: (c: Change) => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  prune(before: Date, keepAtLeast: number): Promise<number> {
    let removed = 0;
    return this.engine.journal
      .runExclusive(async () => {
        await this.engine.io.flushPath(this.path);
        const text = await fs.readFile(this.path, "utf8").catch(() => "");
        const lines = text.split("\n").filter((l) => l !== "");
        const cutoff = before.toISOString();
        const keep = Math.max(1, keepAtLeast);
        while (lines.length - removed > keep && (JSON.parse(lines[removed]) as Change).at < cutoff) removed++;
        if (removed === 0) return;
        this.prunedThrough = Number((JSON.parse(lines[removed - 1]) as Change).cursor);
        const rest = lines.slice(removed).join("\n") + "\n";
        await this.engine.io.forget(this.path); // its open append handle would point at the old file
        await writeFileAtomic(this.path, rest);
        this.rebuild(rest);
      })
      .then(() => removed);
  }
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw invalidParams("cursor is not one this server issued", "/fromCursor");
  return Number(cursor);
}
