/**
 * File writes of one applied batch. Appends to the same file are coalesced into one write and
 * rewrites of the same file keep only the last; anything else on a path (truncate, unlink) first
 * flushes what is pending for it, so per-file order is preserved. Every path written is remembered
 * until the next checkpoint fsyncs it.
 */
import { promises as fs } from "node:fs";
import { dirname } from "node:path";
import { fsyncDir, writeFileAtomic } from "./files.js";

const OPEN_HANDLES = 64;

export class FileIO {
  private readonly appends = new Map<string, string[]>();
  private readonly rewrites = new Map<string, string>();
  private readonly handles = new Map<string, fs.FileHandle>();
  private readonly dirty = new Set<string>();
  private readonly dirtyDirs = new Set<string>();
  private readonly madeDirs = new Set<string>();

  append(path: string, text: string): void {
    const list = this.appends.get(path);
    if (list) list.push(text);
    else this.appends.set(path, [text]);
  }

  rewrite(path: string, content: string): void {
    this.rewrites.set(path, content);
  }

  async remove(path: string): Promise<void> {
    this.appends.delete(path);
    this.rewrites.delete(path);
    await this.closeHandle(path);
    await fs.rm(path, { force: true });
    this.dirty.delete(path);
    this.dirtyDirs.add(dirname(path));
  }

  /** Writes whatever is pending for `path` now (before reading or truncating it). */
  async flushPath(path: string): Promise<void> {
    const rewrite = this.rewrites.get(path);
    if (rewrite !== undefined) {
      this.rewrites.delete(path);
      await this.doRewrite(path, rewrite);
    }
    const texts = this.appends.get(path);
    if (texts) {
      this.appends.delete(path);
      await this.doAppend(path, texts.join(""));
    }
  }

  /** Flushes and closes what is open for `path`, before something replaces the file. */
  async forget(path: string): Promise<void> {
    await this.flushPath(path);
    await this.closeHandle(path);
  }

  async truncate(path: string, size: number): Promise<void> {
    await this.flushPath(path);
    await this.closeHandle(path);
    await fs.truncate(path, size);
    this.dirty.add(path);
  }

  /** Flushes everything pending, files in parallel. */
  async flush(): Promise<void> {
    const paths = new Set([...this.rewrites.keys(), ...this.appends.keys()]);
    await Promise.all([...paths].map((p) => this.flushPath(p)));
  }

  /** fsyncs every file and directory written since the last call. */
  async sync(): Promise<void> {
    await this.flush();
    const files = [...this.dirty];
    this.dirty.clear();
    await Promise.all(
      files.map(async (path) => {
        const open = this.handles.get(path);
        if (open) return open.datasync();
        const fh = await fs.open(path, "r").catch(() => undefined);
        if (!fh) return;
        try {
          await fh.datasync();
        } finally {
          await fh.close();
        }
      }),
    );
    const dirs = [...this.dirtyDirs];
    this.dirtyDirs.clear();
    await Promise.all(dirs.map((d) => fsyncDir(d).catch(() => undefined)));
  }

  async close(): Promise<void> {
    await this.flush();
    for (const path of [...this.handles.keys()]) await this.closeHandle(path);
  }

  private async doAppend(path: string, text: string): Promise<void> {
    let fh = this.handles.get(path);
    if (fh) {
      this.handles.delete(path); // re-insert: most recently used last
    } else {
      await this.ensureDir(dirname(path));
      fh = await fs.open(path, "a", 0o600);
      if (this.handles.size >= OPEN_HANDLES) {
        const [oldest] = this.handles.keys();
        await this.closeHandle(oldest);
      }
    }
    this.handles.set(path, fh);
    await fh.write(text);
    if (!this.dirty.has(path)) {
      this.dirty.add(path);
      this.dirtyDirs.add(dirname(path));
    }
  }

  private async doRewrite(path: string, content: string): Promise<void> {
    await this.ensureDir(dirname(path));
    await this.closeHandle(path);
    await writeFileAtomic(path, content, { durable: false });
    this.dirty.add(path);
    this.dirtyDirs.add(dirname(path));
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    const created = await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) this.dirtyDirs.add(dirname(dir)); // the new entry in its parent must be synced too
    this.madeDirs.add(dir);
  }

  /** Forget that `dir` exists (after a store removed it), so a later write creates it again. */
  forgetDir(dir: string): void {
    this.madeDirs.delete(dir);
    this.dirtyDirs.add(dirname(dir));
  }

  private async closeHandle(path: string): Promise<void> {
    const fh = this.handles.get(path);
    if (!fh) return;
    this.handles.delete(path);
    await fh.close();
  }
}
