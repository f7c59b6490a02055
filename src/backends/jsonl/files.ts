/** File primitives for the jsonl backend: atomic rewrites, tail reads, torn-tail repair. */
import { promises as fs, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { linesBackward, type Line } from "./lines.js";

export type { Line };

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

/**
 * Complete lines of a disk file, newest first, until `stop` returns true for one (included); see
 * lines.ts. Used by stores that read their files directly (transition).
 */
export async function readLinesBackward(path: string, stop: (line: Line) => boolean): Promise<Line[]> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const file = { size, read: async (b: Buffer, o: number, l: number, p: number) => (await fh.read(b, o, l, p)).bytesRead, close: async () => undefined };
    return await linesBackward(file, stop);
  } finally {
    await fh.close();
  }
}

const CHUNK = 64 * 1024;

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
