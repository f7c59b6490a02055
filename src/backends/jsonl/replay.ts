/**
 * Open-time replay: writes the file operations of every journal line into the files exactly as
 * placed (an append at its recorded offset, a cut to its size, a replacement whole, a delete), in
 * journal order, then fsyncs what it touched. Running it twice, or over files that already hold
 * some of it, gives the same files: that is why every operation says where it goes.
 */
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { errno, unlessMissing, type Disk } from "./disk.js";
import type { FileOp } from "./vfs.js";

export async function replayOps(disk: Disk, dir: string, ops: readonly FileOp[]): Promise<void> {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const op of ops) {
    const abs = join(dir, op.p);
    switch (op.t) {
      case "a":
      case "c": {
        await disk.mkdir(dirname(abs));
        let fh;
        try {
          fh = await disk.open(abs, "r+");
        } catch (err) {
          if (errno(err) !== "ENOENT") throw err;
          fh = await disk.open(abs, "w");
          dirs.add(dirname(abs));
        }
        try {
          if (op.t === "a") await fh.writeAll(Buffer.from(op.d, "utf8"), op.o);
          else await fh.truncate(op.s);
        } finally {
          await fh.close();
        }
        files.add(abs);
        break;
      }
      case "r": {
        await disk.mkdir(dirname(abs));
        const tmp = join(dirname(abs), `.${randomBytes(6).toString("hex")}.tmp`);
        const fh = await disk.open(tmp, "w");
        try {
          await fh.writeAll(Buffer.from(op.d, "utf8"), 0);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        await disk.rename(tmp, abs);
        dirs.add(dirname(abs));
        files.delete(abs);
        break;
      }
      case "d":
        await unlessMissing(disk.unlink(abs));
        files.delete(abs);
        dirs.add(dirname(abs));
        break;
    }
  }
  for (const abs of files) {
    const fh = await unlessMissing(disk.open(abs, "r"));
    if (!fh) continue;
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
  for (const d of dirs) await disk.syncDir(d);
}
