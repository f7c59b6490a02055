/**
 * The change log as a table. Stores call `recordChanges` inside their transaction; rows get their
 * cursor (`cur`) in commit order — at insert on SQLite (one writer), from the sequencer after commit
 * on Postgres (docs/decisions/postgres-change-order.md) — and only rows with a cursor are read, so a
 * reader sees a gap-free prefix. watch() polls the table, so it also sees other processes' commits;
 * `nudge()` makes it look at once after a local commit, and a backend with a wake-up signal
 * (Postgres NOTIFY from the sequencer) nudges too.
 */
import type { Change, ChangeInput } from "../../domain/changes.js";
import { invalidParams } from "../../domain/errors.js";
import type { BackendLog, ChangeLog } from "../contract.js";
import type { Param, SqlDb, TxSql } from "./db.js";
import { Sequencer } from "./sequencer.js";
import { write } from "./writes.js";

interface ChangeRow {
  cur: number;
  at: string;
  origin: string;
  domain: string;
  type: string;
  record_id: string;
  version: number | null;
  data: string | null;
}

const fromRow = (r: ChangeRow): Change => {
  const c = { cursor: String(r.cur), at: r.at, origin: r.origin, domain: r.domain, type: r.type, id: r.record_id } as Change;
  if (r.version !== null) c.version = Number(r.version);
  if (r.data !== null) c.data = JSON.parse(r.data);
  return c;
};

/** Rows per INSERT: well under Postgres' 65,535 parameters. */
const INSERT_CHUNK = 500;
const DEFERRED = "changes.deferred";
const COLUMNS = ["at", "origin", "domain", "type", "record_id", "version", "data"];
/** Statements by row count, for plain rows and rows numbered by the writer (id, cur first); small counts are kept. */
const statements = new Map<string, string>();
function insertStatement(numbered: boolean, n: number): string {
  const key = `${numbered}${n}`;
  let sql = statements.get(key);
  if (sql === undefined) {
    const columns = numbered ? ["id", "cur", ...COLUMNS] : COLUMNS;
    const row = `(${columns.map(() => "?").join(", ")})`;
    sql = `INSERT INTO changes (${columns.join(", ")}) VALUES ${new Array<string>(n).fill(row).join(", ")}`;
    if (n <= 16) statements.set(key, sql);
  }
  return sql;
}

async function insertChanges(q: TxSql, db: SqlDb, rows: Param[][]): Promise<void> {
  const top = db.dialect.changeTop === undefined ? undefined : Number((await q.get<{ top: number }>(db.dialect.changeTop))?.top ?? 0);
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const params: Param[] = [];
    for (const [k, row] of chunk.entries()) {
      // Where the writer numbers its rows itself: id and cursor top+1, top+2, … (Dialect.changeTop).
      if (top !== undefined) params.push(top + i + k + 1, top + i + k + 1);
      params.push(...row);
    }
    await write(q, insertStatement(top !== undefined, chunk.length), params);
  }
}

/**
 * Records change-log rows in the write's transaction. Where the dialect defers them, they are
 * inserted together just before COMMIT — after every row lock the write took — so that of two
 * conflicting writes, the one that commits later has the higher row ids (the sequencer's order
 * within a batch).
 */
export async function recordChanges(q: TxSql, db: SqlDb, origin: string, at: string, inputs: readonly ChangeInput[]): Promise<void> {
  const rows: Param[][] = inputs.map((c) => [at, origin, c.domain, c.type, c.id, c.version ?? null, c.data === undefined ? null : JSON.stringify(c.data)]);
  if (db.dialect.deferChanges && q.beforeCommit) {
    let deferred = q.state.get(DEFERRED) as Param[][] | undefined;
    if (!deferred) {
      const all: Param[][] = [];
      deferred = all;
      q.state.set(DEFERRED, all);
      q.beforeCommit(() => insertChanges(q, db, all));
    }
    deferred.push(...rows);
    return;
  }
  await insertChanges(q, db, rows);
}

const PAGE = 1000;
/** Pause before the poll that serves wake-ups which arrived during the previous one. */
const REPOLL_GAP_MS = 5;

/**
 * The retained changes after a cursor and the pruned-through mark, read by one statement, so from
 * one snapshot: a prune committing in between cannot remove rows from the answer without also
 * moving the mark the answer is judged by (R11: a reset, never a silent gap, never a spurious one).
 */
const SINCE = `SELECT p.pruned, c.* FROM
  (SELECT COALESCE((SELECT value FROM kv WHERE key = 'changes.prunedThrough'), '0') AS pruned) p
  LEFT JOIN (SELECT * FROM changes WHERE cur > ? ORDER BY cur LIMIT ?) c ON 1 = 1
  ORDER BY c.cur`;

export class SqlChangeLog implements ChangeLog {
  private readonly listeners = new Set<(c: Change) => void>();
  private last?: number;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private again = false;
  /** Present where cursors are assigned after commit (Postgres). */
  readonly sequencer?: Sequencer;

  constructor(
    private readonly db: SqlDb,
    private readonly pollMs: number,
    log?: BackendLog,
  ) {
    if (db.dialect.sequence) this.sequencer = new Sequencer(db, () => this.nudge(), log);
  }

  /** Starts the sequencer's timer (backends whose dialect sequences; called from open()). */
  startSequencing(): void {
    this.sequencer?.start(this.pollMs);
  }

  /** After a local commit: sequence its change rows (where needed) and look for new changes. */
  committed(): void {
    if (this.sequencer) this.sequencer.request();
    else this.nudge();
  }

  async since(cursor: string | undefined, limit: number) {
    const after = cursor === undefined ? 0 : parseCursor(cursor);
    await this.sequencer?.settle();
    const rows = await this.db.read.all<ChangeRow & { pruned: string }>(SINCE, [after, limit]);
    const pruned = Number(rows[0]?.pruned ?? 0);
    const changes = rows.filter((r) => r.cur !== null).map(fromRow);
    return { changes, reset: cursor !== undefined && after < pruned };
  }

  async head() {
    await this.sequencer?.settle();
    const row = await this.db.read.get<{ cur: number | null }>("SELECT MAX(cur) AS cur FROM changes");
    return row?.cur == null ? undefined : String(row.cur);
  }

  watch(listener: (c: Change) => void) {
    this.listeners.add(listener);
    if (this.listeners.size === 1) {
      this.timer = setInterval(() => this.nudge(), this.pollMs);
      this.timer.unref();
      this.nudge();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        clearInterval(this.timer);
        this.last = undefined;
      }
    };
  }

  /** Look for new changes now (after a local commit, or a NOTIFY). */
  nudge(): void {
    if (this.listeners.size === 0) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .catch(() => undefined) // a dead backend: the next tick tries again
      .finally(() => {
        if (!this.again) {
          this.polling = undefined;
          return;
        }
        // Wake-ups that came during a poll are served by one more, a moment later: under a high
        // write rate (several daemons) that reads many rows per query instead of one query per write.
        this.again = false;
        setTimeout(() => {
          this.polling = undefined;
          this.nudge();
        }, REPOLL_GAP_MS).unref();
      });
  }

  private async poll(): Promise<void> {
    if (this.last === undefined) {
      this.last = Number((await this.head()) ?? 0);
      return;
    }
    for (;;) {
      const after: number = this.last;
      const rows: ChangeRow[] = await this.db.read.all<ChangeRow>("SELECT * FROM changes WHERE cur > ? ORDER BY cur LIMIT ?", [after, PAGE]);
      for (const r of rows) {
        this.last = Number(r.cur);
        const c = fromRow(r);
        for (const l of this.listeners) l(c);
      }
      if (rows.length < PAGE) return;
    }
  }

  async prune(before: Date, keepAtLeast: number) {
    return this.db.tx(async (q) => {
      const keepFrom = await q.get<{ cur: number }>("SELECT cur FROM changes ORDER BY cur DESC LIMIT 1 OFFSET ?", [Math.max(0, keepAtLeast - 1)]);
      if (!keepFrom) return 0;
      const old = await q.get<{ cur: number | null }>("SELECT MAX(cur) AS cur FROM changes WHERE at < ? AND cur < ?", [before.toISOString(), keepFrom.cur]);
      if (old?.cur == null) return 0;
      const removed = await q.run("DELETE FROM changes WHERE cur <= ?", [old.cur]);
      await q.run("DELETE FROM kv WHERE key = 'changes.prunedThrough'");
      await q.run("INSERT INTO kv (key, value) VALUES ('changes.prunedThrough', ?)", [String(old.cur)]);
      return removed;
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
    void this.sequencer?.stop();
  }

  /** Stops the sequencer and waits for a call in flight (before the pool closes). */
  async stopSequencing(): Promise<void> {
    await this.sequencer?.stop();
  }
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw invalidParams("cursor is not one this server issued", "/fromCursor");
  return Number(cursor);
}
