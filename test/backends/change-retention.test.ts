/**
 * R11 (SPEC §4 "Never a silent gap", §11) for the shared backends: a subscriber resuming page by page
 * while the log loses its oldest entries under it — SQL prune (sqlite, postgres), Redis prune and
 * XADD MAXLEN ~ trimming — gets every change or `reset`, never a page that silently skips some.
 * Contiguity is judged by the messages' seq numbers (one session, one message per append), so it
 * does not depend on how a backend numbers its cursors.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { RedisBackend } from "../../src/backends/redis/index.js";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { redis } from "../helpers/redis.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const pgSkip = await postgresUnavailable();
const base = { origin: "r11", now: () => new Date() };

interface Outcome {
  pages: number;
  resetAfter?: number;
  read: number;
}

/**
 * Appends `total` messages in the background while a reader pages from cursor "0" with `pageSize`,
 * slower than the writer; `removeOld` (if given) prunes in a loop meanwhile. Fails on any page that
 * skips a seq without `reset`.
 */
async function resumeUnderRemoval(store: Backend, total: number, pageSize: number, removeOld?: () => Promise<unknown>): Promise<Outcome> {
  await store.conversations.createSession({ id: "r" });
  let writing = true;
  let written = 0;
  const writer = (async () => {
    for (let i = 0; i < total; i++) {
      await store.conversations.append({ sessionId: "r", messages: [{ role: "user", content: `${i}` }] });
      written++;
    }
    writing = false;
  })();
  // The reader resumes behind the writer, as a subscriber coming back would.
  while (written < 80 && writing) await sleep(5);
  const pruner = removeOld
    ? (async () => {
        while (writing) {
          await removeOld();
          await sleep(5);
        }
      })()
    : Promise.resolve();
  let cursor = "0";
  let nextSeq = 1;
  const out: Outcome = { pages: 0, read: 0 };
  try {
    for (;;) {
      const page = await store.changes.since(cursor, pageSize);
      out.pages++;
      if (page.reset) {
        out.resetAfter = nextSeq - 1;
        break;
      }
      for (const c of page.changes) {
        cursor = c.cursor;
        if (c.type !== "message.appended") continue;
        const { firstSeq, lastSeq } = c.data as { firstSeq: number; lastSeq: number };
        assert.equal(firstSeq, nextSeq, `page ${out.pages}: seq ${nextSeq} was skipped without reset (got ${firstSeq})`);
        nextSeq = lastSeq + 1;
        out.read++;
      }
      if (!writing && page.changes.length < pageSize) break;
      await sleep(40); // slower than the writer: the removal catches up with the reader
    }
  } finally {
    writing = false;
    await writer;
    await pruner;
  }
  return out;
}

test("R11 redis: XADD MAXLEN ~ trims under a resuming reader: reset, never a gapped page", async (t) => {
  const store = new RedisBackend({ ...base, url: (await redis()).url, prefix: `r11:trim:${process.pid}:`, streamMaxLen: 50 });
  t.after(() => store.close());
  await store.open();
  const r = await resumeUnderRemoval(store, 600, 10);
  assert.ok(r.resetAfter !== undefined, `the stream was trimmed under the reader but it never got reset (read ${r.read})`);
  t.diagnostic(`reset after reading through seq ${r.resetAfter}, ${r.pages} pages`);
});

test("R11 redis: prune racing a resuming reader: reset, never a gapped page", async (t) => {
  const store = new RedisBackend({ ...base, url: (await redis()).url, prefix: `r11:prune:${process.pid}:` });
  t.after(() => store.close());
  await store.open();
  const r = await resumeUnderRemoval(store, 400, 7, () => store.changes.prune(new Date(Date.now() + 60_000), 40));
  assert.ok(r.resetAfter !== undefined, "pruned under the reader but it never got reset");
});

test("R11 sqlite: prune racing a resuming reader: reset, never a gapped page", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-r11-"));
  const store = new SqliteBackend({ ...base, path: join(dir, "s.sqlite") });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await store.open();
  const r = await resumeUnderRemoval(store, 400, 7, () => store.changes.prune(new Date(Date.now() + 60_000), 40));
  assert.ok(r.resetAfter !== undefined, "pruned under the reader but it never got reset");
});

test("R11 postgres: prune racing a resuming reader: reset, never a gapped page", { skip: pgSkip }, async (t) => {
  const store = new PostgresBackend({ ...base, url: (await postgres()).url, schema: `r11_${process.pid}` });
  t.after(() => store.close());
  await store.open();
  const r = await resumeUnderRemoval(store, 400, 7, () => store.changes.prune(new Date(Date.now() + 60_000), 40));
  assert.ok(r.resetAfter !== undefined, "pruned under the reader but it never got reset");
});
