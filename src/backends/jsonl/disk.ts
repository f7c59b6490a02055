/**
 * Every system call the jsonl backend makes on its data directory goes through a Disk, so that
 * (a) each one is checked — a write loops until every byte is written or it fails, an fsync's error
 * is never swallowed — and (b) tests can inject the failures a real disk gives (ENOSPC, EIO on
 * fsync, short writes, EMFILE) without root. `nodeDisk` is the real one.
 */
import * as fsSync from "node:fs";
import { promises as fs } from "node:fs";

export interface DiskFile {
  /** Writes all of `data` at `position`, looping over short writes; throws on any failure. */
  writeAll(data: Buffer, position: number): Promise<void>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  size(): Promise<number>;
  truncate(length: number): Promise<void>;
  datasync(): Promise<void>;
  close(): Promise<void>;
}

export interface Disk {
  /** `flags` as for fs.open ("r", "r+", "a", "w", "wx"); new files get mode 0600. */
  open(path: string, flags: string): Promise<DiskFile>;
  readFile(path: string): Promise<Buffer>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** fsync of a directory, so a create, rename or unlink inside it is durable. */
  syncDir(path: string): Promise<void>;
  size(path: string): Promise<number | undefined>;
}

/** An error with the errno code a caller checks (ENOENT, ENOSPC, …). */
export const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * Writes all of `data` at `position` with `write` (pwrite semantics: returns the bytes written),
 * calling it again for the rest after a short write; a write that makes no progress is EIO.
 */
export async function writeFully(
  write: (data: Buffer, offset: number, length: number, position: number) => Promise<number>,
  data: Buffer,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const n = await write(data, done, data.length - done, position + done);
    if (!(n > 0)) throw Object.assign(new Error(`write made no progress after ${done} of ${data.length} bytes`), { code: "EIO" });
    done += n;
  }
}

const closedError = () => Object.assign(new Error("EBADF: the file was closed"), { code: "EBADF" });

/**
 * A file of the real disk. Everything but the flush is a synchronous call inside the async method:
 * reads and writes of these files go to the page cache and take a few microseconds, while a round
 * trip through libuv's thread pool costs tens of microseconds of CPU (two thread wake-ups) and
 * latency per call. Measured under P2 (docs/benchmarks.md): the pool's threads and their futex
 * wake-ups were about 70 µs of every jsonl append's ~170; a tail read was four round trips. A flush
 * (fdatasync) waits for the device, so it stays on the pool and the event loop serves meanwhile.
 * The cost: a write that the kernel holds back (dirty-page throttling on a slow disk) holds the
 * event loop for that long. Errors still arrive as rejections (ENOSPC, EIO, EBADF).
 */
class NodeFile implements DiskFile {
  /** -1 once closed: later calls fail with EBADF instead of reaching a file that reused the number. */
  private fd: number;
  /** Flushes on the pool: close waits for them, or the number could be reused and the wrong file synced. */
  private readonly flushing = new Set<Promise<void>>();

  constructor(fd: number) {
    this.fd = fd;
  }

  private open(): number {
    if (this.fd < 0) throw closedError();
    return this.fd;
  }

  writeAll(data: Buffer, position: number): Promise<void> {
    return writeFully(async (d, o, l, p) => fsSync.writeSync(this.open(), d, o, l, p), data, position);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return fsSync.readSync(this.open(), buffer, offset, length, position);
  }

  async size(): Promise<number> {
    return fsSync.fstatSync(this.open()).size;
  }

  async truncate(length: number): Promise<void> {
    fsSync.ftruncateSync(this.open(), length);
  }

  datasync(): Promise<void> {
    if (this.fd < 0) return Promise.reject(closedError());
    const fd = this.fd;
    const flush = new Promise<void>((resolve, reject) => fsSync.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.flushing.add(flush);
    const forget = () => void this.flushing.delete(flush);
    flush.then(forget, forget);
    return flush;
  }

  /** Closes once the flushes in flight are done; a second close does nothing. */
  async close(): Promise<void> {
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    await Promise.allSettled([...this.flushing]);
    fsSync.closeSync(fd);
  }
}

/**
 * Renames, unlinks, directory listings, whole-file reads, mkdir and stat stay on the thread pool:
 * renames and unlinks free and allocate inodes (see open), the rest run at open and after a failed
 * write, not per request (and with them synchronous too, the jobs-watch test of a full disk saw no
 * watch events; not understood).
 */
export const nodeDisk: Disk = {
  async open(path, flags) {
    // Opening an existing file is cheap; creating one (w, wx, a) allocates an inode, which ext4
    // makes slow when many were freed recently (a temp file and rename per rewrite): under P2s at
    // 128 writers that was 200 µs of kernel time per append on the event loop. Those stay on the pool.
    if (flags === "r" || flags === "r+") return new NodeFile(fsSync.openSync(path, flags));
    // A raw descriptor (fs.promises' FileHandle would close it when collected).
    const fd = await new Promise<number>((resolve, reject) => fsSync.open(path, flags, 0o600, (err, n) => (err ? reject(err) : resolve(n))));
    return new NodeFile(fd);
  },
  readFile: (path) => fs.readFile(path),
  rename: (from, to) => fs.rename(from, to),
  unlink: (path) => fs.unlink(path),
  async mkdir(path) {
    await fs.mkdir(path, { recursive: true, mode: 0o700 });
  },
  readdir: (path) => fs.readdir(path),
  async syncDir(path) {
    const fh = await fs.open(path, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async size(path) {
    try {
      return (await fs.stat(path)).size;
    } catch (err) {
      if (errno(err) === "ENOENT") return undefined;
      throw err;
    }
  },
};

/** `promise`'s value, or undefined when it failed because the file is not there; other errors pass. */
export async function unlessMissing<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (err) {
    if (errno(err) === "ENOENT") return undefined;
    throw err;
  }
}
