/** In-memory conversations. Each method's mutations run synchronously, which makes them atomic. */
import type { AppendResult, Message, MessageInput, Session, SessionCreate, SessionPatch } from "../../domain/conversations.js";
import { conflict, notFound } from "../../domain/errors.js";
import type { AppendInput, BackendOptions, ConversationStore, ListMessagesQuery, Page, PageQuery } from "../contract.js";
import type { ListSessionsParams } from "../../domain/conversations.js";
import { decodeCursor, encodeCursor, firstPage } from "../common/cursor.js";
import {
  checkLastSeq, checkVersion, compareSessionsDesc, newSession, patchSession, sessionSortKey, stampMessage,
} from "../common/sessions.js";
import type { MemoryChangeLog } from "./changes.js";

const IDEMPOTENCY_KEYS_KEPT = 1000;

interface Thread {
  session: Session;
  /** Stored messages (hidden ones included), ascending seq. */
  messages: Message[];
  appends: Map<string, AppendResult>;
}

export class MemoryConversations implements ConversationStore {
  private readonly threads = new Map<string, Thread>();

  constructor(
    private readonly opts: BackendOptions,
    private readonly changes: MemoryChangeLog,
  ) {}

  private now(): string {
    return this.opts.now().toISOString();
  }

  private thread(id: string): Thread {
    const t = this.threads.get(id);
    if (!t) throw notFound("session", id);
    return t;
  }

  private insert(input: SessionCreate & { id: string }, data?: Record<string, unknown>): Thread {
    if (this.threads.has(input.id)) throw conflict(`session ${JSON.stringify(input.id)} already exists`, { id: input.id });
    const t: Thread = { session: newSession(input, this.now()), messages: [], appends: new Map() };
    this.threads.set(input.id, t);
    this.changes.record({ domain: "sessions", type: "session.created", id: input.id, version: 1, data });
    return t;
  }

  async createSession(input: SessionCreate & { id: string }) {
    return structuredClone(this.insert(input).session);
  }

  async getSession(id: string) {
    return structuredClone(this.thread(id).session);
  }

  async listSessions(q: ListSessionsParams & PageQuery): Promise<Page<Session>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2) as [string, string]);
    const all = [...this.threads.values()]
      .map((t) => t.session)
      .filter((s) => (q.groupId === undefined || s.groupId === q.groupId) && (q.tag === undefined || s.tags.includes(q.tag)))
      .sort(compareSessionsDesc)
      .filter((s) => after === undefined || s.updatedAt < after[0] || (s.updatedAt === after[0] && s.id < after[1]));
    return structuredClone(firstPage(all, q.limit, sessionSortKey));
  }

  async updateSession(patch: SessionPatch) {
    const t = this.thread(patch.id);
    checkVersion("session", t.session, patch.expectedVersion);
    t.session = patchSession(t.session, patch, this.now());
    this.changes.record({ domain: "sessions", type: "session.updated", id: patch.id, version: t.session.version });
    return structuredClone(t.session);
  }

  async deleteSession(id: string, expectedVersion?: number) {
    const t = this.thread(id);
    checkVersion("session", t.session, expectedVersion);
    this.threads.delete(id);
    this.changes.record({ domain: "sessions", type: "session.deleted", id, version: t.session.version });
  }

  async append(input: AppendInput): Promise<AppendResult> {
    const existing = this.threads.get(input.sessionId);
    const previous = input.idempotencyKey === undefined ? undefined : existing?.appends.get(input.idempotencyKey);
    if (previous) return { ...previous };
    if (existing) checkLastSeq(existing.session, input.expectedLastSeq);
    else if (!input.createSession) throw notFound("session", input.sessionId);
    else if (input.expectedLastSeq !== undefined && input.expectedLastSeq !== 0) {
      throw conflict(`session ${JSON.stringify(input.sessionId)} does not exist yet; expectedLastSeq must be 0`);
    }
    const t = existing ?? this.insert({ id: input.sessionId });
    const result = this.appendTo(t, input.messages);
    if (input.idempotencyKey !== undefined) {
      t.appends.set(input.idempotencyKey, result);
      if (t.appends.size > IDEMPOTENCY_KEYS_KEPT) t.appends.delete(t.appends.keys().next().value as string);
    }
    return { ...result };
  }

  /** Appends and bumps the session; records message.appended. Caller has done all checks. */
  private appendTo(t: Thread, messages: MessageInput[]): AppendResult {
    const now = this.now();
    const firstSeq = t.session.lastSeq + 1;
    messages.forEach((m, i) => t.messages.push(stampMessage(structuredClone(m), firstSeq + i, now)));
    const lastSeq = firstSeq + messages.length - 1;
    t.session = {
      ...t.session,
      lastSeq,
      messageCount: t.session.messageCount + messages.length,
      updatedAt: now,
      version: t.session.version + 1,
    };
    this.changes.record({
      domain: "sessions", type: "message.appended", id: t.session.id, version: t.session.version, data: { firstSeq, lastSeq },
    });
    return { firstSeq, lastSeq };
  }

  /** Index of the first message with seq >= `seq`. */
  private indexOfSeq(t: Thread, seq: number): number {
    let lo = 0;
    let hi = t.messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t.messages[mid].seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async listMessages(q: ListMessagesQuery): Promise<Page<Message>> {
    const t = this.thread(q.sessionId);
    const start = q.includeHidden ? 0 : this.indexOfSeq(t, t.session.truncatedBeforeSeq);
    if (q.tail !== undefined) {
      return { items: structuredClone(t.messages.slice(Math.max(start, t.messages.length - q.tail))), nextCursor: null };
    }
    const after = q.cursor !== undefined ? Number(decodeCursor(q.cursor, 1)[0]) : q.afterSeq ?? 0;
    const from = Math.max(start, this.indexOfSeq(t, after + 1));
    const items = t.messages.slice(from, from + q.limit);
    const more = from + q.limit < t.messages.length;
    return { items: structuredClone(items), nextCursor: more ? encodeCursor([items[items.length - 1].seq]) : null };
  }

  async pop(sessionId: string, expectedLastSeq?: number) {
    const t = this.thread(sessionId);
    checkLastSeq(t.session, expectedLastSeq);
    if (t.session.messageCount === 0) return null;
    const message = t.messages.pop() as Message;
    t.session = { ...t.session, messageCount: t.session.messageCount - 1, updatedAt: this.now(), version: t.session.version + 1 };
    this.changes.record({
      domain: "sessions", type: "session.truncated", id: sessionId, version: t.session.version, data: { popped: message.seq },
    });
    return message;
  }

  async truncate(id: string, keepLast: number, expectedVersion?: number) {
    const t = this.thread(id);
    checkVersion("session", t.session, expectedVersion);
    if (keepLast >= t.session.messageCount) return structuredClone(t.session);
    const truncatedBeforeSeq = keepLast === 0 ? t.session.lastSeq + 1 : t.messages[t.messages.length - keepLast].seq;
    this.hideBefore(t, truncatedBeforeSeq, keepLast);
    return structuredClone(t.session);
  }

  private hideBefore(t: Thread, truncatedBeforeSeq: number, visible: number): void {
    t.session = { ...t.session, truncatedBeforeSeq, messageCount: visible, updatedAt: this.now(), version: t.session.version + 1 };
    this.changes.record({
      domain: "sessions", type: "session.truncated", id: t.session.id, version: t.session.version, data: { truncatedBeforeSeq },
    });
  }

  async replaceHistory(id: string, messages: MessageInput[], expectedVersion?: number) {
    const t = this.thread(id);
    checkVersion("session", t.session, expectedVersion);
    this.hideBefore(t, t.session.lastSeq + 1, 0);
    if (messages.length > 0) this.appendTo(t, messages);
    return structuredClone(t.session);
  }

  async compact(id: string) {
    const t = this.thread(id);
    const removed = this.indexOfSeq(t, t.session.truncatedBeforeSeq);
    if (removed > 0) {
      t.messages.splice(0, removed);
      this.changes.record({ domain: "sessions", type: "session.compacted", id, version: t.session.version, data: { removed } });
    }
    return { removed, session: structuredClone(t.session) };
  }

  async fork(input: { id: string; newId: string; uptoSeq?: number; title?: string }) {
    const source = this.thread(input.id);
    const upto = input.uptoSeq ?? source.session.lastSeq;
    const copies = source.messages
      .slice(this.indexOfSeq(source, source.session.truncatedBeforeSeq))
      .filter((m) => m.seq <= upto)
      .map(({ seq: _seq, createdAt: _at, ...rest }) => structuredClone(rest) as MessageInput);
    const s = source.session;
    const t = this.insert(
      { id: input.newId, title: input.title ?? s.title, model: s.model, tags: s.tags, metadata: structuredClone(s.metadata) },
      { forkedFrom: input.id, uptoSeq: upto },
    );
    if (s.summary !== undefined) t.session.summary = s.summary;
    if (copies.length > 0) this.appendTo(t, copies);
    return structuredClone(t.session);
  }
}
