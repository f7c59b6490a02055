/**
 * Shell history on SQL: `history_entries` keyed by seq (every list walks the primary key backwards),
 * `history_counter` (one row: the head, which outlives pruned entries; every history unit locks it
 * first, which serializes appends across daemons), and `history_appends` (idempotency keys by `n`).
 */
import type { HistoryAppendResult, HistoryEntry } from "../../domain/history.js";
import type { HistoryHead, HistoryReadPort, HistoryWritePort } from "../contract.js";
import type { Dialect, Param, Sql } from "./db.js";
import type { SqlWrites } from "./writes.js";

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

export class SqlHistoryPort implements HistoryReadPort, HistoryWritePort {
  /** `lock` is the dialect's FOR UPDATE inside a unit of work, "" for plain reads. */
  constructor(
    private readonly q: Sql,
    private readonly dialect: Dialect,
    private readonly lock: string,
    private readonly w: SqlWrites,
  ) {}

  async historyHead(): Promise<HistoryHead> {
    const row = await this.q.get<{ last_seq: number; keyed: number }>(`SELECT last_seq, keyed FROM history_counter WHERE id = 1${this.lock}`);
    if (!row) throw new Error("history_counter row is missing: the schema was not migrated");
    return { lastSeq: Number(row.last_seq), keyed: Number(row.keyed) };
  }

  async historyKey(key: string): Promise<HistoryAppendResult | undefined> {
    const row = await this.q.get<{ first_seq: number; last_seq: number }>("SELECT first_seq, last_seq FROM history_appends WHERE idem_key = ?", [key]);
    return row && { firstSeq: Number(row.first_seq), lastSeq: Number(row.last_seq) };
  }

  async historyBefore(before: number, above: number, limit: number, contains?: string) {
    if (contains === undefined) {
      const rows = await this.q.all<Row>("SELECT seq, data FROM history_entries WHERE seq < ? AND seq > ? ORDER BY seq DESC LIMIT ?", [before, above, limit]);
      return rows.map((r) => JSON.parse(r.data) as HistoryEntry);
    }
    // Walks the primary key backwards and stops after `limit` matches. Only a needle that `cmd`
    // cannot represent exactly can bring false matches, and only then does this loop again.
    const out: HistoryEntry[] = [];
    const recheck = needsRecheck(contains);
    const sql = `SELECT seq, data FROM history_entries WHERE seq < ? AND seq > ? AND ${containsSql(this.dialect)} ORDER BY seq DESC LIMIT ?`;
    for (;;) {
      const asked = limit - out.length;
      const rows = await this.q.all<Row>(sql, [before, above, searchable(contains), asked]);
      for (const r of rows) {
        const e = JSON.parse(r.data) as HistoryEntry;
        if (!recheck || e.command.includes(contains)) out.push(e);
      }
      if (out.length >= limit || rows.length < asked) return out;
      before = Number(rows[rows.length - 1].seq);
    }
  }

  insertHistory(entries: HistoryEntry[], head: HistoryHead): void {
    for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
      const chunk = entries.slice(start, start + INSERT_CHUNK);
      const params: Param[] = chunk.flatMap((e) => [e.seq, searchable(e.command), JSON.stringify(e)]);
      this.w.run(`INSERT INTO history_entries (seq, cmd, data) VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")}`, params);
    }
    this.w.run("UPDATE history_counter SET last_seq = ?, keyed = ? WHERE id = 1", [head.lastSeq, head.keyed]);
  }

  dropHistoryThrough(seq: number): void {
    this.w.run("DELETE FROM history_entries WHERE seq <= ?", [seq]);
  }

  putHistoryKey(key: string, result: HistoryAppendResult, n: number): void {
    this.w.run("INSERT INTO history_appends (idem_key, n, first_seq, last_seq) VALUES (?, ?, ?, ?)", [key, n, result.firstSeq, result.lastSeq]);
  }

  pruneHistoryKeys(keep: number, newest: number): void {
    this.w.run("DELETE FROM history_appends WHERE n <= ?", [newest - keep]);
  }
}
