/**
 * Conversations on Redis (layout in keys.ts). Inside a unit of work, reading a session record or an
 * alias guards that key; messages and idempotency keys change only together with their session
 * record, so the session's guard covers them too.
 */
import type { AppendResult, Message, Session } from "../../domain/conversations.js";
import type { ConversationsReadPort, ConversationsWritePort, SessionFilter, SessionKey } from "../contract.js";
import type { Command } from "./client.js";
import { lexId, lexMember } from "./keys.js";
import { RedisPort } from "./port.js";

const parseMessages = (members: string[]): Message[] => members.map((m) => JSON.parse(m) as Message);

export class RedisConversationsPort extends RedisPort implements ConversationsReadPort, ConversationsWritePort {

  async session(id: string) {
    const raw = await this.get(this.k.session(id));
    return raw === null ? undefined : (JSON.parse(raw) as Session);
  }

  async sessionIdByAlias(alias: string) {
    return (await this.get(this.k.alias(alias))) ?? undefined;
  }

  async listSessions(filter: SessionFilter, after: SessionKey | undefined, limit: number) {
    const k = this.k;
    const index = filter.groupId !== undefined ? k.sessionsByGroup(filter.groupId) : filter.tag !== undefined ? k.sessionsByTag(filter.tag) : k.sessions;
    let max = after === undefined ? "+" : "(" + lexMember(after[0], after[1]);
    const items: Session[] = [];
    while (items.length < limit) {
      const members = await this.client.call((r) => r.zrevrangebylex(index, max, "-", "LIMIT", 0, limit));
      if (members.length === 0) break;
      const raws = await this.client.call((r) => r.mget(...members.map((m) => k.session(lexId(m)))));
      for (const raw of raws) {
        if (raw === null) continue; // deleted between the two reads
        const s = JSON.parse(raw) as Session;
        if ((filter.tag !== undefined && !s.tags.includes(filter.tag)) || (filter.groupId !== undefined && s.groupId !== filter.groupId)) continue;
        if (items.length < limit) items.push(s);
      }
      if (members.length < limit) break;
      max = "(" + members[members.length - 1];
    }
    return items;
  }

  async messages(sessionId: string, from: number, to: number, limit: number) {
    const key = this.k.messages(sessionId);
    return parseMessages(await this.client.call((r) => r.zrangebyscore(key, from, to, "LIMIT", 0, Math.min(limit, 2_147_483_647))));
  }

  async lastMessages(sessionId: string, from: number, n: number) {
    const key = this.k.messages(sessionId);
    return parseMessages(await this.client.call((r) => r.zrevrangebyscore(key, "+inf", from, "LIMIT", 0, n))).reverse();
  }

  async countMessagesBefore(sessionId: string, seq: number) {
    return this.client.call((r) => r.zcount(this.k.messages(sessionId), "-inf", `(${seq}`));
  }

  async appendKey(sessionId: string, key: string): Promise<AppendResult | undefined> {
    const raw = await this.client.call((r) => r.hget(this.k.appends(sessionId), key));
    if (raw === null) return undefined;
    const [firstSeq, lastSeq] = raw.split(",").map(Number);
    return { firstSeq, lastSeq };
  }

  /** Index entries of `s`: the member and the index keys it is in. */
  private indexes(s: Session): { member: string; keys: string[] } {
    const k = this.k;
    const keys = [k.sessions, ...(s.groupId !== undefined ? [k.sessionsByGroup(s.groupId)] : []), ...[...new Set(s.tags)].map(k.sessionsByTag)];
    return { member: lexMember(s.updatedAt, s.id), keys };
  }

  private unindex(s: Session): Command[] {
    const { member, keys } = this.indexes(s);
    return [...keys.map((key): Command => ["ZREM", key, member]), ...[...new Set(s.aliases)].map((a): Command => ["DEL", this.k.alias(a)])];
  }

  putSession(next: Session, prev: Session | undefined): void {
    const { member, keys } = this.indexes(next);
    this.writes.command(
      ...(prev ? this.unindex(prev) : []),
      ["SET", this.k.session(next.id), JSON.stringify(next)],
      ...keys.map((key): Command => ["ZADD", key, 0, member]),
      ...[...new Set(next.aliases)].map((a): Command => ["SET", this.k.alias(a), next.id]),
    );
  }

  deleteSession(session: Session): void {
    const k = this.k;
    this.writes.command(...this.unindex(session), ["DEL", k.session(session.id), k.messages(session.id), k.appends(session.id), k.appendOrder(session.id)]);
  }

  insertMessages(sessionId: string, messages: Message[]): void {
    const zadd: Command = ["ZADD", this.k.messages(sessionId)];
    for (const m of messages) zadd.push(m.seq, JSON.stringify(m));
    this.writes.command(zadd);
  }

  deleteLastMessage(sessionId: string, seq: number): void {
    this.writes.command(["ZREMRANGEBYSCORE", this.k.messages(sessionId), seq, seq]);
  }

  dropMessagesBefore(sessionId: string, seq: number): void {
    this.writes.command(["ZREMRANGEBYSCORE", this.k.messages(sessionId), "-inf", `(${seq}`]);
  }

  putAppendKey(sessionId: string, key: string, result: AppendResult, n: number): void {
    this.writes.command(["HSET", this.k.appends(sessionId), key, `${result.firstSeq},${result.lastSeq}`], ["ZADD", this.k.appendOrder(sessionId), n, key]);
  }

  pruneAppendKeys(sessionId: string, keep: number): void {
    this.writes.command(["KEEPNEWEST", this.k.appendOrder(sessionId), this.k.appends(sessionId), keep]);
  }
}
