/**
 * Checkpoints on SQL (migration 012): `checkpoints` keyed by (scope, thread_id, ns, id) with
 * indexes for listing a scope or a thread newest first, `checkpoint_values` by (…, channel,
 * version), `checkpoint_writes` by (…, checkpoint_id, task_id, idx), and `checkpoint_threads`, one
 * row per thread: inside a unit of work the first read of a thread locks its row (FOR UPDATE) and
 * every write to the thread rewrites it, so units writing one thread run one after the other (two
 * that both find no row both insert it, and the loser runs again). deleteThread keeps the row.
 */
import type { ChannelValue, PendingWrite } from "../../domain/checkpoints.js";
import type {
  CheckpointKey, CheckpointRecord, CheckpointSlice, CheckpointsReadPort, CheckpointsWritePort, ThreadContents, ThreadKey, ValuePair,
} from "../contract.js";
import type { Param, Sql } from "./db.js";
import type { SqlWrites } from "./writes.js";

/** Pairs or ids per statement (SQLite allows 32,766 parameters). */
const CHUNK = 500;

interface CheckpointRow {
  scope: string;
  thread_id: string;
  ns: string;
  id: string;
  parent_id: string | null;
  type: string | null;
  checkpoint: string;
  metadata: string;
  channel_versions: string;
  created_at: string;
}

const COLUMNS = "scope, thread_id, ns, id, parent_id, type, checkpoint, metadata, channel_versions, created_at";

function record(r: CheckpointRow): CheckpointRecord {
  const out: CheckpointRecord = {
    scope: r.scope,
    threadId: r.thread_id,
    ns: r.ns,
    id: r.id,
    checkpoint: r.checkpoint,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    channelVersions: JSON.parse(r.channel_versions) as Record<string, string>,
    createdAt: r.created_at,
  };
  if (r.parent_id !== null) out.parentId = r.parent_id;
  if (r.type !== null) out.type = r.type;
  return out;
}

interface ValueRow {
  channel: string;
  version: string;
  type: string;
  value: string | null;
}

const valueOf = (r: ValueRow): ChannelValue =>
  r.value === null ? { channel: r.channel, version: r.version, type: r.type } : { channel: r.channel, version: r.version, type: r.type, value: r.value };

interface WriteRow {
  task_id: string;
  idx: number | string;
  channel: string;
  type: string | null;
  value: string;
  task_path: string | null;
}

function writeOf(r: WriteRow): PendingWrite {
  const w: PendingWrite = { taskId: r.task_id, idx: Number(r.idx), channel: r.channel, value: r.value };
  if (r.type !== null) w.type = r.type;
  if (r.task_path !== null) w.taskPath = r.task_path;
  return w;
}

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

const WHERE_NS = "scope = ? AND thread_id = ? AND ns = ?";
const nsParams = (k: ThreadKey): Param[] => [k.scope, k.threadId, k.ns];

export class SqlCheckpointsPort implements CheckpointsReadPort, CheckpointsWritePort {
  /** Threads this unit read (their row locked): rev, or null when the thread has no row yet. */
  private readonly threads = new Map<string, number | null>();
  private readonly touched = new Set<string>();

  /** `lock` is the dialect's FOR UPDATE inside a unit of work, "" for plain reads. */
  constructor(
    private readonly q: Sql,
    private readonly lock: string,
    private readonly w: SqlWrites,
    private readonly inUnit: boolean,
  ) {}

  /** Inside a unit: locks the thread's row the first time the unit reads the thread. */
  private async thread(scope: string, threadId: string): Promise<void> {
    const name = JSON.stringify([scope, threadId]);
    if (!this.inUnit || this.threads.has(name)) return;
    const row = await this.q.get<{ rev: number | string }>(`SELECT rev FROM checkpoint_threads WHERE scope = ? AND thread_id = ?${this.lock}`, [scope, threadId]);
    this.threads.set(name, row ? Number(row.rev) : null);
  }

  /** Queues the rewrite of the thread's row, once per unit. */
  private touch(scope: string, threadId: string): void {
    const name = JSON.stringify([scope, threadId]);
    if (this.touched.has(name)) return;
    if (!this.threads.has(name)) throw new Error("a checkpoint write to a thread the unit did not read first");
    this.touched.add(name);
    const rev = this.threads.get(name);
    if (rev === null || rev === undefined) this.w.run("INSERT INTO checkpoint_threads (scope, thread_id, rev) VALUES (?, ?, 1)", [scope, threadId]);
    else this.w.run("UPDATE checkpoint_threads SET rev = ? WHERE scope = ? AND thread_id = ?", [rev + 1, scope, threadId]);
  }

  async checkpoint(key: ThreadKey, id: string) {
    await this.thread(key.scope, key.threadId);
    const row = await this.q.get<CheckpointRow>(`SELECT ${COLUMNS} FROM checkpoints WHERE ${WHERE_NS} AND id = ?`, [...nsParams(key), id]);
    return row && record(row);
  }

  async listCheckpoints(slice: CheckpointSlice, after: CheckpointKey | undefined, limit: number) {
    const where = ["scope = ?"];
    const params: Param[] = [slice.scope];
    if (slice.threadId !== undefined) {
      where.push("thread_id = ?");
      params.push(slice.threadId);
    }
    if (slice.ns !== undefined) {
      where.push("ns = ?");
      params.push(slice.ns);
    }
    if (slice.before !== undefined) {
      where.push("id < ?");
      params.push(slice.before);
    }
    if (after !== undefined) {
      where.push("(id, thread_id, ns) < (?, ?, ?)");
      params.push(...after);
    }
    const rows = await this.q.all<CheckpointRow>(
      `SELECT ${COLUMNS} FROM checkpoints WHERE ${where.join(" AND ")} ORDER BY id DESC, thread_id DESC, ns DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map(record);
  }

  async channelValues(key: ThreadKey, pairs: readonly ValuePair[]) {
    await this.thread(key.scope, key.threadId);
    const out: ChannelValue[] = [];
    for (const chunk of chunks(pairs)) {
      const rows = await this.q.all<ValueRow>(
        `SELECT channel, version, type, value FROM checkpoint_values WHERE ${WHERE_NS} AND (channel, version) IN (VALUES ${chunk.map(() => "(?, ?)").join(", ")})`,
        [...nsParams(key), ...chunk.flat()],
      );
      for (const r of rows) out.push(valueOf(r));
    }
    return out;
  }

  async pendingWrites(key: ThreadKey, checkpointId: string) {
    await this.thread(key.scope, key.threadId);
    const rows = await this.q.all<WriteRow>(
      `SELECT task_id, idx, channel, type, value, task_path FROM checkpoint_writes WHERE ${WHERE_NS} AND checkpoint_id = ?`,
      [...nsParams(key), checkpointId],
    );
    return rows.map(writeOf);
  }

  async namespaceContents(key: ThreadKey) {
    await this.thread(key.scope, key.threadId);
    const checkpoints = await this.q.all<{ id: string; channel_versions: string }>(`SELECT id, channel_versions FROM checkpoints WHERE ${WHERE_NS}`, nsParams(key));
    const values = await this.q.all<{ channel: string; version: string }>(`SELECT channel, version FROM checkpoint_values WHERE ${WHERE_NS}`, nsParams(key));
    return {
      checkpoints: checkpoints.map((r) => ({ id: r.id, channelVersions: JSON.parse(r.channel_versions) as Record<string, string> })),
      values: values.map((r): ValuePair => [r.channel, r.version]),
    };
  }

  async listThreads() {
    // From the records themselves: checkpoint_threads also keeps the rows of deleted threads.
    const rows = await this.q.all<{ scope: string; thread_id: string }>(
      "SELECT scope, thread_id FROM checkpoints UNION SELECT scope, thread_id FROM checkpoint_values UNION SELECT scope, thread_id FROM checkpoint_writes",
      [],
    );
    return rows.map((r) => ({ scope: r.scope, threadId: r.thread_id }));
  }

  async threadContents(scope: string, threadId: string): Promise<ThreadContents> {
    await this.thread(scope, threadId);
    const p = [scope, threadId];
    const checkpoints = await this.q.all<CheckpointRow>(`SELECT ${COLUMNS} FROM checkpoints WHERE scope = ? AND thread_id = ?`, p);
    const values = await this.q.all<ValueRow & { ns: string }>("SELECT ns, channel, version, type, value FROM checkpoint_values WHERE scope = ? AND thread_id = ?", p);
    const writes = await this.q.all<WriteRow & { ns: string; checkpoint_id: string }>(
      "SELECT ns, checkpoint_id, task_id, idx, channel, type, value, task_path FROM checkpoint_writes WHERE scope = ? AND thread_id = ?",
      p,
    );
    return {
      checkpoints: checkpoints.map(record),
      values: values.map((r) => ({ ...valueOf(r), ns: r.ns })),
      writes: writes.map((r) => ({ ...writeOf(r), ns: r.ns, checkpointId: r.checkpoint_id })),
    };
  }

  async threadSize(scope: string, threadId: string) {
    await this.thread(scope, threadId);
    const p = [scope, threadId];
    const n = Number((await this.q.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM checkpoints WHERE scope = ? AND thread_id = ?", p))?.n ?? 0);
    if (n > 0) return { checkpoints: n, empty: false };
    const other = await this.q.get(
      "SELECT 1 AS x FROM checkpoint_writes WHERE scope = ? AND thread_id = ? UNION ALL SELECT 1 AS x FROM checkpoint_values WHERE scope = ? AND thread_id = ? LIMIT 1",
      [...p, ...p],
    );
    return { checkpoints: 0, empty: other === undefined };
  }

  putCheckpoint(next: CheckpointRecord, prev: CheckpointRecord | undefined): void {
    this.touch(next.scope, next.threadId);
    const data: Param[] = [next.parentId ?? null, next.type ?? null, next.checkpoint, JSON.stringify(next.metadata), JSON.stringify(next.channelVersions), next.createdAt];
    if (prev === undefined) {
      this.w.run(
        `INSERT INTO checkpoints (parent_id, type, checkpoint, metadata, channel_versions, created_at, scope, thread_id, ns, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [...data, ...nsParams(next), next.id],
      );
    } else {
      this.w.run(
        `UPDATE checkpoints SET parent_id = ?, type = ?, checkpoint = ?, metadata = ?, channel_versions = ?, created_at = ? WHERE ${WHERE_NS} AND id = ?`,
        [...data, ...nsParams(next), next.id],
      );
    }
  }

  putValues(key: ThreadKey, values: readonly ChannelValue[]): void {
    this.touch(key.scope, key.threadId);
    for (const v of values) {
      this.w.run("INSERT INTO checkpoint_values (scope, thread_id, ns, channel, version, type, value) VALUES (?, ?, ?, ?, ?, ?, ?)", [
        ...nsParams(key), v.channel, v.version, v.type, v.value ?? null,
      ]);
    }
  }

  putWrites(key: ThreadKey, checkpointId: string, inserted: readonly PendingWrite[], replaced: readonly PendingWrite[]): void {
    this.touch(key.scope, key.threadId);
    for (const w of inserted) {
      this.w.run(
        "INSERT INTO checkpoint_writes (channel, type, value, task_path, scope, thread_id, ns, checkpoint_id, task_id, idx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [w.channel, w.type ?? null, w.value, w.taskPath ?? null, ...nsParams(key), checkpointId, w.taskId, w.idx],
      );
    }
    for (const w of replaced) {
      this.w.run(
        `UPDATE checkpoint_writes SET channel = ?, type = ?, value = ?, task_path = ? WHERE ${WHERE_NS} AND checkpoint_id = ? AND task_id = ? AND idx = ?`,
        [w.channel, w.type ?? null, w.value, w.taskPath ?? null, ...nsParams(key), checkpointId, w.taskId, w.idx],
      );
    }
  }

  deleteCheckpoints(key: ThreadKey, ids: readonly string[]): void {
    this.touch(key.scope, key.threadId);
    for (const chunk of chunks(ids)) {
      const list = chunk.map(() => "?").join(", ");
      this.w.run(`DELETE FROM checkpoints WHERE ${WHERE_NS} AND id IN (${list})`, [...nsParams(key), ...chunk]);
      this.w.run(`DELETE FROM checkpoint_writes WHERE ${WHERE_NS} AND checkpoint_id IN (${list})`, [...nsParams(key), ...chunk]);
    }
  }

  deleteValues(key: ThreadKey, pairs: readonly ValuePair[]): void {
    this.touch(key.scope, key.threadId);
    for (const chunk of chunks(pairs)) {
      this.w.run(`DELETE FROM checkpoint_values WHERE ${WHERE_NS} AND (channel, version) IN (VALUES ${chunk.map(() => "(?, ?)").join(", ")})`, [
        ...nsParams(key), ...chunk.flat(),
      ]);
    }
  }

  deleteThread(scope: string, threadId: string): void {
    // The thread's row stays (touch moves its rev on): a writer that waits on it then sees the
    // deletion. Without the row, a unit that deleted the thread and wrote it again (a restore) would
    // leave records no row guards, and a later delete could run beside a writer instead of before it.
    this.touch(scope, threadId);
    for (const table of ["checkpoints", "checkpoint_values", "checkpoint_writes"]) {
      this.w.run(`DELETE FROM ${table} WHERE scope = ? AND thread_id = ?`, [scope, threadId]);
    }
  }
}
