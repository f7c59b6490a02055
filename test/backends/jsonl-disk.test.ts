/**
 * The jsonl backend's real disk (nodeDisk): files are read and written synchronously, flushed on
 * libuv's thread pool. A close while a flush still waits on the pool must not free the descriptor
 * number: the next open would get it, and the flush would sync that file instead (a checkpoint
 * would then retire journal lines whose file was never synced).
 */
import assert from "node:assert/strict";
import { pbkdf2 } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { nodeDisk } from "../../src/backends/jsonl/disk.js";
import { tempDir } from "../helpers/tmp.js";

const fdOf = (file: unknown): number => (file as { fd: number }).fd;

/** Keeps every thread of libuv's pool busy for a while, so a flush queued now waits. */
function occupyPool(): Promise<void> {
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  return Promise.all(
    Array.from({ length: threads }, () => new Promise<void>((resolve) => pbkdf2("x", "salt", 400_000, 32, "sha256", () => resolve()))),
  ).then(() => undefined);
}

test("nodeDisk: a close waits for the flush in flight, so the descriptor is not reused under it", async (t) => {
  const dir = tempDir(t);
  const [a, b] = [join(dir, "a"), join(dir, "b")];
  writeFileSync(a, "a\n");
  writeFileSync(b, "b\n");
  const fileA = await nodeDisk.open(a, "r+");
  const fdA = fdOf(fileA);
  const busy = occupyPool();
  const flushed = fileA.datasync(); // queued behind the busy pool
  const closed = fileA.close();
  const fileB = await nodeDisk.open(b, "r+");
  assert.notEqual(fdOf(fileB), fdA, "a file opened while a's flush waits must not get a's descriptor");
  await Promise.all([busy, flushed, closed]);
  await fileB.close();
});

test("nodeDisk: a closed file refuses every call with EBADF, and a second close does nothing", async (t) => {
  const path = join(tempDir(t), "f");
  writeFileSync(path, "x\n");
  const f = await nodeDisk.open(path, "r+");
  await f.close();
  await f.close();
  const other = await nodeDisk.open(path, "r"); // likely takes the number f had
  for (const call of [() => f.writeAll(Buffer.from("y"), 0), () => f.read(Buffer.alloc(1), 0, 1, 0), () => f.size(), () => f.truncate(0), () => f.datasync()]) {
    await assert.rejects(call(), { code: "EBADF" });
  }
  assert.equal((await other.size()), 2, "the other file was not touched");
  await other.close();
});
