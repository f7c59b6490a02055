/**
 * Conversations held in process: sessions by id, an alias index, messages per session in seq
 * order, idempotency keys per session in insertion (= `n`) order. The jsonl port extends this model
 * and keeps message bodies and keys in files instead.
 */
import type { AppendResult, Message, Session } from "../../domain/conversations.js";
import { compareKeys } from "../../domain/order.js";
import type { ConversationsReadPort, ConversationsWritePort, SessionFilter, SessionKey } from "../contract.js";
import { clone } from "../../domain/clone.js";

const key = (s: Session): SessionKey => [s.updatedAt, s.id];

/** Index of the first item with seq >= `seq` in a list ascending by seq. */
export function indexOfSeq(items: readonly { seq: number }[], seq: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const CONVERSATION_WRITES: ReadonlySet<string> = new Set<keyof ConversationsWritePort>([
  "putSession", "deleteSession", "insertMessages", "deleteLastMessage", "dropMessagesBefore", "putAppendKey", "pruneAppendKeys",
]);

export class MemoryConversationsPort implements ConversationsReadPort, ConversationsWritePort {
  protected readonly sessions = new Map<string, Session>();
  protected readonly aliases = new Map<string, string>();
  /** Per session: key → result and its order `n`, oldest first. */
  protected readonly keys = new Map<string, Map<string, { result: AppendResult; n: number }>>();
  private readonly bodies = new Map<string, Message[]>();

  async session(id: string) {
    const s = this.sessions.get(id);
    return s && clone(s);
  }

  async sessionIdByAlias(alias: string) {
    return this.aliases.get(alias);
  }

  async listSessions(filter: SessionFilter, after: SessionKey | undefined, limit: number) {
    const rows = [...this.sessions.values()]
      .filter((s) => (filter.groupId === undefined || s.groupId === filter.groupId) && (filter.tag === undefined || s.tags.includes(filter.tag)))
      .filter((s) => after === undefined || compareKeys(key(s), after) < 0)
      .sort((a, b) => compareKeys(key(b), key(a)));
    return clone(rows.slice(0, limit));
  }

  async messages(sessionId: string, from: number, to: number, limit: number) {
    const list = this.bodies.get(sessionId) ?? [];
    const out: Message[] = [];
    for (let i = indexOfSeq(list, from); i < list.length && list[i].seq <= to && out.length < limit; i++) out.push(list[i]);
    return clone(out);
  }

  async lastMessages(sessionId: string, from: number, n: number) {
    const list = this.bodies.get(sessionId) ?? [];
    return clone(list.slice(Math.max(indexOfSeq(list, from), list.length - n)));
  }

  async countMessagesBefore(sessionId: string, seq: number) {
    return indexOfSeq(this.bodies.get(sessionId) ?? [], seq);
  }

  async appendKey(sessionId: string, key: string) {
    const r = this.keys.get(sessionId)?.get(key);
    return r && { ...r.result };
  }

  putSession(next: Session, prev: Session | undefined): void {
    for (const alias of prev?.aliases ?? []) if (this.aliases.get(alias) === prev?.id) this.aliases.delete(alias);
    for (const alias of next.aliases ?? []) this.aliases.set(alias, next.id);
    this.sessions.set(next.id, clone(next));
  }

  deleteSession(session: Session): void {
    const stored = this.sessions.get(session.id);
    for (const alias of stored?.aliases ?? []) if (this.aliases.get(alias) === session.id) this.aliases.delete(alias);
    this.sessions.delete(session.id);
    this.keys.delete(session.id);
    this.bodies.delete(session.id);
  }

  insertMessages(sessionId: string, messages: Message[]): void {
    const list = this.bodies.get(sessionId);
    if (list) list.push(...clone(messages));
    else this.bodies.set(sessionId, clone(messages));
  }

  deleteLastMessage(sessionId: string, seq: number): void {
    const list = this.bodies.get(sessionId);
    if (list?.[list.length - 1]?.seq === seq) list.pop();
  }

  dropMessagesBefore(sessionId: string, seq: number): void {
    const list = this.bodies.get(sessionId);
    if (list) list.splice(0, indexOfSeq(list, seq));
  }

  putAppendKey(sessionId: string, key: string, result: AppendResult, n: number): void {
    let keys = this.keys.get(sessionId);
    if (!keys) this.keys.set(sessionId, (keys = new Map()));
    keys.delete(key);
    keys.set(key, { result: { ...result }, n });
  }

  pruneAppendKeys(sessionId: string, keep: number): void {
    const keys = this.keys.get(sessionId);
    if (!keys) return;
    for (const k of keys.keys()) {
      if (keys.size <= keep) break;
      keys.delete(k);
    }
  }
}
