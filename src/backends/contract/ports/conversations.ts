/**
 * Conversation storage primitives (the domain rules are in src/core/conversations.ts).
 *
 * Records: sessions by id (with an alias index), messages by (sessionId, seq), and idempotency keys
 * by (sessionId, key) with an ordinal `n` per session. A backend keeps these and answers the reads
 * below; it decides nothing.
 */
import type { AppendResult, Message, Session } from "../../../domain/conversations.js";

export interface SessionFilter {
  groupId?: string;
  tag?: string;
}

/** The sort key of a session in listings: updatedAt, then id. */
export type SessionKey = readonly [updatedAt: string, id: string];

export interface ConversationsReadPort {
  /** The stored record, or undefined. Inside a unit of work it is locked/guarded until the end. */
  session(id: string): Promise<Session | undefined>;
  /** The id of the session that holds `alias`, or undefined. */
  sessionIdByAlias(alias: string): Promise<string | undefined>;
  /**
   * Sessions matching `filter`, newest first: updatedAt descending, then id descending, both in
   * Unicode code point order (UTF-8 byte order); only those sorting after `after`; at most `limit`.
   */
  listSessions(filter: SessionFilter, after: SessionKey | undefined, limit: number): Promise<Session[]>;
  /** Stored messages (hidden ones included) with from <= seq <= to, ascending seq, at most `limit`. */
  messages(sessionId: string, from: number, to: number, limit: number): Promise<Message[]>;
  /** The newest `n` stored messages with seq >= from, ascending seq. Costs O(n), not O(session). */
  lastMessages(sessionId: string, from: number, n: number): Promise<Message[]>;
  /** How many stored messages have seq < `seq`. */
  countMessagesBefore(sessionId: string, seq: number): Promise<number>;
  /** What an append with this key returned, while the key is kept. */
  appendKey(sessionId: string, key: string): Promise<AppendResult | undefined>;
}

export interface ConversationsWritePort {
  /**
   * Stores `next` whole. `prev` is the stored record it replaces (undefined: a new session), so a
   * backend can move index entries (updatedAt, groupId, tags, aliases) without reading again.
   */
  putSession(next: Session, prev: Session | undefined): void;
  /** Removes the session record, its messages, its keys and its aliases. */
  deleteSession(session: Session): void;
  /** Stores messages (ascending seq, every seq above every stored one) of an existing session. */
  insertMessages(sessionId: string, messages: Message[]): void;
  /** Removes the newest stored message, whose seq is `seq`. */
  deleteLastMessage(sessionId: string, seq: number): void;
  /** Removes every stored message with seq < `seq`. */
  dropMessagesBefore(sessionId: string, seq: number): void;
  /** Remembers the result of an append under `key`; `n` orders keys (newest highest). */
  putAppendKey(sessionId: string, key: string, result: AppendResult, n: number): void;
  /** Forgets every key of the session but the `keep` with the highest `n` (the new key included). */
  pruneAppendKeys(sessionId: string, keep: number): void;
}
