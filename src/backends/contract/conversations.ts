/** Conversations: sessions and their messages (SPEC §3.1). */
import type {
  AppendResult, ListSessionsParams, Message, MessageInput, Session, SessionCreate, SessionPatch,
} from "../../domain/conversations.js";
import type { Page, PageQuery } from "./common.js";

export interface AppendInput {
  sessionId: string;
  messages: MessageInput[];
  /** Create the session with default fields when it does not exist (else NOT_FOUND). */
  createSession?: boolean;
  /** CONFLICT unless the session's lastSeq equals this; nothing is written. */
  expectedLastSeq?: number;
  /**
   * A repeated key returns the first call's result and writes nothing, even if the session has
   * moved on since. Keys are remembered per session for its newest 1,000 appends.
   */
  idempotencyKey?: string;
}

export interface ListMessagesQuery extends PageQuery {
  sessionId: string;
  /** Only messages with seq > afterSeq. Ignored when `tail` is set. */
  afterSeq?: number;
  /** The last N visible (or, with includeHidden, stored) messages, oldest first. Costs O(N). */
  tail?: number;
  includeHidden?: boolean;
}

/**
 * Conversation storage. Every write is atomic and records its change(s) in the same unit:
 * session.created|updated|deleted|truncated|compacted and message.appended (data: seq range).
 *
 * Invariants every backend keeps:
 * - `seq` is assigned per session from 1, dense within one append, and never reused, even after
 *   pop, truncate or compact (`lastSeq` only grows).
 * - Messages with seq < `truncatedBeforeSeq` are hidden; popped messages are gone.
 *   `messageCount` counts visible messages.
 * - `version` grows by 1 with every write to the session record (appends included); a write given
 *   `expectedVersion` that does not match fails with CONFLICT and changes nothing.
 *
 * Left out on purpose: searching message content, and editing a message in place (replaceHistory
 * covers rewriting).
 */
export interface ConversationStore {
  /** CONFLICT if the id exists. `id` is always given (generated above the backend if omitted). */
  createSession(input: SessionCreate & { id: string }): Promise<Session>;
  /** NOT_FOUND if absent. */
  getSession(id: string): Promise<Session>;
  /** The session that holds `alias`; NOT_FOUND if none does. */
  getSessionByAlias(alias: string): Promise<Session>;
  /** Newest `updatedAt` first (ties: id descending); keyset-paged. */
  listSessions(query: ListSessionsParams & PageQuery): Promise<Page<Session>>;
  /** Fields set to null are cleared; absent fields are untouched. NOT_FOUND, CONFLICT. */
  updateSession(patch: SessionPatch): Promise<Session>;
  /** Removes the session and its messages. NOT_FOUND, CONFLICT. */
  deleteSession(id: string, expectedVersion?: number): Promise<void>;
  /** All messages or none. NOT_FOUND (unless createSession), CONFLICT on expectedLastSeq. */
  append(input: AppendInput): Promise<AppendResult>;
  /** Visible messages in seq order. NOT_FOUND if the session is absent. */
  listMessages(query: ListMessagesQuery): Promise<Page<Message>>;
  /** Removes and returns the last visible message; null when none is visible. */
  pop(sessionId: string, expectedLastSeq?: number): Promise<Message | null>;
  /** Hides all but the last `keepLast` visible messages; a metadata write. A no-op when fewer are visible. */
  truncate(id: string, keepLast: number, expectedVersion?: number): Promise<Session>;
  /** Hides every visible message and appends `messages` after them, in one atomic write. */
  replaceHistory(id: string, messages: MessageInput[], expectedVersion?: number): Promise<Session>;
  /**
   * Physically removes hidden messages. Does not change the session record (no version bump): what
   * a reader sees is the same before and after. A crash at any point loses no visible message.
   */
  compact(id: string): Promise<{ removed: number; session: Session }>;
  /**
   * Creates `newId` holding copies of the visible messages with seq <= uptoSeq (default: all),
   * renumbered from 1; copies title (unless given), model, tags, metadata and summary.
   * NOT_FOUND for the source, CONFLICT if newId exists.
   */
  fork(input: { id: string; newId: string; uptoSeq?: number; title?: string }): Promise<Session>;
}
