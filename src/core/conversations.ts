/**
 * Conversations (SPEC §3.1), written once over the storage primitives
 * (src/backends/contract/ports/conversations.ts). Every write reads what it decides on, decides,
 * then writes the records and their change entries in one unit of work.
 */
import type { AppendResult, ListSessionsParams, Message, MessageInput, Session, SessionCreate, SessionPatch } from "../domain/conversations.js";
import { conflict, invalidParams, notFound } from "../domain/errors.js";
import type { AppendInput, ConversationStore, ListMessagesQuery, Page, PageQuery, Storage, UnitOfWork } from "../backends/contract.js";
import { decodeCursor, pageOf } from "./paging.js";
import { checkLastSeq, checkVersion, newSession, patchSession, sessionSortKey, stampMessage } from "./sessions.js";
import { clone } from "../domain/clone.js";

/**
 * The idempotency window: per session, the keys of its newest 1,000 keyed appends are remembered,
 * for as long as the session exists, on every backend. A key beyond the window is forgotten and
 * a retry carrying it appends again.
 */
export const IDEMPOTENCY_KEYS_KEPT = 1000;

type Conversations = UnitOfWork["conversations"];

async function mustGet(c: Pick<Conversations, "session">, id: string): Promise<Session> {
  const s = await c.session(id);
  if (!s) throw notFound("session", id);
  return s;
}

/** CONFLICT unless every alias is free or already the session's own. */
async function checkAliases(c: Conversations, id: string, aliases: readonly string[] | undefined): Promise<void> {
  for (const alias of aliases ?? []) {
    const owner = await c.sessionIdByAlias(alias);
    if (owner !== undefined && owner !== id) {
      throw conflict(`alias ${JSON.stringify(alias)} belongs to session ${JSON.stringify(owner)}`, { alias, sessionId: owner });
    }
  }
}

/** `s` with `messages` appended as of `now`: the stamped messages, the next record and the change. */
function appendTo(u: UnitOfWork, s: Session, messages: MessageInput[]): { stamped: Message[]; next: Session; result: AppendResult } {
  const firstSeq = s.lastSeq + 1;
  const stamped = messages.map((m, i) => stampMessage(clone(m), firstSeq + i, u.now));
  const lastSeq = firstSeq + messages.length - 1;
  const next: Session = { ...s, lastSeq, messageCount: s.messageCount + messages.length, updatedAt: u.now, version: s.version + 1 };
  u.change({ domain: "sessions", type: "message.appended", id: s.id, version: next.version, data: { firstSeq, lastSeq } });
  return { stamped, next, result: { firstSeq, lastSeq } };
}

/** `s` with every seq below `truncatedBeforeSeq` hidden and `visible` messages left. */
function hide(u: UnitOfWork, s: Session, truncatedBeforeSeq: number, visible: number): Session {
  const next: Session = { ...s, truncatedBeforeSeq, messageCount: visible, updatedAt: u.now, version: s.version + 1 };
  u.change({ domain: "sessions", type: "session.truncated", id: s.id, version: next.version, data: { truncatedBeforeSeq } });
  return next;
}

function created(u: UnitOfWork, input: SessionCreate & { id: string }, data?: Record<string, unknown>): Session {
  u.change({ domain: "sessions", type: "session.created", id: input.id, version: 1, data });
  return newSession(clone(input), u.now);
}

export class CoreConversations implements ConversationStore {
  constructor(private readonly storage: Storage) {}

  async createSession(input: SessionCreate & { id: string }): Promise<Session> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      if (await c.session(input.id)) throw conflict(`session ${JSON.stringify(input.id)} already exists`, { id: input.id });
      await checkAliases(c, input.id, input.aliases);
      const s = created(u, input);
      c.putSession(s, undefined);
      return s;
    });
  }

  async getSession(id: string): Promise<Session> {
    return this.storage.read((r) => mustGet(r.conversations, id));
  }

  async getSessionByAlias(alias: string): Promise<Session> {
    return this.storage.read(async (r) => {
      const id = await r.conversations.sessionIdByAlias(alias);
      const s = id === undefined ? undefined : await r.conversations.session(id);
      if (!s) throw notFound("session alias", alias);
      return s;
    });
  }

  async listSessions(q: ListSessionsParams & PageQuery): Promise<Page<Session>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2, ["string", "string"]) as [string, string]);
    return this.storage.read(async (r) =>
      pageOf(await r.conversations.listSessions({ groupId: q.groupId, tag: q.tag }, after, q.limit + 1), q.limit, sessionSortKey),
    );
  }

  async updateSession(patch: SessionPatch): Promise<Session> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      const s = await mustGet(c, patch.id);
      checkVersion("session", s, patch.expectedVersion);
      await checkAliases(c, s.id, patch.aliases);
      const next = patchSession(s, patch, u.now);
      c.putSession(next, s);
      u.change({ domain: "sessions", type: "session.updated", id: s.id, version: next.version });
      return next;
    });
  }

  async deleteSession(id: string, expectedVersion?: number): Promise<void> {
    return this.storage.write(async (u) => {
      const s = await mustGet(u.conversations, id);
      checkVersion("session", s, expectedVersion);
      u.conversations.deleteSession(s);
      u.change({ domain: "sessions", type: "session.deleted", id, version: s.version });
    });
  }

  async append(input: AppendInput): Promise<AppendResult> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      // The session first: on SQL that read takes the row lock every append of the session queues on,
      // so the key is read after any concurrent append with the same key has committed.
      const existing = await c.session(input.sessionId);
      if (existing && input.idempotencyKey !== undefined) {
        const previous = await c.appendKey(input.sessionId, input.idempotencyKey);
        if (previous) return previous;
      }
      if (existing) checkLastSeq(existing, input.expectedLastSeq);
      else if (!input.createSession) throw notFound("session", input.sessionId);
      else if (input.expectedLastSeq !== undefined && input.expectedLastSeq !== 0) {
        throw conflict(`session ${JSON.stringify(input.sessionId)} does not exist yet; expectedLastSeq must be 0`, {
          expectedLastSeq: input.expectedLastSeq,
          actualLastSeq: null,
        });
      }
      const base = existing ?? created(u, { id: input.sessionId });
      const { stamped, next, result } = appendTo(u, base, input.messages);
      c.putSession(next, existing);
      c.insertMessages(input.sessionId, stamped);
      if (input.idempotencyKey !== undefined) {
        c.putAppendKey(input.sessionId, input.idempotencyKey, result, next.version);
        c.pruneAppendKeys(input.sessionId, IDEMPOTENCY_KEYS_KEPT);
      }
      return result;
    });
  }

  async listMessages(q: ListMessagesQuery): Promise<Page<Message>> {
    return this.storage.read(async (r) => {
      const c = r.conversations;
      const s = await mustGet(c, q.sessionId);
      const from = q.includeHidden ? 1 : s.truncatedBeforeSeq;
      if (q.tail !== undefined) return { items: await c.lastMessages(s.id, from, q.tail), nextCursor: null };
      const after = q.cursor !== undefined ? Number(decodeCursor(q.cursor, 1, ["number"])[0]) : q.afterSeq ?? 0;
      const rows = await c.messages(s.id, Math.max(from, after + 1), s.lastSeq, q.limit + 1);
      return pageOf(rows, q.limit, (m) => [m.seq]);
    });
  }

  async pop(sessionId: string, expectedLastSeq?: number): Promise<Message | null> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      const s = await mustGet(c, sessionId);
      checkLastSeq(s, expectedLastSeq);
      if (s.messageCount === 0) return null;
      const [last] = await c.lastMessages(sessionId, s.truncatedBeforeSeq, 1);
      if (!last) return null;
      const next: Session = { ...s, messageCount: s.messageCount - 1, updatedAt: u.now, version: s.version + 1 };
      c.deleteLastMessage(sessionId, last.seq);
      c.putSession(next, s);
      u.change({ domain: "sessions", type: "session.truncated", id: sessionId, version: next.version, data: { popped: last.seq } });
      return last;
    });
  }

  async truncate(id: string, keepLast: number, expectedVersion?: number): Promise<Session> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      const s = await mustGet(c, id);
      checkVersion("session", s, expectedVersion);
      if (keepLast >= s.messageCount) return s;
      const before = keepLast === 0 ? s.lastSeq + 1 : (await c.lastMessages(id, s.truncatedBeforeSeq, keepLast))[0]?.seq ?? s.lastSeq + 1;
      const next = hide(u, s, before, keepLast);
      c.putSession(next, s);
      return next;
    });
  }

  async replaceHistory(id: string, messages: MessageInput[], expectedVersion?: number): Promise<Session> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      const s = await mustGet(c, id);
      checkVersion("session", s, expectedVersion);
      const hidden = hide(u, s, s.lastSeq + 1, 0);
      if (messages.length === 0) {
        c.putSession(hidden, s);
        return hidden;
      }
      const { stamped, next } = appendTo(u, hidden, messages);
      c.putSession(next, s);
      c.insertMessages(id, stamped);
      return next;
    });
  }

  async compact(id: string): Promise<{ removed: number; session: Session }> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      const s = await mustGet(c, id);
      const removed = await c.countMessagesBefore(id, s.truncatedBeforeSeq);
      if (removed > 0) {
        c.dropMessagesBefore(id, s.truncatedBeforeSeq);
        u.change({ domain: "sessions", type: "session.compacted", id, version: s.version, data: { removed } });
      }
      return { removed, session: s };
    });
  }

  async fork(input: { id: string; newId: string; uptoSeq?: number; title?: string }): Promise<Session> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      const s = await mustGet(c, input.id);
      if (await c.session(input.newId)) throw conflict(`session ${JSON.stringify(input.newId)} already exists`, { id: input.newId });
      const upto = input.uptoSeq ?? s.lastSeq;
      const copies = (await c.messages(s.id, s.truncatedBeforeSeq, upto, Number.MAX_SAFE_INTEGER)).map(
        ({ seq: _seq, createdAt: _at, ...rest }) => rest as MessageInput,
      );
      let fresh = created(
        u,
        { id: input.newId, title: input.title ?? s.title, model: s.model, tags: [...s.tags], metadata: s.metadata },
        { forkedFrom: input.id, uptoSeq: upto },
      );
      if (s.summary !== undefined) fresh = { ...fresh, summary: s.summary };
      if (copies.length === 0) {
        c.putSession(fresh, undefined);
        return fresh;
      }
      const { stamped, next } = appendTo(u, fresh, copies);
      c.putSession(next, undefined);
      c.insertMessages(input.newId, stamped);
      return next;
    });
  }

  /** The restore path for sessions (see RestoreStore.session). */
  async restoreSession(session: Session, messages: Message[]): Promise<void> {
    checkRestoredMessages(session, messages, 0);
    return this.storage.write(async (u) => {
      const c = u.conversations;
      const stored = await c.session(session.id);
      await checkAliases(c, session.id, session.aliases);
      if (stored) c.deleteSession(stored);
      c.putSession(session, undefined);
      if (messages.length > 0) c.insertMessages(session.id, messages);
      u.change({ domain: "sessions", type: "session.created", id: session.id, version: session.version, data: { restored: true } });
    });
  }

  /** More messages of a restored session; seqs already stored are skipped, so a resumed restore is harmless. */
  async restoreMessages(sessionId: string, messages: Message[]): Promise<void> {
    return this.storage.write(async (u) => {
      const c = u.conversations;
      const s = await mustGet(c, sessionId);
      const [last] = await c.lastMessages(sessionId, 1, 1);
      const fresh = messages.filter((m) => m.seq > (last?.seq ?? 0));
      checkRestoredMessages(s, fresh, last?.seq ?? 0);
      if (fresh.length === 0) return;
      c.insertMessages(sessionId, fresh);
      u.change({ domain: "sessions", type: "message.appended", id: sessionId, version: s.version, data: { firstSeq: fresh[0].seq, lastSeq: fresh[fresh.length - 1].seq, restored: true } });
    });
  }
}

/** Restored messages must ascend above `after` and stay within the session's lastSeq. */
function checkRestoredMessages(session: Session, messages: Message[], after: number): void {
  let prev = after;
  for (const [i, m] of messages.entries()) {
    if (!Number.isInteger(m.seq) || m.seq <= prev || m.seq > session.lastSeq) {
      throw invalidParams(`restored message ${i} of session ${JSON.stringify(session.id)} has seq ${m.seq}; seqs must ascend above ${prev} and not exceed lastSeq ${session.lastSeq}`, `/messages/${i}/seq`);
    }
    prev = m.seq;
  }
}
