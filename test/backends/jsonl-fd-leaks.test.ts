/**
 * The jsonl backend holds raw descriptors (disk.ts), which nothing closes when they are collected:
 * a failure between opening a file and handing it to its owner must not leave it open.
 */
import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { FaultyDisk } from "../helpers/faulty-disk.js";
import { openFaultyJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/tmp.js";

/** This process's open descriptors on files under `dir`. */
function openUnder(dir: string): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(dir + "/") ? [target] : [];
    } catch {
      return []; // closed while we listed
    }
  });
}

test("jsonl: a journal whose first flush fails at open leaves no descriptor behind", async (t) => {
  const dir = join(tempDir(t), "data");
  const disk = new FaultyDisk();
  disk.fail({ op: "datasync", path: /journal\.jsonl$/, code: "EIO" });
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date(), disk, log: { warn: () => {}, info: () => {} } });
  await assert.rejects(b.open(), { code: "EIO" });
  await b.close();
  assert.deepEqual(openUnder(dir), []);
});

test("jsonl: a file whose close fails when it is evicted from the open set leaves no descriptor behind", { timeout: 30_000 }, async (t) => {
  const { b, disk, dir } = await openFaultyJsonl(t);
  // 64 files are kept open (the change log's among them): a later session's write evicts the
  // oldest, s0's message file, whose close fails.
  disk.fail({ op: "close", path: /sessions\/s0\.jsonl$/, code: "EIO", times: 1 });
  for (let i = 0; i < 65; i++) {
    await b.conversations.append({ sessionId: `s${i}`, createSession: true, messages: [{ role: "user", content: "x" }] });
    await b.engine.applyNow();
  }
  assert.equal(disk.failures.get("close"), 1, "the eviction's close failed");
  await b.close();
  assert.deepEqual(openUnder(dir), []);
  assert.equal((await reopen(dir)).length, 65, "every session is there after the failure");
});

async function reopen(dir: string): Promise<unknown[]> {
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await b.open();
  try {
    return (await b.conversations.listSessions({ limit: 100 })).items;
  } finally {
    await b.close();
  }
}
