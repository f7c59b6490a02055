/**
 * Conversations on SQL: `sessions` (the record as JSON plus indexed sort and filter columns),
 * `session_tags`, `session_aliases`, `messages` keyed by (session_id, seq) so the last N cost O(N)
 * through the primary key, and `session_appends` (idempotency keys, ordered by n).
 */
import type { AppendResult, Message, Session } from "../../domain/conversations.js";
import type { ConversationsReadPort, ConversationsWritePort, SessionFilter, SessionKey } from "../contract.js";
import type { Param, Sql } from "./db.js";
import type { SqlWrites } from "./writes.js";

const parseSession = (r: { data: string }): Session => JSON.parse(r.data) as Session;

/** Same members (order and repeats aside); undefined is the empty set. */
function sameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = new Set(a ?? []);
  const y = new Set(b ?? []);
  return x.size === y.size && [...x].every((v) => y.has(v));
}
const parseMessage = (r: { data: string }): Message => JSON.parse(r.data) as Message;

export class SqlConversationsPort implements ConversationsReadPort, ConversationsWritePort {
  /** `lock` is the dialect's FOR UPDATE inside a unit of work, "" for plain reads. */
  constructor(
    private readonly q: Sql,
    private readonly lock: string,
    private readonly w: SqlWrites,
  ) {}

  async session(id: string) {
    const row = await this.q.get<{ data: string }>(`SELECT data FROM sessions WHERE id = ?${this.lock}`, [id]);
    return row && parseSession(row);
  }

  async sessionIdByAlias(alias: string) {
    return (await this.q.get<{ session_id: string }>("SELECT session_id FROM session_aliases WHERE alias = ?", [alias]))?.session_id;
  }

  async listSessions(filter: SessionFilter, after: SessionKey | undefined, limit: number) {
    const where: string[] = [];
    const params: Param[] = [];
    if (filter.groupId !== undefined) {
      where.push("group_id = ?");
      params.push(filter.groupId);
    }
    if (filter.tag !== undefined) {
      where.push("EXISTS (SELECT 1 FROM session_tags t WHERE t.session_id = sessions.id AND t.tag = ?)");
      params.push(filter.tag);
    }
    if (after !== undefined) {
      where.push("(updated_at, id) < (?, ?)"); // a row comparison both engines serve from the index
      params.push(after[0], after[1]);
    }
    const sql = `SELECT data FROM sessions ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY updated_at DESC, id DESC LIMIT ?`;
    return (await this.q.all<{ data: string }>(sql, [...params, limit])).map(parseSession);
  }

  async messages(sessionId: string, from: number, to: number, limit: number) {
    const rows = await this.q.all<{ data: string }>(
      "SELECT data FROM messages WHERE session_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?",
      [sessionId, from, to, Math.min(limit, 2_147_483_647)],
    );
    return rows.map(parseMessage);
  }

  async lastMessages(sessionId: string, from: number, n: number) {
    const rows = await this.q.all<{ data: string }>(
      "SELECT data FROM messages WHERE session_id = ? AND seq >= ? ORDER BY seq DESC LIMIT ?",
      [sessionId, from, n],
    );
    return rows.map(parseMessage).reverse();
  }

  async countMessagesBefore(sessionId: string, seq: number) {
    return Number((await this.q.get<{ n: number }>("SELECT COUNT(*) AS n FROM messages WHERE session_id = ? AND seq < ?", [sessionId, seq]))?.n ?? 0);
  }

  async appendKey(sessionId: string, key: string): Promise<AppendResult | undefined> {
    const row = await this.q.get<{ first_seq: number; last_seq: number }>(
      "SELECT first_seq, last_seq FROM session_appends WHERE session_id = ? AND idem_key = ?",
      [sessionId, key],
    );
    return row && { firstSeq: Number(row.first_seq), lastSeq: Number(row.last_seq) };
  }

  putSession(next: Session, prev: Session | undefined): void {
    const params: Param[] = [next.updatedAt, next.groupId ?? null, JSON.stringify(next), next.id];
    if (prev === undefined) {
      this.w.run("INSERT INTO sessions (updated_at, group_id, data, id) VALUES (?, ?, ?, ?)", params);
    } else {
      this.w.run("UPDATE sessions SET updated_at = ?, group_id = ?, data = ? WHERE id = ?", params);
    }
    // Index rows move only when the set changed (most writes are appends, which change neither).
    if (!sameSet(prev?.tags, next.tags)) {
      if (prev !== undefined) this.w.run("DELETE FROM session_tags WHERE session_id = ?", [next.id]);
      for (const tag of new Set(next.tags)) this.w.run("INSERT INTO session_tags (session_id, tag) VALUES (?, ?)", [next.id, tag]);
    }
    if (!sameSet(prev?.aliases, next.aliases)) {
      if (prev !== undefined) this.w.run("DELETE FROM session_aliases WHERE session_id = ?", [next.id]);
      for (const alias of new Set(next.aliases)) this.w.run("INSERT INTO session_aliases (alias, session_id) VALUES (?, ?)", [alias, next.id]);
    }
  }

  deleteSession(session: Session): void {
    for (const table of ["messages", "session_appends", "session_tags", "session_aliases"]) {
      this.w.run(`DELETE FROM ${table} WHERE session_id = ?`, [session.id]);
    }
    this.w.run("DELETE FROM sessions WHERE id = ?", [session.id]);
  }

  insertMessages(sessionId: string, messages: Message[]): void {
    for (const m of messages) this.w.run("INSERT INTO messages (session_id, seq, data) VALUES (?, ?, ?)", [sessionId, m.seq, JSON.stringify(m)]);
  }

  deleteLastMessage(sessionId: string, seq: number): void {
    this.w.run("DELETE FROM messages WHERE session_id = ? AND seq = ?", [sessionId, seq]);
  }

  dropMessagesBefore(sessionId: string, seq: number): void {
    this.w.run("DELETE FROM messages WHERE session_id = ? AND seq < ?", [sessionId, seq]);
  }

  putAppendKey(sessionId: string, key: string, result: AppendResult, n: number): void {
    this.w.run("INSERT INTO session_appends (session_id, idem_key, first_seq, last_seq, n) VALUES (?, ?, ?, ?, ?)", [
      sessionId, key, result.firstSeq, result.lastSeq, n,
    ]);
  }

  pruneAppendKeys(sessionId: string, keep: number): void {
    this.w.run(
      `DELETE FROM session_appends WHERE session_id = ? AND n < (
         SELECT n FROM (SELECT n FROM session_appends WHERE session_id = ? ORDER BY n DESC LIMIT 1 OFFSET ?) AS kept)`,
      [sessionId, sessionId, keep - 1],
    );
  }
}
