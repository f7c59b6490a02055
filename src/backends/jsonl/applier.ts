/**
 * Writes durable file operations (vfs.ts) to the files, in batches: a path's consecutive appends
 * become one positioned write, a replacement is a temp file renamed into place, and only what is
 * durable in the journal is ever written. Nothing here fsyncs on the write path; `sync()` makes
 * every file and directory written since the last call durable, for a checkpoint (which may then
 * retire the journal lines those writes came from). Every failure is thrown, never swallowed: a
 * failed batch stays queued and is tried again.
 */
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { errno, unlessMissing, type DiskFile } from "./disk.js";
import type { Queued, Vfs } from "./vfs.js";

const OPEN_HANDLES = 64;

export class Applier {
  private readonly handles = new Map<string, DiskFile>();
  /** Written since the last sync, with the count of marks at the last write: a sync clears a mark only if nothing wrote the path while it flushed. */
  private readonly dirtyFiles = new Map<string, number>();
  private readonly dirtyDirs = new Map<string, number>();
  private marks = 0;
  private readonly madeDirs = new Set<string>();
  /** Every op with j <= appliedJ is in the files (not necessarily synced). */
  appliedJ = 0;

  constructor(private readonly vfs: Vfs) {}

  /** Writes every queued op with j <= `durableJ`. Throws the first failure (what was written stays written). */
  async apply(durableJ: number): Promise<void> {
    let complete = true;
    for (const [path, state] of [...this.vfs.paths]) {
      let n = 0;
      while (n < state.ops.length && state.ops[n].j <= durableJ) n++;
      if (n === 0) continue;
      const ops = state.ops.slice(0, n);
      if (this.vfs.reading(path) && ops.some((q) => q.op.t !== "a")) {
        complete = false; // a read has the file open; a cut or rename would pull bytes from under it
        continue;
      }
      const size = await this.applyPath(path, state.disk, ops);
      this.vfs.applied(path, n, size);
    }
    if (complete) this.appliedJ = Math.max(this.appliedJ, durableJ);
  }

  private async applyPath(path: string, diskSize: number | undefined, ops: Queued[]): Promise<number | undefined> {
    let start = ops.length - 1;
    while (start >= 0 && ops[start].op.t !== "r" && ops[start].op.t !== "d") start--;
    let size = diskSize;
    if (start >= 0) {
      const base = ops[start];
      await this.closeHandle(path);
      if (base.op.t === "d") {
        await unlessMissing(this.vfs.disk.unlink(this.vfs.abs(path)));
        this.dirtyFiles.delete(path);
        size = undefined;
      } else {
        await this.replaceFile(path, base.data as Buffer);
        size = (base.data as Buffer).length;
      }
      this.dirtyDirs.set(dirname(path), ++this.marks);
    }
    for (let i = start + 1; i < ops.length; ) {
      const q = ops[i];
      if (q.op.t === "a") {
        const offset = q.op.o;
        const parts: Buffer[] = [];
        let end = offset;
        while (i < ops.length && ops[i].op.t === "a" && (ops[i].op as { o: number }).o === end) {
          parts.push(ops[i].data as Buffer);
          end += (ops[i].data as Buffer).length;
          i++;
        }
        const fh = await this.handle(path, size === undefined);
        await fh.writeAll(parts.length === 1 ? parts[0] : Buffer.concat(parts), offset);
        size = Math.max(size ?? 0, end);
      } else if (q.op.t === "c") {
        const fh = await this.handle(path, size === undefined);
        await fh.truncate(q.op.s);
        size = Math.min(size ?? 0, q.op.s);
        i++;
      } else {
        i++;
      }
    }
    this.dirtyFiles.set(path, ++this.marks);
    return size;
  }

  private async replaceFile(path: string, data: Buffer): Promise<void> {
    const dir = dirname(path);
    await this.ensureDir(dir);
    const tmp = `${dir}/.${randomBytes(6).toString("hex")}.tmp`;
    const fh = await this.vfs.disk.open(this.vfs.abs(tmp), "w");
    try {
      await fh.writeAll(data, 0);
    } finally {
      await fh.close();
    }
    await this.vfs.disk.rename(this.vfs.abs(tmp), this.vfs.abs(path));
  }

  private async handle(path: string, create: boolean): Promise<DiskFile> {
    let fh = this.handles.get(path);
    if (fh) {
      this.handles.delete(path); // re-insert: most recently used last
    } else {
      // Evict first: a close that fails must not leave the new descriptor unowned.
      if (this.handles.size >= OPEN_HANDLES) {
        const [oldest] = this.handles.keys();
        await this.closeHandle(oldest);
      }
      if (create) {
        await this.ensureDir(dirname(path));
        this.dirtyDirs.set(dirname(path), ++this.marks);
      }
      fh = await this.vfs.disk.open(this.vfs.abs(path), create ? "w" : "r+");
    }
    this.handles.set(path, fh);
    return fh;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (dir === "." || this.madeDirs.has(dir)) return;
    await this.vfs.disk.mkdir(this.vfs.abs(dir));
    this.madeDirs.add(dir);
    this.dirtyDirs.set(dirname(dir), ++this.marks);
  }

  private async closeHandle(path: string): Promise<void> {
    const fh = this.handles.get(path);
    if (!fh) return;
    this.handles.delete(path);
    await fh.close();
  }

  /** fsyncs every file and directory written since the last successful call. */
  async sync(): Promise<void> {
    for (const [path, mark] of [...this.dirtyFiles]) {
      const clean = () => {
        if (this.dirtyFiles.get(path) === mark) this.dirtyFiles.delete(path);
      };
      const open = this.handles.get(path);
      if (open) await open.datasync();
      else {
        let fh: DiskFile;
        try {
          fh = await this.vfs.disk.open(this.vfs.abs(path), "r");
        } catch (err) {
          if (errno(err) === "ENOENT") {
            clean();
            continue;
          }
          throw err;
        }
        try {
          await fh.datasync();
        } finally {
          await fh.close();
        }
      }
      clean();
    }
    for (const [dir, mark] of [...this.dirtyDirs]) {
      await this.vfs.disk.syncDir(this.vfs.abs(dir));
      if (this.dirtyDirs.get(dir) === mark) this.dirtyDirs.delete(dir);
    }
  }

  /** Forget that `dir` exists (a store removed it), so the next write creates it again. */
  forgetDir(dir: string): void {
    this.madeDirs.delete(dir);
    this.dirtyDirs.set(dirname(dir), ++this.marks);
  }

  async close(): Promise<void> {
    for (const path of [...this.handles.keys()]) await this.closeHandle(path);
  }
}
