/** File primitives for the jsonl backend: atomic rewrites, tail reads, torn-tail repair. */
import { promises as fs, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";

/** fsync a directory so a rename or unlink inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = await fs.open(dir, "r");
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

/**
 * Replace `path` with `content`: temp file, fsync, rename, fsync of the directory. A crash at any
 * point leaves either the old or the new content, never a mix.
 */
export async function writeFileAtomic(path: string, content: string | Buffer, opts: { durable?: boolean } = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
  const fd = await fs.open(tmp, "w", 0o600);
  try {
    await fd.writeFile(content);
    if (durable) await fd.datasync();
  } finally {
    await fd.close();
  }
  await fs.rename(tmp, path);
  if (durable) await fsyncDir(dirname(path));
}

export async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export interface Line {
  text: string;
  /** Byte offset of the line's first byte. */
  offset: number;
}

const CHUNK = 64 * 1024;

/**
 * Complete lines of a file, read backwards from the end, newest first, until `stop` returns true
 * for a line (that line is included) or the file's start. Reads only as many chunks as needed, so
 * taking the last N lines costs O(N), not O(file). A torn last line (no trailing newline) is skipped.
 */
export async function readLinesBackward(path: string, stop: (line: Line) => boolean): Promise<Line[]> {
  let fd: fs.FileHandle;
  try {
    fd = await fs.open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  try {
    const out: Line[] = [];
    let pos = (await fd.stat()).size;
    let tail = Buffer.alloc(0); // bytes after `pos` that do not yet form a complete line
    let skippingTorn = true;
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fd.read(buf, 0, len, pos);
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
  } finally {
    await fd.close();
  }
}

/**
 * Cut a torn last line (bytes after the final newline) left by a crash. Returns the bytes removed.
 */
export async function repairTornTail(path: string): Promise<number> {
  let fd: fs.FileHandle;
  try {
    fd = await fs.open(path, "r+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
  try {
    const { size } = await fd.stat();
    if (size === 0) return 0;
    let pos = size;
    const buf = Buffer.alloc(CHUNK);
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      await fd.read(buf, 0, len, pos);
      const nl = buf.subarray(0, len).lastIndexOf(0x0a);
      if (nl !== -1) {
        const keep = pos + nl + 1;
        if (keep === size) return 0;
        await fd.truncate(keep);
        await fd.datasync();
        return size - keep;
      }
    }
    await fd.truncate(0);
    await fd.datasync();
    return size;
  } finally {
    await fd.close();
  }
}
