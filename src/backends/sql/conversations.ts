/**
 * Conversations on SQL: `sessions` (the record as JSON plus indexed sort and filter columns),
 * `session_tags`, `messages` keyed by (session_id, seq) so the last N cost O(N) through the primary
 * key, and `session_appends` for idempotency keys.
 */
import type { AppendResult, ListSessionsParams, Message, MessageInput, Session, SessionCreate, SessionPatch } from "../../domain/conversations.js";
import { conflict, notFound } from "../../domain/errors.js";
import type { AppendInput, ConversationStore, ListMessagesQuery, Page, PageQuery } from "../contract.js";
import { decodeCursor, encodeCursor } from "../common/cursor.js";
import { checkLastSeq, checkVersion, newSession, patchSession, sessionSortKey, stampMessage } from "../common/sessions.js";
import { SqlStore } from "./store.js";
import type { Param, TxSql } from "./db.js";

const parseSession = (r: { data: string }): Session => JSON.parse(r.data) as Session;
const parseMessage = (r: { data: string }): Message => JSON.parse(r.data) as Message;

export class SqlConversations extends SqlStore implements ConversationStore {
  private async load(q: TxSql, id: string): Promise<Session | undefined> {
    const row = await q.get<{ data: string }>(`SELECT data FROM sessions WHERE id = ?${this.db.dialect.forUpdate}`, [id]);
    return row ? parseSession(row) : undefined;
  }

  private async mustLoad(q: TxSql, id: string): Promise<Session> {
    const s = await this.load(q, id);
    if (!s) throw notFound("session", id);
    return s;
  }

  private async save(q: TxSql, s: Session, isNew = false): Promise<void> {
    const params: Param[] = [s.updatedAt, s.groupId ?? null, JSON.stringify(s), s.id];
    if (isNew) {
      // The primary key decides a race between daemons that both found the id free.
      const inserted = await q.run("INSERT INTO sessions (updated_at, group_id, data, id) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", params);
      if (inserted === 0) throw conflict(`session ${JSON.stringify(s.id)} already exists`, { id: s.id });
    } else {
      await q.run("UPDATE sessions SET updated_at = ?, group_id = ?, data = ? WHERE id = ?", params);
      await q.run("DELETE FROM session_tags WHERE session_id = ?", [s.id]);
    }
    for (const tag of new Set(s.tags)) await q.run("INSERT INTO session_tags (session_id, tag) VALUES (?, ?)", [s.id, tag]);
  }

  private async insert(q: TxSql, input: SessionCreate & { id: string }, data?: Record<string, unknown>): Promise<Session> {
    if (await this.load(q, input.id)) throw conflict(`session ${JSON.stringify(input.id)} already exists`, { id: input.id });
    const s = newSession(input, this.now());
    await this.save(q, s, true);
    await this.change(q, { domain: "sessions", type: "session.created", id: s.id, version: 1, data });
    return s;
  }

  createSession(input: SessionCreate & { id: string }) {
    return this.tx((q) => this.insert(q, input));
  }

  async getSession(id: string) {
    const row = await this.db.read.get<{ data: string }>("SELECT data FROM sessions WHERE id = ?", [id]);
    if (!row) throw notFound("session", id);
    return parseSession(row);
  }

  async listSessions(q: ListSessionsParams & PageQuery): Promise<Page<Session>> {
    const where: string[] = [];
    const params: Param[] = [];
    if (q.groupId !== undefined) {
      where.push("group_id = ?");
      params.push(q.groupId);
    }
    if (q.tag !== undefined) {
      where.push("EXISTS (SELECT 1 FROM session_tags t WHERE t.session_id = sessions.id AND t.tag = ?)");
      params.push(q.tag);
    }
    if (q.cursor !== undefined) {
      const [updatedAt, id] = decodeCursor(q.cursor, 2) as [string, string];
      where.push("(updated_at, id) < (?, ?)"); // a row comparison both engines serve from the index
      params.push(updatedAt, id);
    }
    const sql = `SELECT data FROM sessions ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY updated_at DESC, id DESC LIMIT ?`;
    const rows = await this.db.read.all<{ data: string }>(sql, [...params, q.limit + 1]);
    const items = rows.slice(0, q.limit).map(parseSession);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeCursor(sessionSortKey(last)) : null };
  }

  updateSession(patch: SessionPatch) {
    return this.tx(async (q) => {
      const current = await this.mustLoad(q, patch.id);
      checkVersion("session", current, patch.expectedVersion);
      const next = patchSession(current, patch, this.now());
      await this.save(q, next);
      await this.change(q, { domain: "sessions", type: "session.updated", id: next.id, version: next.version });
      return next;
    });
  }

  deleteSession(id: string, expectedVersion?: number) {
    return this.tx(async (q) => {
      const current = await this.mustLoad(q, id);
      checkVersion("session", current, expectedVersion);
      for (const table of ["messages", "session_appends", "session_tags"]) await q.run(`DELETE FROM ${table} WHERE session_id = ?`, [id]);
      await q.run("DELETE FROM sessions WHERE id = ?", [id]);
      await this.change(q, { domain: "sessions", type: "session.deleted", id, version: current.version });
    });
  }

  append(input: AppendInput): Promise<AppendResult> {
    return this.tx(async (q) => {
      if (input.idempotencyKey !== undefined) {
        const prev = await q.get<{ first_seq: number; last_seq: number }>(
          "SELECT first_seq, last_seq FROM session_appends WHERE session_id = ? AND idem_key = ?",
          [input.sessionId, input.idempotencyKey],
        );
        if (prev) return { firstSeq: Number(prev.first_seq), lastSeq: Number(prev.last_seq) };
      }
      let s = await this.load(q, input.sessionId);
      if (s) checkLastSeq(s, input.expectedLastSeq);
      else if (!input.createSession) throw notFound("session", input.sessionId);
      else if (input.expectedLastSeq !== undefined && input.expectedLastSeq !== 0) {
        throw conflict(`session ${JSON.stringify(input.sessionId)} does not exist yet; expectedLastSeq must be 0`);
      }
      s ??= await this.insert(q, { id: input.sessionId });
      const { result } = await this.appendTo(q, s, input.messages);
      if (input.idempotencyKey !== undefined) {
        await q.run("INSERT INTO session_appends (session_id, idem_key, first_seq, last_seq) VALUES (?, ?, ?, ?)", [
          input.sessionId, input.idempotencyKey, result.firstSeq, result.lastSeq,
        ]);
      }
      return result;
    });
  }

  private async appendTo(q: TxSql, s: Session, messages: MessageInput[]): Promise<{ result: AppendResult; session: Session }> {
    const now = this.now();
    const firstSeq = s.lastSeq + 1;
    for (const [i, m] of messages.entries()) {
      const stamped = stampMessage(m, firstSeq + i, now);
      await q.run("INSERT INTO messages (session_id, seq, data) VALUES (?, ?, ?)", [s.id, stamped.seq, JSON.stringify(stamped)]);
    }
    const lastSeq = firstSeq + messages.length - 1;
    const next: Session = { ...s, lastSeq, messageCount: s.messageCount + messages.length, updatedAt: now, version: s.version + 1 };
    await this.save(q, next);
    await this.change(q, { domain: "sessions", type: "message.appended", id: s.id, version: next.version, data: { firstSeq, lastSeq } });
    return { result: { firstSeq, lastSeq }, session: next };
  }

  async listMessages(q: ListMessagesQuery): Promise<Page<Message>> {
    const s = await this.getSession(q.sessionId);
    const from = q.includeHidden ? 0 : s.truncatedBeforeSeq;
    if (q.tail !== undefined) {
      const rows = await this.db.read.all<{ data: string }>(
        "SELECT data FROM messages WHERE session_id = ? AND seq >= ? ORDER BY seq DESC LIMIT ?",
        [q.sessionId, from, q.tail],
      );
      return { items: rows.map(parseMessage).reverse(), nextCursor: null };
    }
    const after = q.cursor !== undefined ? Number(decodeCursor(q.cursor, 1)[0]) : q.afterSeq ?? 0;
    const rows = await this.db.read.all<{ data: string }>(
      "SELECT data FROM messages WHERE session_id = ? AND seq > ? AND seq >= ? ORDER BY seq LIMIT ?",
      [q.sessionId, after, from, q.limit + 1],
    );
    const items = rows.slice(0, q.limit).map(parseMessage);
    return { items, nextCursor: rows.length > q.limit ? encodeCursor([items[items.length - 1].seq]) : null };
  }

  pop(sessionId: string, expectedLastSeq?: number) {
    return this.tx(async (q) => {
      const s = await this.mustLoad(q, sessionId);
      checkLastSeq(s, expectedLastSeq);
      const row = await q.get<{ data: string }>(
        "SELECT data FROM messages WHERE session_id = ? AND seq >= ? ORDER BY seq DESC LIMIT 1",
        [sessionId, s.truncatedBeforeSeq],
      );
      if (!row) return null;
      const message = parseMessage(row);
      await q.run("DELETE FROM messages WHERE session_id = ? AND seq = ?", [sessionId, message.seq]);
      const next: Session = { ...s, messageCount: s.messageCount - 1, updatedAt: this.now(), version: s.version + 1 };
      await this.save(q, next);
      await this.change(q, { domain: "sessions", type: "session.truncated", id: sessionId, version: next.version, data: { popped: message.seq } });
      return message;
    });
  }

  private async hideBefore(q: TxSql, s: Session, truncatedBeforeSeq: number, visible: number): Promise<Session> {
    const next: Session = { ...s, truncatedBeforeSeq, messageCount: visible, updatedAt: this.now(), version: s.version + 1 };
    await this.save(q, next);
    await this.change(q, { domain: "sessions", type: "session.truncated", id: s.id, version: next.version, data: { truncatedBeforeSeq } });
    return next;
  }

  truncate(id: string, keepLast: number, expectedVersion?: number) {
    return this.tx(async (q) => {
      const s = await this.mustLoad(q, id);
      checkVersion("session", s, expectedVersion);
      if (keepLast >= s.messageCount) return s;
      let before = s.lastSeq + 1;
      if (keepLast > 0) {
        const row = await q.get<{ seq: number }>(
          "SELECT seq FROM messages WHERE session_id = ? AND seq >= ? ORDER BY seq DESC LIMIT 1 OFFSET ?",
          [id, s.truncatedBeforeSeq, keepLast - 1],
        );
        before = Number(row?.seq ?? before);
      }
      return this.hideBefore(q, s, before, keepLast);
    });
  }

  replaceHistory(id: string, messages: MessageInput[], expectedVersion?: number) {
    return this.tx(async (q) => {
      const s = await this.mustLoad(q, id);
      checkVersion("session", s, expectedVersion);
      const hidden = await this.hideBefore(q, s, s.lastSeq + 1, 0);
      return messages.length > 0 ? (await this.appendTo(q, hidden, messages)).session : hidden;
    });
  }

  compact(id: string) {
    return this.tx(async (q) => {
      const s = await this.mustLoad(q, id);
      const removed = await q.run("DELETE FROM messages WHERE session_id = ? AND seq < ?", [id, s.truncatedBeforeSeq]);
      if (removed > 0) await this.change(q, { domain: "sessions", type: "session.compacted", id, version: s.version, data: { removed } });
      return { removed, session: s };
    });
  }

  fork(input: { id: string; newId: string; uptoSeq?: number; title?: string }) {
    return this.tx(async (q) => {
      const s = await this.mustLoad(q, input.id);
      const upto = input.uptoSeq ?? s.lastSeq;
      const rows = await q.all<{ data: string }>(
        "SELECT data FROM messages WHERE session_id = ? AND seq >= ? AND seq <= ? ORDER BY seq",
        [input.id, s.truncatedBeforeSeq, upto],
      );
      const copies = rows.map(parseMessage).map(({ seq: _seq, createdAt: _at, ...rest }) => rest as MessageInput);
      let created = await this.insert(
        q,
        { id: input.newId, title: input.title ?? s.title, model: s.model, tags: [...s.tags], metadata: s.metadata },
        { forkedFrom: input.id, uptoSeq: upto },
      );
      if (s.summary !== undefined) {
        created = { ...created, summary: s.summary };
        await this.save(q, created);
      }
      return copies.length > 0 ? (await this.appendTo(q, created, copies)).session : created;
    });
  }
}
