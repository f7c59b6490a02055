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

class NodeFile implements DiskFile {
  constructor(private readonly fh: fs.FileHandle) {}

  writeAll(data: Buffer, position: number): Promise<void> {
    return writeFully(async (d, o, l, p) => (await this.fh.write(d, o, l, p)).bytesWritten, data, position);
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.read(buffer, offset, length, position)).bytesRead;
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/**
 * A file opened only to read (a tail, a page of messages), read synchronously inside the async
 * methods: these small reads hit the page cache and take a few microseconds, while each round trip
 * through libuv's thread pool (open, fstat, read, close) costs tens of microseconds of CPU and
 * latency — most of a `messages.list { tail }` before (450 → about 150 µs in process). Flushes
 * (an applier syncing a file it opened to read) stay asynchronous, and so do all other files. Errors still arrive as rejections.
 */
class SyncReadFile implements DiskFile {
  constructor(private readonly fd: number) {}

  writeAll(data: Buffer, position: number): Promise<void> {
    return writeFully(async (d, o, l, p) => fsSync.writeSync(this.fd, d, o, l, p), data, position); // EBADF: opened to read
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return fsSync.readSync(this.fd, buffer, offset, length, position);
  }

  async size(): Promise<number> {
    return fsSync.fstatSync(this.fd).size;
  }

  async truncate(length: number): Promise<void> {
    fsSync.ftruncateSync(this.fd, length);
  }

  /** A flush waits for the device: on the thread pool, as for any file. */
  datasync(): Promise<void> {
    return new Promise((resolve, reject) => fsSync.fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    fsSync.closeSync(this.fd);
  }
}

export const nodeDisk: Disk = {
  async open(path, flags) {
    if (flags === "r") return new SyncReadFile(fsSync.openSync(path, "r"));
    return new NodeFile(await fs.open(path, flags, 0o600));
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
