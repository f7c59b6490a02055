/**
 * Shell history on SQL: `history_entries` keyed by seq (every list walks the primary key backwards),
 * `history_counter` (one row: the last seq ever assigned, so seqs survive pruning and reopening, and
 * the row every append locks, which serializes appends across daemons), and `history_appends` (the
 * newest 1,000 idempotency keys).
 */
import type { HistoryAppendResult, HistoryEntry, HistoryEntryInput } from "../../domain/history.js";
import { invalidParams } from "../../domain/errors.js";
import type { HistoryQuery, HistoryStore, Page } from "../contract.js";
import { retentionOf } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { SqlStore } from "./store.js";
import type { Dialect, Param, TxSql } from "./db.js";

const IDEMPOTENCY_KEYS_KEPT = 1000;
/** Rows per INSERT: 3 parameters each stays under SQLite's oldest variable limit (999). */
const INSERT_CHUNK = 300;

/**
 * The `cmd` column: Postgres TEXT cannot hold NUL, so NUL becomes U+FFFD there and in the needle.
 * A needle free of NUL, U+FFFD and lone surrogates (which UTF-8 encoding also turns into U+FFFD)
 * matches `cmd` exactly where it matches the command; other needles are re-checked on the entry.
 */
const searchable = (s: string): string => s.replace(/\0/g, "\uFFFD");
const needsRecheck = (needle: string): boolean => /[\0\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(needle);

/** A literal, case-sensitive substring test on `cmd` (never LIKE: its wildcards are user text). */
const containsSql = (d: Dialect): string => (d.name === "sqlite" ? "instr(cmd, ?) > 0" : "strpos(cmd, ?) > 0");

interface Row {
  seq: number;
  data: string;
}

export class SqlHistory extends SqlStore implements HistoryStore {
  async append(inputs: HistoryEntryInput[], idempotencyKey?: string): Promise<HistoryAppendResult> {
    const result = await this.db.tx(async (q) => {
      // Lock the counter first: a concurrent append with the same key then commits before we look.
      const counter = await q.get<{ last_seq: number; keyed: number }>(
        `SELECT last_seq, keyed FROM history_counter WHERE id = 1${this.db.dialect.forUpdate}`,
      );
      if (!counter) throw new Error("history_counter row is missing: the schema was not migrated");
      if (idempotencyKey !== undefined) {
        const prev = await q.get<{ first_seq: number; last_seq: number }>("SELECT first_seq, last_seq FROM history_appends WHERE idem_key = ?", [idempotencyKey]);
        if (prev) return { firstSeq: Number(prev.first_seq), lastSeq: Number(prev.last_seq), wrote: false };
      }
      const now = this.opts.now().toISOString();
      const firstSeq = Number(counter.last_seq) + 1;
      const lastSeq = firstSeq + inputs.length - 1;
      await this.insert(q, inputs, firstSeq, now);
      const keyed = Number(counter.keyed) + (idempotencyKey === undefined ? 0 : 1);
      await q.run("UPDATE history_counter SET last_seq = ?, keyed = ? WHERE id = 1", [lastSeq, keyed]);
      await q.run("DELETE FROM history_entries WHERE seq <= ?", [lastSeq - retentionOf(this.opts).historyEntries]);
      if (idempotencyKey !== undefined) {
        await q.run("INSERT INTO history_appends (idem_key, n, first_seq, last_seq) VALUES (?, ?, ?, ?)", [idempotencyKey, keyed, firstSeq, lastSeq]);
        await q.run("DELETE FROM history_appends WHERE n <= ?", [keyed - IDEMPOTENCY_KEYS_KEPT]);
      }
      await this.change(q, { domain: "history", type: "history.appended", id: String(firstSeq), data: { firstSeq, lastSeq } });
      return { firstSeq, lastSeq, wrote: true };
    });
    if (result.wrote) this.committed();
    return { firstSeq: result.firstSeq, lastSeq: result.lastSeq };
  }

  private async insert(q: TxSql, inputs: HistoryEntryInput[], firstSeq: number, now: string): Promise<void> {
    for (let start = 0; start < inputs.length; start += INSERT_CHUNK) {
      const chunk = inputs.slice(start, start + INSERT_CHUNK);
      const params: Param[] = [];
      for (const [i, { createdAt, ...fields }] of chunk.entries()) {
        const seq = firstSeq + start + i;
        const entry: HistoryEntry = { seq, ...fields, createdAt: createdAt === undefined ? now : new Date(createdAt).toISOString() };
        params.push(seq, searchable(entry.command), JSON.stringify(entry));
      }
      await q.run(`INSERT INTO history_entries (seq, cmd, data) VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")}`, params);
    }
  }

  async list(q: HistoryQuery): Promise<Page<HistoryEntry>> {
    let before = q.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    if (q.cursor !== undefined) {
      const bound = decodeCursor(q.cursor, 1)[0];
      if (typeof bound !== "number" || !Number.isSafeInteger(bound)) throw invalidParams("cursor is not one this server issued", "/cursor");
      before = Math.min(before, bound);
    }
    const newestFirst: HistoryEntry[] = [];
    const want = q.limit + 1;
    if (q.contains === undefined) {
      const rows = await this.db.read.all<Row>("SELECT seq, data FROM history_entries WHERE seq < ? ORDER BY seq DESC LIMIT ?", [before, want]);
      newestFirst.push(...rows.map((r) => JSON.parse(r.data) as HistoryEntry));
    } else {
      // Walks the primary key backwards and stops after `limit` + 1 matches. Only a needle that
      // `cmd` cannot represent exactly can bring false matches, and only then does this loop again.
      const needle = q.contains;
      const recheck = needsRecheck(needle);
      const sql = `SELECT seq, data FROM history_entries WHERE seq < ? AND ${containsSql(this.db.dialect)} ORDER BY seq DESC LIMIT ?`;
      for (;;) {
        const asked = want - newestFirst.length;
        const rows = await this.db.read.all<Row>(sql, [before, searchable(needle), asked]);
        for (const r of rows) {
          const e = JSON.parse(r.data) as HistoryEntry;
          if (!recheck || e.command.includes(needle)) newestFirst.push(e);
        }
        if (newestFirst.length >= want || rows.length < asked) break;
        before = Number(rows[rows.length - 1].seq);
      }
    }
    const more = newestFirst.length > q.limit;
    const items = newestFirst.slice(0, q.limit).reverse();
    return { items, nextCursor: more ? encodeCursor([items[0].seq]) : null };
  }
}
