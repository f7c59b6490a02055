/**
 * A Disk (src/backends/jsonl/disk.ts) that fails on command: the errors a full or failing disk
 * gives (ENOSPC, EIO on fsync, EMFILE on open) and short writes, on chosen operations and paths.
 * Everything else goes to the real file system.
 */
import { nodeDisk, type Disk, type DiskFile } from "../../src/backends/jsonl/disk.js";

export type FaultOp = "open" | "write" | "datasync" | "truncate" | "rename" | "unlink" | "syncDir" | "mkdir" | "close";

export interface Fault {
  op: FaultOp;
  /** Only paths matching this (default: every path). */
  path?: RegExp;
  code: "ENOSPC" | "EIO" | "EMFILE" | "EDQUOT";
  /** How many calls fail before the fault clears by itself (default: until cleared). */
  times?: number;
}

const error = (code: string, op: string, path: string) =>
  Object.assign(new Error(`${code}: injected ${op} failure, ${path}`), { code, errno: -5, syscall: op, path });

export class FaultyDisk implements Disk {
  private faults: Fault[] = [];
  /** When set, the next write puts only this many bytes on disk and then fails with ENOSPC (a disk filling up mid-write). */
  partialWriteBytes?: number;
  /** Counts of each operation, and of the injected failures of each, for assertions. */
  readonly calls = new Map<string, number>();
  readonly failures = new Map<string, number>();

  private holds: Array<{ op: FaultOp; path: RegExp; until: Promise<void> }> = [];

  /** The next `op` on a matching path waits for `until` first (then any fault applies). */
  holdNext(op: FaultOp, path: RegExp, until: Promise<void>): void {
    this.holds.push({ op, path, until });
  }

  async hold(op: FaultOp, path: string): Promise<void> {
    const h = this.holds.find((x) => x.op === op && x.path.test(path));
    if (!h) return;
    this.holds = this.holds.filter((x) => x !== h);
    await h.until;
  }

  fail(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clear(): void {
    this.faults = [];
    this.partialWriteBytes = undefined;
  }

  check(op: FaultOp, path: string): void {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    const f = this.faults.find((x) => x.op === op && (!x.path || x.path.test(path)));
    if (!f) return;
    if (f.times !== undefined && --f.times <= 0) this.faults = this.faults.filter((x) => x !== f);
    this.failures.set(op, (this.failures.get(op) ?? 0) + 1);
    throw error(f.code, op, path);
  }

  async open(path: string, flags: string): Promise<DiskFile> {
    this.check("open", path);
    return new FaultyFile(this, path, await nodeDisk.open(path, flags));
  }
  readFile = (path: string) => nodeDisk.readFile(path);
  async rename(from: string, to: string) {
    this.check("rename", to);
    return nodeDisk.rename(from, to);
  }
  async unlink(path: string) {
    this.check("unlink", path);
    return nodeDisk.unlink(path);
  }
  async mkdir(path: string) {
    this.check("mkdir", path);
    return nodeDisk.mkdir(path);
  }
  readdir = (path: string) => nodeDisk.readdir(path);
  async syncDir(path: string) {
    this.check("syncDir", path);
    return nodeDisk.syncDir(path);
  }
  size = (path: string) => nodeDisk.size(path);
}

class FaultyFile implements DiskFile {
  constructor(
    private readonly disk: FaultyDisk,
    private readonly path: string,
    private readonly inner: DiskFile,
  ) {}

  async writeAll(data: Buffer, position: number): Promise<void> {
    this.disk.check("write", this.path);
    const part = this.disk.partialWriteBytes;
    if (part === undefined || part >= data.length) return this.inner.writeAll(data, position);
    this.disk.partialWriteBytes = undefined;
    await this.inner.writeAll(data.subarray(0, part), position);
    throw error("ENOSPC", "write", this.path);
  }
  read = (b: Buffer, o: number, l: number, p: number) => this.inner.read(b, o, l, p);
  size = () => this.inner.size();
  async truncate(length: number) {
    this.disk.check("truncate", this.path);
    return this.inner.truncate(length);
  }
  async datasync() {
    await this.disk.hold("datasync", this.path);
    this.disk.check("datasync", this.path);
    return this.inner.datasync();
  }
  /** A failing close still frees the descriptor, as close(2) does on Linux; only the error is injected. */
  async close() {
    await this.inner.close();
    this.disk.check("close", this.path);
  }
}
