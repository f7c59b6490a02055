/**
 * The jsonl backend's files as the engine sees them: what is on disk plus the file operations
 * journaled since, not yet written to the files. Every write to a data file is one of four
 * operations, each placed exactly (an append says the byte offset it starts at), so replaying a
 * journal line writes the same bytes to the same places however often it runs — the one replay
 * rule of the backend. Reads go through here and see the journaled operations, so the files can
 * be brought up to date lazily, in batches, and a full disk delays them without hiding anything.
 *
 * Operations carry the journal sequence `j` of their unit of work. A unit's operations are
 * "pending" until its journal line is synced ("durable"); the applier (applier.ts) then writes
 * durable operations to the files and forgets them. When a journal write fails, the pending
 * operations are dropped (`discardAfter`) and reads see the files plus durable operations again.
 */
import { dirname, join } from "node:path";
import type { Disk, DiskFile } from "./disk.js";
import { errno, unlessMissing } from "./disk.js";

/** A file operation, with `p` relative to the data directory. */
export type FileOp =
  | { t: "a"; p: string; o: number; d: string }
  | { t: "c"; p: string; s: number }
  | { t: "r"; p: string; d: string }
  | { t: "d"; p: string };

export interface Queued {
  op: FileOp;
  j: number;
  /** The op's bytes (appends and replacements). */
  data?: Buffer;
  /** The file's size before and after the op (undefined: absent). */
  before: number | undefined;
  after: number | undefined;
}

export interface PathState {
  /** Size on disk, as far as this process knows (undefined: no file). */
  disk: number | undefined;
  ops: Queued[];
}

/** What a read of a file sees. */
export interface ReadableFile {
  readonly size: number;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

interface Segment {
  from: number;
  to: number;
  /** Bytes from the disk file at the same offsets, or these bytes (starting at `from`). */
  buf?: Buffer;
}

export class Vfs {
  readonly paths = new Map<string, PathState>();
  private readonly readers = new Map<string, number>();
  /** Bytes of queued ops, for backpressure and stats. */
  queuedBytes = 0;

  constructor(
    readonly dir: string,
    readonly disk: Disk,
  ) {}

  abs(path: string): string {
    return join(this.dir, path);
  }

  /** Learns the on-disk size of each path not seen yet, so later ops can be placed synchronously. */
  async know(...paths: string[]): Promise<void> {
    for (const p of paths) {
      if (this.paths.has(p)) continue;
      const disk = await this.disk.size(this.abs(p));
      if (!this.paths.has(p)) this.paths.set(p, { disk, ops: [] });
    }
  }

  /** A path this process is about to create (a new name nobody else uses): no need to look at the disk. */
  knowAbsent(path: string): void {
    if (!this.paths.has(path)) this.paths.set(path, { disk: undefined, ops: [] });
  }

  private state(path: string): PathState {
    const s = this.paths.get(path);
    if (!s) throw new Error(`jsonl engine: ${path} was written before its size was known (call vfs.know in the read phase)`);
    return s;
  }

  /** The size a read sees now (undefined: the file does not exist). */
  size(path: string): number | undefined {
    const s = this.state(path);
    return s.ops.length > 0 ? s.ops[s.ops.length - 1].after : s.disk;
  }

  /** True while operations on `path` are queued (not yet in the file on disk). */
  pending(path: string): boolean {
    return (this.paths.get(path)?.ops.length ?? 0) > 0;
  }

  exists(path: string): boolean {
    return this.size(path) !== undefined;
  }

  private queue(op: FileOp, j: number, data: Buffer | undefined, after: number | undefined): Queued {
    const s = this.state(op.p);
    const q: Queued = { op, j, data, before: this.size(op.p), after };
    s.ops.push(q);
    this.queuedBytes += data?.length ?? 0;
    return q;
  }

  append(path: string, text: string, j: number): FileOp {
    const data = Buffer.from(text, "utf8");
    const o = this.size(path) ?? 0;
    const op: FileOp = { t: "a", p: path, o, d: text };
    this.queue(op, j, data, o + data.length);
    return op;
  }

  cut(path: string, size: number, j: number): FileOp {
    const op: FileOp = { t: "c", p: path, s: size };
    this.queue(op, j, undefined, Math.min(size, this.size(path) ?? 0));
    return op;
  }

  replace(path: string, text: string, j: number): FileOp {
    const data = Buffer.from(text, "utf8");
    const op: FileOp = { t: "r", p: path, d: text };
    this.queue(op, j, data, data.length);
    return op;
  }

  remove(path: string, j: number): FileOp {
    const op: FileOp = { t: "d", p: path };
    this.queue(op, j, undefined, undefined);
    return op;
  }

  /** Drops every op with j > `j` (their journal write failed): reads see what was durable again. */
  discardAfter(j: number): void {
    for (const [path, s] of this.paths) {
      const keep = s.ops.filter((q) => q.j <= j);
      for (const q of s.ops) if (q.j > j) this.queuedBytes -= q.data?.length ?? 0;
      s.ops = keep;
      if (keep.length === 0 && s.disk === undefined) this.paths.delete(path);
    }
  }

  /** Called by the applier once `count` leading ops of `path` are on disk and the file is `disk` bytes. */
  applied(path: string, count: number, disk: number | undefined): void {
    const s = this.paths.get(path);
    if (!s) return;
    for (const q of s.ops.slice(0, count)) this.queuedBytes -= q.data?.length ?? 0;
    s.ops = s.ops.slice(count);
    s.disk = disk;
  }

  /** Opens what a read of `path` sees; undefined when the file does not exist. Close it after use. */
  /** True while a read has `path`'s disk file open: the applier then leaves cuts, replacements and deletes for later. */
  reading(path: string): boolean {
    return this.readers.has(path);
  }

  async open(path: string): Promise<ReadableFile | undefined> {
    this.readers.set(path, (this.readers.get(path) ?? 0) + 1);
    const done = () => {
      const n = (this.readers.get(path) ?? 1) - 1;
      if (n > 0) this.readers.set(path, n);
      else this.readers.delete(path);
    };
    try {
      const f = await this.openView(path, this.paths.get(path));
      if (!f) done();
      return f && Object.assign(f, { onClose: done });
    } catch (err) {
      done();
      throw err;
    }
  }

  private async openView(path: string, s: PathState | undefined): Promise<ViewFile | undefined> {
    if (!s || s.ops.length === 0) return this.openDisk(path);
    // Snapshot now: the applier may write and forget these ops while we read the disk file, so the
    // disk is read only below the size it had before the first op, and the ops come from here.
    const ops = [...s.ops];
    let base = ops.length - 1;
    while (base >= 0 && ops[base].op.t !== "r" && ops[base].op.t !== "d") base--;
    let segments: Segment[];
    let size: number;
    let diskPart = false;
    if (base >= 0) {
      const b = ops[base];
      if (b.op.t === "d") {
        segments = [];
        size = -1;
      } else {
        segments = [{ from: 0, to: (b.data as Buffer).length, buf: b.data }];
        size = (b.data as Buffer).length;
      }
    } else {
      size = ops[0].before ?? -1;
      segments = size > 0 ? [{ from: 0, to: size }] : [];
      diskPart = size > 0;
    }
    for (const q of ops.slice(base + 1)) {
      if (q.op.t === "a") {
        const data = q.data as Buffer;
        segments.push({ from: q.op.o, to: q.op.o + data.length, buf: data });
        size = Math.max(size, 0, q.op.o + data.length);
      } else if (q.op.t === "c") {
        const cut = q.op.s;
        segments = segments.filter((g) => g.from < cut).map((g) => (g.to > cut ? { ...g, to: cut } : g));
        size = Math.min(Math.max(size, 0), cut);
      }
    }
    if (size < 0) return undefined;
    const file = diskPart ? await unlessMissing(this.disk.open(this.abs(path), "r")) : undefined;
    return new ViewFile(size, segments, file);
  }

  private async openDisk(path: string): Promise<ViewFile | undefined> {
    let file: DiskFile;
    try {
      file = await this.disk.open(this.abs(path), "r");
    } catch (err) {
      if (errno(err) === "ENOENT") return undefined;
      throw err;
    }
    // The file's own size, not the cached one: hand-editable files change under us.
    const size = await file.size();
    return new ViewFile(size, [{ from: 0, to: size }], file);
  }

  /** Names of the files directly in `dir` that a read sees: on disk, plus created by queued ops, minus deleted. */
  async list(dir: string): Promise<string[]> {
    let names: string[] = [];
    try {
      names = await this.disk.readdir(this.abs(dir));
    } catch (err) {
      if (errno(err) !== "ENOENT") throw err;
    }
    const seen = new Set(names.filter((n) => !n.startsWith(".")));
    const prefix = dir === "." ? "" : `${dir}/`;
    for (const [path, s] of this.paths) {
      if (!path.startsWith(prefix) || path.slice(prefix.length).includes("/") || s.ops.length === 0) continue;
      const name = path.slice(prefix.length);
      if (s.ops[s.ops.length - 1].after === undefined) seen.delete(name);
      else seen.add(name);
    }
    return [...seen].sort();
  }

  /** The whole content a read sees, or undefined. */
  async readAll(path: string): Promise<Buffer | undefined> {
    const f = await this.open(path);
    if (!f) return undefined;
    try {
      const buf = Buffer.alloc(f.size);
      let done = 0;
      while (done < f.size) {
        const n = await f.read(buf, done, f.size - done, done);
        if (n === 0) break;
        done += n;
      }
      return buf.subarray(0, done);
    } finally {
      await f.close();
    }
  }

  /** The directory a path's file lives in, relative to the data directory. */
  static dirOf(path: string): string {
    return dirname(path);
  }
}

class ViewFile implements ReadableFile {
  onClose?: () => void;

  constructor(
    readonly size: number,
    private readonly segments: Segment[],
    private readonly file: DiskFile | undefined,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const end = Math.min(position + length, this.size);
    let done = 0;
    for (const g of this.segments) {
      const from = Math.max(g.from, position);
      const to = Math.min(g.to, end);
      if (from >= to) continue;
      if (g.buf) g.buf.copy(buffer, offset + from - position, from - g.from, to - g.from);
      else if (this.file) {
        let at = from;
        while (at < to) {
          const n = await this.file.read(buffer, offset + at - position, to - at, at);
          if (n === 0) break;
          at += n;
        }
      }
      done = Math.max(done, to - position);
    }
    return Math.max(0, done);
  }

  async close(): Promise<void> {
    this.onClose?.();
    this.onClose = undefined;
    await this.file?.close();
  }
}
