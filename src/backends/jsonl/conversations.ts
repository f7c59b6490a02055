/**
 * jsonl conversations: `sessions/<id>.meta.json` (the session record), `sessions/<id>.jsonl` (one
 * message per line, seq ascending), `sessions/<id>.idem.jsonl` (idempotency keys). Session records
 * live in memory; message bodies only on disk. Truncation is a meta write (truncatedBeforeSeq);
 * popped seqs are remembered as gaps, so truncate and pop decide synchronously, without reading.
 */
import { promises as fs } from "node:fs";
import type { AppendResult, ListSessionsParams, Message, MessageInput, Session, SessionCreate, SessionPatch } from "../../domain/conversations.js";
import { conflict, notFound } from "../../domain/errors.js";
import type { AppendInput, BackendOptions, ConversationStore, ListMessagesQuery, Page, PageQuery } from "../contract.js";
import { decodeCursor, encodeCursor, firstPage } from "../../core/paging.js";
import { checkLastSeq, checkVersion, compareSessionsDesc, newSession, patchSession, sessionSortKey, stampMessage } from "../../core/sessions.js";
import type { JsonlChangeLog } from "./changes.js";
import { encodeId } from "./encode.js";
import type { Engine } from "./engine.js";
import type { JsonlDomain } from "./domain.js";
import { repairTornTail, writeFileAtomic } from "./files.js";
import type { Op } from "./journal.js";
import { lastLine, readBackward, readForward } from "./messages-file.js";

const IDEMPOTENCY_KEYS_KEPT = 1000;

/** The meta file: the session record plus seqs popped from the visible range. */
interface Meta extends Session {
  poppedSeqs?: number[];
}

type SessionOp = { k: "sess"; s: Meta } | { k: "msgs"; id: string; m: Message[] } | { k: "pop"; id: string; seq: number; ref: number }
  | { k: "idem"; id: string; key: string; r: AppendResult } | { k: "rmsess"; id: string };

const publicSession = ({ poppedSeqs: _p, ...s }: Meta): Session => structuredClone(s);

export class JsonlConversations implements ConversationStore, JsonlDomain {
  private readonly sessions = new Map<string, Meta>();
  private readonly idem = new Map<string, Map<string, AppendResult>>();
  /** Last seq present in each message file (after torn-tail repair), learned lazily. */
  private readonly fileLastSeq = new Map<string, number>();
  private readonly poppedBodies = new Map<number, Message>();
  private nextPopRef = 1;

  constructor(
    private readonly engine: Engine,
    private readonly opts: BackendOptions,
    private readonly changes: JsonlChangeLog,
  ) {
    const reg = <K extends SessionOp["k"]>(k: K, a: Parameters<Engine["register"]>[1]) => engine.register(k, a);
    reg("sess", {
      memory: (op) => void this.sessions.set((op as SessionOp & { k: "sess" }).s.id, (op as SessionOp & { k: "sess" }).s),
      files: async (op, io) => {
        const s = (op as SessionOp & { k: "sess" }).s;
        io.rewrite(this.metaPath(s.id), JSON.stringify(s, null, 2) + "\n");
      },
    });
    reg("msgs", {
      files: async (raw, io) => {
        const op = raw as SessionOp & { k: "msgs" };
        const path = this.messagesPath(op.id);
        await io.flushPath(path);
        const last = await this.lastSeqInFile(op.id);
        const fresh = op.m.filter((m) => m.seq > last);
        if (fresh.length === 0) return;
        io.append(path, fresh.map((m) => JSON.stringify(m) + "\n").join(""));
        this.fileLastSeq.set(op.id, fresh[fresh.length - 1].seq);
      },
    });
    reg("pop", {
      files: async (raw, io) => {
        const op = raw as SessionOp & { k: "pop" };
        const path = this.messagesPath(op.id);
        await io.flushPath(path);
        const last = await lastLine(path);
        if (last?.message.seq !== op.seq) return; // replayed: already gone
        this.poppedBodies.set(op.ref, last.message);
        await io.truncate(path, last.offset);
        this.fileLastSeq.delete(op.id);
      },
    });
    reg("idem", {
      memory: (raw) => {
        const op = raw as SessionOp & { k: "idem" };
        this.idem.get(op.id)?.set(op.key, op.r);
      },
      files: async (raw, io) => {
        const op = raw as SessionOp & { k: "idem" };
        io.append(this.idemPath(op.id), JSON.stringify({ key: op.key, ...op.r }) + "\n");
      },
    });
    reg("rmsess", {
      memory: (raw) => {
        const { id } = raw as SessionOp & { k: "rmsess" };
        this.sessions.delete(id);
        this.idem.set(id, new Map());
      },
      files: async (raw, io) => {
        const { id } = raw as SessionOp & { k: "rmsess" };
        await io.remove(this.metaPath(id));
        await io.remove(this.messagesPath(id));
        await io.remove(this.idemPath(id));
        this.fileLastSeq.set(id, 0);
      },
    });
  }

  private metaPath = (id: string) => this.engine.path("sessions", `${encodeId(id)}.meta.json`);
  private messagesPath = (id: string) => this.engine.path("sessions", `${encodeId(id)}.jsonl`);
  private idemPath = (id: string) => this.engine.path("sessions", `${encodeId(id)}.idem.jsonl`);

  /** Loads every session record at open. */
  async load(): Promise<void> {
    const dir = this.engine.path("sessions");
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith(".meta.json")) continue;
      const meta = JSON.parse(await fs.readFile(`${dir}/${name}`, "utf8")) as Meta;
      if (`${encodeId(meta.id)}.meta.json` !== name) {
        throw new Error(`${dir}/${name} holds session ${JSON.stringify(meta.id)}, which belongs in another file (case-insensitive file system?)`);
      }
      this.sessions.set(meta.id, meta);
    }
  }

  private async lastSeqInFile(id: string): Promise<number> {
    const known = this.fileLastSeq.get(id);
    if (known !== undefined) return known;
    const path = this.messagesPath(id);
    await repairTornTail(path);
    const seq = (await lastLine(path))?.message.seq ?? 0;
    this.fileLastSeq.set(id, seq);
    return seq;
  }

  private now = () => this.opts.now().toISOString();

  private meta(id: string): Meta {
    const s = this.sessions.get(id);
    if (!s) throw notFound("session", id);
    return s;
  }

  private createOps(input: SessionCreate & { id: string }, data?: Record<string, unknown>): Op[] {
    if (this.sessions.has(input.id)) throw conflict(`session ${JSON.stringify(input.id)} already exists`, { id: input.id });
    const s = newSession(structuredClone(input), this.now());
    this.idem.set(input.id, new Map());
    return [{ k: "sess", s } as Op, this.changes.op({ domain: "sessions", type: "session.created", id: s.id, version: 1, data })];
  }

  async createSession(input: SessionCreate & { id: string }) {
    await this.engine.tx(this.createOps(input));
    return publicSession(this.meta(input.id));
  }

  async getSessionByAlias(alias: string): Promise<Session> {
    throw notFound("session alias", alias);
  }

  async getSession(id: string) {
    return publicSession(this.meta(id));
  }

  async listSessions(q: ListSessionsParams & PageQuery): Promise<Page<Session>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2) as [string, string]);
    const all = [...this.sessions.values()]
      .filter((s) => (q.groupId === undefined || s.groupId === q.groupId) && (q.tag === undefined || s.tags.includes(q.tag)))
      .filter((s) => after === undefined || s.updatedAt < after[0] || (s.updatedAt === after[0] && s.id < after[1]))
      .sort(compareSessionsDesc);
    const page = firstPage(all, q.limit, sessionSortKey);
    return { items: page.items.map(publicSession), nextCursor: page.nextCursor };
  }

  private async write(meta: Meta, type: "session.updated" | "session.truncated", data?: Record<string, unknown>, extra: Op[] = []) {
    await this.engine.tx([{ k: "sess", s: meta } as Op, ...extra, this.changes.op({ domain: "sessions", type, id: meta.id, version: meta.version, data })]);
    return publicSession(meta);
  }

  async updateSession(patch: SessionPatch) {
    const current = this.meta(patch.id);
    checkVersion("session", current, patch.expectedVersion);
    return this.write({ ...patchSession(current, patch, this.now()), poppedSeqs: current.poppedSeqs }, "session.updated");
  }

  async deleteSession(id: string, expectedVersion?: number) {
    const current = this.meta(id);
    checkVersion("session", current, expectedVersion);
    await this.engine.tx([{ k: "rmsess", id } as Op, this.changes.op({ domain: "sessions", type: "session.deleted", id, version: current.version })]);
  }

  private async loadIdem(id: string): Promise<void> {
    if (this.idem.has(id)) return;
    const keys = new Map<string, AppendResult>();
    const lines = await readBackward(this.idemPath(id), () => keys.size >= IDEMPOTENCY_KEYS_KEPT);
    for (const l of lines.reverse()) {
      const { key, firstSeq, lastSeq } = l as unknown as { key: string } & AppendResult;
      keys.set(key, { firstSeq, lastSeq });
    }
    if (!this.idem.has(id)) this.idem.set(id, keys);
  }

  async append(input: AppendInput): Promise<AppendResult> {
    if (input.idempotencyKey !== undefined) await this.loadIdem(input.sessionId);
    // From here on, no await until the ops are built: checks and state change are one atomic step.
    const existing = this.sessions.get(input.sessionId);
    const previous = input.idempotencyKey === undefined ? undefined : this.idem.get(input.sessionId)?.get(input.idempotencyKey);
    if (previous) return { ...previous };
    if (existing) checkLastSeq(existing, input.expectedLastSeq);
    else if (!input.createSession) throw notFound("session", input.sessionId);
    else if (input.expectedLastSeq !== undefined && input.expectedLastSeq !== 0) {
      throw conflict(`session ${JSON.stringify(input.sessionId)} does not exist yet; expectedLastSeq must be 0`);
    }
    const ops: Op[] = existing ? [] : this.createOps({ id: input.sessionId });
    const base = existing ?? (ops[0] as Op & { s: Meta }).s;
    const { ops: appendOps, result } = this.appendOps(base, input.messages);
    ops.push(...appendOps);
    if (input.idempotencyKey !== undefined) {
      ops.push({ k: "idem", id: input.sessionId, key: input.idempotencyKey, r: result } as Op);
      const keys = this.idem.get(input.sessionId);
      if (keys && keys.size >= IDEMPOTENCY_KEYS_KEPT) keys.delete(keys.keys().next().value as string);
    }
    await this.engine.tx(ops);
    return { ...result };
  }

  /** Ops appending `messages` to the session `s` (its current state). */
  private appendOps(s: Meta, messages: MessageInput[]): { ops: Op[]; result: AppendResult; meta: Meta } {
    const now = this.now();
    const firstSeq = s.lastSeq + 1;
    const stamped = messages.map((m, i) => stampMessage(structuredClone(m), firstSeq + i, now));
    const lastSeq = firstSeq + messages.length - 1;
    const meta: Meta = { ...s, lastSeq, messageCount: s.messageCount + messages.length, updatedAt: now, version: s.version + 1 };
    const ops: Op[] = [
      { k: "msgs", id: s.id, m: stamped } as Op,
      { k: "sess", s: meta } as Op,
      this.changes.op({ domain: "sessions", type: "message.appended", id: s.id, version: meta.version, data: { firstSeq, lastSeq } }),
    ];
    return { ops, result: { firstSeq, lastSeq }, meta };
  }

  /** The seq of the k-th visible message counted from the end (k >= 1), from memory alone. */
  private visibleSeqFromEnd(s: Meta, k: number): number {
    const gaps = new Set(s.poppedSeqs ?? []);
    let seq = s.lastSeq + 1;
    for (let found = 0; found < k; ) {
      seq--;
      if (!gaps.has(seq)) found++;
    }
    return seq;
  }

  async listMessages(q: ListMessagesQuery): Promise<Page<Message>> {
    this.meta(q.sessionId);
    await this.engine.journal.settled();
    const s = this.meta(q.sessionId);
    const path = this.messagesPath(q.sessionId);
    const from = q.includeHidden ? 1 : s.truncatedBeforeSeq;
    if (q.tail !== undefined) {
      // Read backwards only until `tail` visible messages are in hand (or the hidden part starts): O(tail).
      const tail = q.tail;
      let kept = 0;
      const items = await readBackward(path, (m) => {
        if (m.seq >= from && m.seq <= s.lastSeq) kept++;
        return kept >= tail || m.seq <= from;
      });
      return { items: items.filter((m) => m.seq >= from && m.seq <= s.lastSeq).slice(0, tail).reverse(), nextCursor: null };
    }
    const after = q.cursor !== undefined ? Number(decodeCursor(q.cursor, 1)[0]) : q.afterSeq ?? 0;
    const items = await readForward(path, Math.max(from, after + 1), q.limit + 1, (m) => m.seq <= s.lastSeq);
    const more = items.length > q.limit;
    const page = items.slice(0, q.limit);
    return { items: page, nextCursor: more ? encodeCursor([page[page.length - 1].seq]) : null };
  }

  async pop(sessionId: string, expectedLastSeq?: number) {
    const s = this.meta(sessionId);
    checkLastSeq(s, expectedLastSeq);
    if (s.messageCount === 0) return null;
    const seq = this.visibleSeqFromEnd(s, 1);
    const ref = this.nextPopRef++;
    const popped = (s.poppedSeqs ?? []).filter((p) => p >= s.truncatedBeforeSeq).concat(seq);
    const meta: Meta = { ...s, messageCount: s.messageCount - 1, updatedAt: this.now(), version: s.version + 1, poppedSeqs: popped };
    await this.write(meta, "session.truncated", { popped: seq }, [{ k: "pop", id: sessionId, seq, ref } as Op]);
    await this.engine.journal.settled(); // the file applier captures the body as it cuts the line
    const body = this.poppedBodies.get(ref);
    this.poppedBodies.delete(ref);
    return body ?? null;
  }

  async truncate(id: string, keepLast: number, expectedVersion?: number) {
    const s = this.meta(id);
    checkVersion("session", s, expectedVersion);
    if (keepLast >= s.messageCount) return publicSession(s);
    const truncatedBeforeSeq = keepLast === 0 ? s.lastSeq + 1 : this.visibleSeqFromEnd(s, keepLast);
    return this.write(this.hidden(s, truncatedBeforeSeq, keepLast), "session.truncated", { truncatedBeforeSeq });
  }

  private hidden(s: Meta, truncatedBeforeSeq: number, visible: number): Meta {
    const poppedSeqs = (s.poppedSeqs ?? []).filter((p) => p >= truncatedBeforeSeq);
    const meta: Meta = { ...s, truncatedBeforeSeq, messageCount: visible, updatedAt: this.now(), version: s.version + 1 };
    if (poppedSeqs.length > 0) meta.poppedSeqs = poppedSeqs;
    else delete meta.poppedSeqs;
    return meta;
  }

  async replaceHistory(id: string, messages: MessageInput[], expectedVersion?: number) {
    const s = this.meta(id);
    checkVersion("session", s, expectedVersion);
    const hidden = this.hidden(s, s.lastSeq + 1, 0);
    const ops: Op[] = [
      { k: "sess", s: hidden } as Op,
      this.changes.op({ domain: "sessions", type: "session.truncated", id, version: hidden.version, data: { truncatedBeforeSeq: hidden.truncatedBeforeSeq } }),
    ];
    if (messages.length > 0) ops.push(...this.appendOps(hidden, messages).ops);
    await this.engine.tx(ops);
    return publicSession(this.meta(id));
  }

  compact(id: string): Promise<{ removed: number; session: Session }> {
    this.meta(id);
    let removed = 0;
    return this.engine.journal
      .runExclusive(async () => {
        const s = this.sessions.get(id);
        if (!s) return;
        const path = this.messagesPath(id);
        await this.engine.io.forget(path);
        const all = (await readBackward(path, () => false)).reverse();
        const keep = all.filter((m) => m.seq >= s.truncatedBeforeSeq);
        removed = all.length - keep.length;
        if (removed === 0) return;
        await writeFileAtomic(path, keep.map((m) => JSON.stringify(m) + "\n").join(""));
      })
      .then(async () => {
        const s = this.meta(id);
        if (removed > 0) await this.engine.tx([this.changes.op({ domain: "sessions", type: "session.compacted", id, version: s.version, data: { removed } })]);
        return { removed, session: publicSession(this.meta(id)) };
      });
  }

  async fork(input: { id: string; newId: string; uptoSeq?: number; title?: string }) {
    const source = this.meta(input.id);
    await this.engine.journal.settled();
    const upto = input.uptoSeq ?? source.lastSeq;
    const copies = (await readForward(this.messagesPath(input.id), source.truncatedBeforeSeq, Number.MAX_SAFE_INTEGER, (m) => m.seq <= upto))
      .map(({ seq: _seq, createdAt: _at, ...rest }) => rest as MessageInput);
    const s = this.meta(input.id);
    const ops = this.createOps(
      { id: input.newId, title: input.title ?? s.title, model: s.model, tags: [...s.tags], metadata: structuredClone(s.metadata) },
      { forkedFrom: input.id, uptoSeq: upto },
    );
    const created = (ops[0] as Op & { s: Meta }).s;
    if (s.summary !== undefined) created.summary = s.summary;
    if (copies.length > 0) ops.push(...this.appendOps(created, copies).ops);
    await this.engine.tx(ops);
    return publicSession(this.meta(input.newId));
  }
}
