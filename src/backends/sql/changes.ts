/**
 * The change log as a table. Stores call `recordChanges` inside their transaction; the cursor is the
 * table's serial column, in commit order (see Dialect.orderChanges). watch() polls the table, so it
 * also sees other processes' commits; `nudge()` makes it look at once after a local commit, and a
 * backend with a wake-up signal (Postgres NOTIFY) nudges too.
 */
import type { Change, ChangeInput } from "../../domain/changes.js";
import { invalidParams } from "../../domain/errors.js";
import type { ChangeLog } from "../contract.js";
import type { SqlDb, TxSql } from "./db.js";

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

export async function recordChanges(q: TxSql, db: SqlDb, origin: string, at: string, inputs: readonly ChangeInput[]): Promise<void> {
  await db.dialect.orderChanges(q);
  await db.dialect.announceChanges?.(q);
  for (const c of inputs) {
    await q.run("INSERT INTO changes (at, origin, domain, type, record_id, version, data) VALUES (?, ?, ?, ?, ?, ?, ?)", [
      at, origin, c.domain, c.type, c.id, c.version ?? null, c.data === undefined ? null : JSON.stringify(c.data),
    ]);
  }
}

const PAGE = 1000;

export class SqlChangeLog implements ChangeLog {
  private readonly listeners = new Set<(c: Change) => void>();
  private last?: number;
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private again = false;

  constructor(
    private readonly db: SqlDb,
    private readonly pollMs: number,
  ) {}

  async since(cursor: string | undefined, limit: number) {
    const after = cursor === undefined ? 0 : parseCursor(cursor);
    const pruned = Number((await this.db.read.get<{ value: string }>("SELECT value FROM kv WHERE key = 'changes.prunedThrough'"))?.value ?? 0);
    const rows = await this.db.read.all<ChangeRow>("SELECT * FROM changes WHERE cur > ? ORDER BY cur LIMIT ?", [after, limit]);
    return { changes: rows.map(fromRow), reset: cursor !== undefined && after < pruned };
  }

  async head() {
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
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
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
  }
}

function parseCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) throw invalidParams("cursor is not one this server issued", "/fromCursor");
  return Number(cursor);
}
