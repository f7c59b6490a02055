/**
 * Conversations on Redis (layout in keys.ts). Every write reads the session record, decides with
 * the shared logic, and applies through the guarded script with the record it read as the guard.
 */
import type { AppendResult, ListSessionsParams, Message, MessageInput, Session, SessionCreate, SessionPatch } from "../../domain/conversations.js";
import type { ChangeInput } from "../../domain/changes.js";
import { conflict, notFound } from "../../domain/errors.js";
import type { AppendInput, BackendOptions, ConversationStore, ListMessagesQuery, Page, PageQuery } from "../contract.js";
import { decodeCursor, encodeCursor } from "../common/cursor.js";
import { checkLastSeq, checkVersion, newSession, patchSession, sessionSortKey, stampMessage } from "../common/sessions.js";
import type { Command, RedisClient } from "./client.js";
import { lexId, lexMember, type Keys } from "./keys.js";
import type { WritePlan, Writer } from "./write.js";

export class RedisConversations implements ConversationStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly writer: Writer,
    private readonly opts: BackendOptions,
  ) {}

  private now = () => this.opts.now().toISOString();

  private async read(id: string): Promise<{ raw: string | null; session?: Session }> {
    const raw = await this.client.call((r) => r.get(this.keys.session(id)));
    return raw === null ? { raw } : { raw, session: JSON.parse(raw) as Session };
  }

  private async mustRead(id: string): Promise<{ raw: string; session: Session }> {
    const r = await this.read(id);
    if (!r.session || r.raw === null) throw notFound("session", id);
    return { raw: r.raw, session: r.session };
  }

  /** SET the record and move its index entries from `old` to `next`. */
  private put(old: Session | undefined, next: Session | undefined): Command[] {
    const k = this.keys;
    const cmds: Command[] = [];
    if (old) {
      const m = lexMember(old.updatedAt, old.id);
      cmds.push(["ZREM", k.sessions, m]);
      if (old.groupId !== undefined) cmds.push(["ZREM", k.sessionsByGroup(old.groupId), m]);
      for (const t of new Set(old.tags)) cmds.push(["ZREM", k.sessionsByTag(t), m]);
    }
    if (next) {
      const m = lexMember(next.updatedAt, next.id);
      cmds.push(["SET", k.session(next.id), JSON.stringify(next)], ["ZADD", k.sessions, 0, m]);
      if (next.groupId !== undefined) cmds.push(["ZADD", k.sessionsByGroup(next.groupId), 0, m]);
      for (const t of new Set(next.tags)) cmds.push(["ZADD", k.sessionsByTag(t), 0, m]);
    }
    return cmds;
  }

  private created(input: SessionCreate & { id: string }, data?: Record<string, unknown>): { session: Session; commands: Command[]; change: ChangeInput } {
    const session = newSession(input, this.now());
    return { session, commands: this.put(undefined, session), change: { domain: "sessions", type: "session.created", id: session.id, version: 1, data } };
  }

  createSession(input: SessionCreate & { id: string }) {
    return this.writer.write(async () => {
      if ((await this.read(input.id)).session) throw conflict(`session ${JSON.stringify(input.id)} already exists`, { id: input.id });
      const c = this.created(input);
      return { guards: [{ key: this.keys.session(input.id), expect: null }], changes: [c.change], commands: c.commands, result: c.session };
    });
  }

  async getSession(id: string) {
    return (await this.mustRead(id)).session;
  }

  async listSessions(q: ListSessionsParams & PageQuery): Promise<Page<Session>> {
    const k = this.keys;
    const index = q.groupId !== undefined ? k.sessionsByGroup(q.groupId) : q.tag !== undefined ? k.sessionsByTag(q.tag) : k.sessions;
    let max = q.cursor === undefined ? "+" : "(" + lexMember(...(decodeCursor(q.cursor, 2) as [string, string]));
    const items: Session[] = [];
    let more = false;
    for (;;) {
      const members = await this.client.call((r) => r.zrevrangebylex(index, max, "-", "LIMIT", 0, q.limit + 1));
      if (members.length === 0) break;
      const raws = await this.client.call((r) => r.mget(...members.map((m) => k.session(lexId(m)))));
      for (const raw of raws) {
        if (raw === null) continue;
        const s = JSON.parse(raw) as Session;
        if (q.tag !== undefined && !s.tags.includes(q.tag)) continue;
        if (items.length === q.limit) {
          more = true;
          break;
        }
        items.push(s);
      }
      if (more || members.length <= q.limit) break;
      max = "(" + members[members.length - 1];
    }
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? encodeCursor(sessionSortKey(last)) : null };
  }

  private update(id: string, change: (s: Session) => { next: Session; extra?: Command[]; changes: ChangeInput[]; result?: unknown } | undefined) {
    return this.writer.write(async (): Promise<WritePlan<Session>> => {
      const { raw, session } = await this.mustRead(id);
      const out = change(session);
      if (!out) return { guards: [], changes: [], commands: [], result: session };
      return {
        guards: [{ key: this.keys.session(id), expect: raw }],
        changes: out.changes,
        commands: [...this.put(session, out.next), ...(out.extra ?? [])],
        result: out.next,
      };
    });
  }

  updateSession(patch: SessionPatch) {
    return this.update(patch.id, (s) => {
      checkVersion("session", s, patch.expectedVersion);
      const next = patchSession(s, patch, this.now());
      return { next, changes: [{ domain: "sessions", type: "session.updated", id: s.id, version: next.version }] };
    });
  }

  async deleteSession(id: string, expectedVersion?: number) {
    await this.writer.write(async () => {
      const { raw, session } = await this.mustRead(id);
      checkVersion("session", session, expectedVersion);
      const k = this.keys;
      return {
        guards: [{ key: k.session(id), expect: raw }],
        changes: [{ domain: "sessions", type: "session.deleted", id, version: session.version }],
        commands: [...this.put(session, undefined), ["DEL", k.session(id), k.messages(id), k.appends(id)]],
        result: undefined,
      };
    });
  }

  private appendCommands(s: Session, messages: MessageInput[]): { next: Session; commands: Command[]; change: ChangeInput; result: AppendResult } {
    const now = this.now();
    const firstSeq = s.lastSeq + 1;
    const zadd: Command = ["ZADD", this.keys.messages(s.id)];
    messages.forEach((m, i) => zadd.push(firstSeq + i, JSON.stringify(stampMessage(m, firstSeq + i, now))));
    const lastSeq = firstSeq + messages.length - 1;
    const next: Session = { ...s, lastSeq, messageCount: s.messageCount + messages.length, updatedAt: now, version: s.version + 1 };
    return {
      next,
      commands: [zadd],
      change: { domain: "sessions", type: "message.appended", id: s.id, version: next.version, data: { firstSeq, lastSeq } },
      result: { firstSeq, lastSeq },
    };
  }

  append(input: AppendInput): Promise<AppendResult> {
    const k = this.keys;
    return this.writer.write(async (): Promise<WritePlan<AppendResult>> => {
      if (input.idempotencyKey !== undefined) {
        const prev = await this.client.call((r) => r.hget(k.appends(input.sessionId), input.idempotencyKey as string));
        if (prev !== null) {
          const [firstSeq, lastSeq] = prev.split(",").map(Number);
          return { guards: [], changes: [], commands: [], result: { firstSeq, lastSeq } };
        }
      }
      const { raw, session } = await this.read(input.sessionId);
      if (session) checkLastSeq(session, input.expectedLastSeq);
      else if (!input.createSession) throw notFound("session", input.sessionId);
      else if (input.expectedLastSeq !== undefined && input.expectedLastSeq !== 0) {
        throw conflict(`session ${JSON.stringify(input.sessionId)} does not exist yet; expectedLastSeq must be 0`);
      }
      const create = session ? undefined : this.created({ id: input.sessionId });
      const base = session ?? (create as { session: Session }).session;
      const a = this.appendCommands(base, input.messages);
      const commands = [...(create?.commands ?? []), ...a.commands, ...this.put(session ?? create?.session, a.next)];
      if (input.idempotencyKey !== undefined) commands.push(["HSET", k.appends(input.sessionId), input.idempotencyKey, `${a.result.firstSeq},${a.result.lastSeq}`]);
      return {
        guards: [{ key: k.session(input.sessionId), expect: raw }],
        changes: [...(create ? [create.change] : []), a.change],
        commands,
        result: a.result,
      };
    });
  }

  async listMessages(q: ListMessagesQuery): Promise<Page<Message>> {
    const s = await this.getSession(q.sessionId);
    const key = this.keys.messages(q.sessionId);
    const from = q.includeHidden ? 0 : s.truncatedBeforeSeq;
    if (q.tail !== undefined) {
      const members = await this.client.call((r) => r.zrevrangebyscore(key, "+inf", from, "LIMIT", 0, q.tail as number));
      return { items: members.map((m) => JSON.parse(m) as Message).reverse(), nextCursor: null };
    }
    const after = q.cursor !== undefined ? Number(decodeCursor(q.cursor, 1)[0]) : q.afterSeq ?? 0;
    const members = await this.client.call((r) => r.zrangebyscore(key, Math.max(from, after + 1), "+inf", "LIMIT", 0, q.limit + 1));
    const items = members.slice(0, q.limit).map((m) => JSON.parse(m) as Message);
    return { items, nextCursor: members.length > q.limit ? encodeCursor([items[items.length - 1].seq]) : null };
  }

  pop(sessionId: string, expectedLastSeq?: number) {
    const key = this.keys.messages(sessionId);
    return this.writer.write(async (): Promise<WritePlan<Message | null>> => {
      const { raw, session } = await this.mustRead(sessionId);
      checkLastSeq(session, expectedLastSeq);
      const [member] = await this.client.call((r) => r.zrevrangebyscore(key, "+inf", session.truncatedBeforeSeq, "LIMIT", 0, 1));
      if (member === undefined) return { guards: [], changes: [], commands: [], result: null };
      const message = JSON.parse(member) as Message;
      const next: Session = { ...session, messageCount: session.messageCount - 1, updatedAt: this.now(), version: session.version + 1 };
      return {
        guards: [{ key: this.keys.session(sessionId), expect: raw }],
        changes: [{ domain: "sessions", type: "session.truncated", id: sessionId, version: next.version, data: { popped: message.seq } }],
        commands: [["ZREMRANGEBYSCORE", key, message.seq, message.seq], ...this.put(session, next)],
        result: message,
      };
    });
  }

  private hidden(s: Session, truncatedBeforeSeq: number, visible: number): { next: Session; change: ChangeInput } {
    const next: Session = { ...s, truncatedBeforeSeq, messageCount: visible, updatedAt: this.now(), version: s.version + 1 };
    return { next, change: { domain: "sessions", type: "session.truncated", id: s.id, version: next.version, data: { truncatedBeforeSeq } } };
  }

  truncate(id: string, keepLast: number, expectedVersion?: number) {
    const key = this.keys.messages(id);
    return this.writer.write(async (): Promise<WritePlan<Session>> => {
      const { raw, session } = await this.mustRead(id);
      checkVersion("session", session, expectedVersion);
      if (keepLast >= session.messageCount) return { guards: [], changes: [], commands: [], result: session };
      let before = session.lastSeq + 1;
      if (keepLast > 0) {
        const found = await this.client.call((r) => r.zrevrangebyscore(key, "+inf", session.truncatedBeforeSeq, "WITHSCORES", "LIMIT", keepLast - 1, 1));
        before = Number(found[1] ?? before);
      }
      const h = this.hidden(session, before, keepLast);
      return { guards: [{ key: this.keys.session(id), expect: raw }], changes: [h.change], commands: this.put(session, h.next), result: h.next };
    });
  }

  replaceHistory(id: string, messages: MessageInput[], expectedVersion?: number) {
    return this.writer.write(async (): Promise<WritePlan<Session>> => {
      const { raw, session } = await this.mustRead(id);
      checkVersion("session", session, expectedVersion);
      const h = this.hidden(session, session.lastSeq + 1, 0);
      const a = messages.length > 0 ? this.appendCommands(h.next, messages) : undefined;
      const final = a?.next ?? h.next;
      return {
        guards: [{ key: this.keys.session(id), expect: raw }],
        changes: a ? [h.change, a.change] : [h.change],
        commands: [...(a?.commands ?? []), ...this.put(session, final)],
        result: final,
      };
    });
  }

  compact(id: string) {
    const key = this.keys.messages(id);
    return this.writer.write(async (): Promise<WritePlan<{ removed: number; session: Session }>> => {
      const { raw, session } = await this.mustRead(id);
      const removed = await this.client.call((r) => r.zcount(key, "-inf", `(${session.truncatedBeforeSeq}`));
      if (removed === 0) return { guards: [], changes: [], commands: [], result: { removed, session } };
      return {
        guards: [{ key: this.keys.session(id), expect: raw }],
        changes: [{ domain: "sessions", type: "session.compacted", id, version: session.version, data: { removed } }],
        commands: [["ZREMRANGEBYSCORE", key, "-inf", `(${session.truncatedBeforeSeq}`]],
        result: { removed, session },
      };
    });
  }

  fork(input: { id: string; newId: string; uptoSeq?: number; title?: string }) {
    return this.writer.write(async (): Promise<WritePlan<Session>> => {
      const { raw, session: s } = await this.mustRead(input.id);
      if ((await this.read(input.newId)).session) throw conflict(`session ${JSON.stringify(input.newId)} already exists`, { id: input.newId });
      const upto = input.uptoSeq ?? s.lastSeq;
      const members = await this.client.call((r) => r.zrangebyscore(this.keys.messages(input.id), s.truncatedBeforeSeq, upto));
      const copies = members.map((m) => {
        const { seq: _seq, createdAt: _at, ...rest } = JSON.parse(m) as Message;
        return rest;
      });
      const c = this.created(
        { id: input.newId, title: input.title ?? s.title, model: s.model, tags: [...s.tags], metadata: s.metadata },
        { forkedFrom: input.id, uptoSeq: upto },
      );
      const base: Session = s.summary !== undefined ? { ...c.session, summary: s.summary } : c.session;
      const a = copies.length > 0 ? this.appendCommands(base, copies) : undefined;
      const final = a?.next ?? base;
      return {
        guards: [{ key: this.keys.session(input.id), expect: raw }, { key: this.keys.session(input.newId), expect: null }],
        changes: a ? [c.change, a.change] : [c.change],
        commands: [...(a?.commands ?? []), ...this.put(undefined, final)],
        result: final,
      };
    });
  }
}
