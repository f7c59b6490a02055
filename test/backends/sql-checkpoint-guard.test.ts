/**
 * On SQL, a checkpoint thread's row in `checkpoint_threads` is the guard that makes units writing one
 * thread run one after the other (src/backends/sql/checkpoints.ts). A thread that `migrate copy`
 * restored (deleted and written again in one unit) and a deleted thread keep that row, so a writer
 * waits on it instead of running beside a unit that deletes the thread.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import type { Backend, CheckpointPutInput } from "../../src/backends/contract.js";
import { PostgresBackend } from "../../src/backends/postgres/index.js";
import { SqliteBackend } from "../../src/backends/sqlite/index.js";
import { postgres, postgresUnavailable } from "../helpers/postgres.js";
import { tempDir } from "../helpers/tmp.js";

const skip = await postgresUnavailable();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const cp = (id: string): CheckpointPutInput => ({
  scope: "", threadId: "t1", ns: "", id, checkpoint: Buffer.from(id).toString("base64"), metadata: {}, channelVersions: {}, newValues: [],
});

/** Writes a thread, then restores it over itself, as a second `migrate copy --resume` would. */
async function restoredThread(b: Backend): Promise<void> {
  await b.checkpoints.putCheckpoint(cp("c1"));
  const exported = await b.checkpoints.exportThread("", "t1");
  assert.ok(exported);
  await b.restore.checkpointThread(exported);
}

test("sqlite: a restored and a deleted checkpoint thread keep their guard row", async (t) => {
  const path = join(tempDir(t), "agentstate.sqlite");
  const b = new SqliteBackend({ path, origin: "t", now: () => new Date() });
  await b.open();
  t.after(() => b.close());
  const rows = () => {
    const db = new Database(path, { readonly: true });
    try {
      return db.prepare("SELECT rev FROM checkpoint_threads WHERE scope = '' AND thread_id = 't1'").all().length;
    } finally {
      db.close();
    }
  };
  await restoredThread(b);
  assert.equal(rows(), 1, "restored");
  await b.checkpoints.deleteThread("", "t1");
  assert.equal(rows(), 1, "deleted");
});

test("postgres: a writer of a restored thread waits for a unit that holds the thread's row", { skip, timeout: 60_000 }, async (t) => {
  const { url } = await postgres();
  const schema = `cp_guard_${process.pid}`;
  const b = new PostgresBackend({ url, schema, origin: "t", now: () => new Date() });
  await b.open();
  t.after(() => b.close());
  await restoredThread(b);
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  t.after(() => raw.end());
  const lock = `SELECT rev FROM "${schema}".checkpoint_threads WHERE scope = '' AND thread_id = 't1' FOR UPDATE`;

  await raw.query("BEGIN");
  assert.equal((await raw.query(lock)).rowCount, 1, "the restored thread has its row");
  let stored = false;
  const put = b.checkpoints.putCheckpoint(cp("c2")).then(() => (stored = true));
  await sleep(500);
  assert.equal(stored, false, "the writer waits for the unit that holds the row");
  await raw.query("ROLLBACK");
  await put;

  await b.checkpoints.deleteThread("", "t1");
  await raw.query("BEGIN");
  assert.equal((await raw.query(lock)).rowCount, 1, "a deleted thread keeps its row");
  await raw.query("ROLLBACK");
});
