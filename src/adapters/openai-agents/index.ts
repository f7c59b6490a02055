/**
 * `agentstate/openai-agents`: an OpenAI Agents JS `Session` whose history is an agentstate
 * conversation, so runs in any process on the host (or on hosts sharing Postgres or Redis) continue
 * the same session.
 *
 *   const session = new AgentstateSession({ sessionId: "support-42" });
 *   await run(agent, "hello", { session });
 *
 * Each item is one message (see items.ts). Transactions (SessionHistoryTransactionAwareSession) map
 * onto the conversation methods: append_items → messages.append with the operation's idempotency
 * key; replace_suffix → sessions.replaceHistory with expectedVersion, after checking the suffix
 * against the history read at that version. Rules and limits: docs/adapters.md.
 */
import { UserError, protocol, type AgentInputItem, type Session, type SessionHistoryTransactionArgs, type SessionHistoryTransactionAwareSession } from "@openai/agents-core";
import { ulid } from "ulid";
import type { Client } from "../../client/index.js";
import { RpcCallError } from "../../client/errors.js";
import type { Message, MessageInput, Session as StoredSession } from "../../domain/conversations.js";
import { ClientHandle, type ClientOptions } from "../client-handle.js";
import { isPlainJson } from "../json.js";
import {
  decodeItem, digestOf, encodeItem, idempotencyKeyOf, opOf, restate, sameItems, type OpRecord,
} from "./items.js";

export interface AgentstateSessionOptions extends ClientOptions {
  /** The agentstate session id (default: a new ULID). The session is created on the first write. */
  sessionId?: string;
}

/** Most messages.list can return at once (SPEC §2); also the largest `tail`. */
const PAGE = 1000;
/** replace_suffix re-reads and retries when another writer changed the session in between; this many times. */
const MAX_ATTEMPTS = 8;

const hasCode = (e: unknown, code: string): boolean => e instanceof RpcCallError && e.code === code;

type Snapshot = { session: StoredSession | undefined; messages: Message[] };

export class AgentstateSession implements Session, SessionHistoryTransactionAwareSession {
  private readonly handle: ClientHandle;
  readonly sessionId: string;

  constructor(options: AgentstateSessionOptions = {}) {
    this.handle = new ClientHandle(options);
    this.sessionId = options.sessionId ?? ulid();
  }

  async getSessionId(): Promise<string> {
    return this.sessionId;
  }

  /** The whole history, or its last `limit` items, oldest first; [] for a session never written. */
  async getItems(limit?: number): Promise<AgentInputItem[]> {
    if (limit !== undefined && limit <= 0) return [];
    const client = await this.client();
    try {
      if (limit !== undefined && limit <= PAGE) {
        const page = await client.messages.list({ sessionId: this.sessionId, tail: Math.floor(limit) });
        return page.items.map(decodeItem);
      }
      const all = (await this.visible(client)).map(decodeItem);
      return limit === undefined ? all : all.slice(-limit);
    } catch (e) {
      if (hasCode(e, "NOT_FOUND")) return [];
      throw e;
    }
  }

  async addItems(items: AgentInputItem[]): Promise<void> {
    if (items.length === 0) return;
    checkJson(items);
    const client = await this.client();
    await client.messages.append({ sessionId: this.sessionId, createSession: true, messages: items.map((i) => encodeItem(i)) });
  }

  /** Removes and returns the newest item; undefined when there is none. */
  async popItem(): Promise<AgentInputItem | undefined> {
    const client = await this.client();
    try {
      const { message } = await client.messages.pop({ sessionId: this.sessionId });
      return message === null ? undefined : decodeItem(message);
    } catch (e) {
      if (hasCode(e, "NOT_FOUND")) return undefined;
      throw e;
    }
  }

  /** Deletes the session with its messages and remembered operations; the id stays usable. */
  async clearSession(): Promise<void> {
    const client = await this.client();
    try {
      await client.sessions.delete({ id: this.sessionId });
    } catch (e) {
      if (!hasCode(e, "NOT_FOUND")) throw e;
    }
  }

  /** Replaces the history with `items` (a compaction item and what it keeps) in one atomic write. */
  async replaceHistoryWithCompaction(items: AgentInputItem[]): Promise<void> {
    checkJson(items);
    const client = await this.client();
    const messages = items.map((i) => encodeItem(i));
    try {
      await client.sessions.replaceHistory({ id: this.sessionId, messages });
    } catch (e) {
      if (!hasCode(e, "NOT_FOUND")) throw e;
      if (messages.length > 0) await client.messages.append({ sessionId: this.sessionId, createSession: true, messages });
    }
  }

  /**
   * Applies the transaction once per operationId, atomically with the record of that id:
   * - a repeated operationId with the same transaction succeeds and changes nothing;
   * - a repeated operationId with a different transaction fails with a UserError, changing nothing;
   * - replace_suffix fails with a UserError, changing nothing, when the history does not end with
   *   expectedSuffix.
   */
  async applyHistoryTransaction(args: SessionHistoryTransactionArgs): Promise<void> {
    const { operationId, transaction } = snapshotArgs(args);
    const op: OpRecord = { id: operationId, digest: digestOf(transaction) };
    const client = await this.client();
    if (transaction.type === "append_items") {
      await this.appendOnce(client, op, transaction.items);
      return;
    }
    const { expectedSuffix, replacement } = transaction;
    for (let attempt = 1; ; attempt++) {
      const snap = await this.snapshot(client);
      const visible = snap.messages;
      if (recorded(visible, op)) return;
      const items = visible.map(decodeItem);
      const start = items.length - expectedSuffix.length;
      if (start < 0 || !sameItems(items.slice(start), expectedSuffix)) {
        if (snap.session && recorded(await this.hidden(client), op)) return;
        throw new UserError("Session history suffix no longer matches the transaction precondition.");
      }
      if (expectedSuffix.length === 0 || snap.session === undefined) {
        // Nothing to take away: an append, which the idempotency key makes exactly-once.
        await this.appendOnce(client, op, replacement);
        return;
      }
      try {
        await client.sessions.replaceHistory({
          id: this.sessionId,
          messages: rewrite(visible.slice(0, start), replacement, op),
          expectedVersion: snap.session.version,
        });
        return;
      } catch (e) {
        // Another writer changed the session after our read: the precondition is checked again on
        // the new history (and fails there if the suffix is gone), so retrying is what the rule asks.
        if (!hasCode(e, "CONFLICT") || attempt >= MAX_ATTEMPTS) throw e;
      }
    }
  }

  /** Releases the connection this session opened (a client passed in stays open). */
  async close(): Promise<void> {
    await this.handle.close();
  }

  private client(): Promise<Client> {
    return this.handle.get();
  }

  /** Appends `items` under the operation's idempotency key, then checks that the key was not taken by a different transaction. */
  private async appendOnce(client: Client, op: OpRecord, items: AgentInputItem[]): Promise<void> {
    if (items.length === 0) return;
    const { firstSeq } = await client.messages.append({
      sessionId: this.sessionId,
      createSession: true,
      idempotencyKey: idempotencyKeyOf(op.id),
      messages: items.map((item, i) => encodeItem(item, i === 0 ? op : undefined)),
    });
    const page = await client.messages.list({ sessionId: this.sessionId, afterSeq: firstSeq - 1, limit: 1, includeHidden: true });
    const first = page.items[0];
    const stored = first?.seq === firstSeq ? opOf(first) : undefined;
    if (stored !== undefined && stored.id === op.id && stored.digest !== op.digest) throw differentTransaction();
  }

  /** The session record, then its visible messages: a write in between moves the version, so replaceHistory(expectedVersion) refuses. */
  private async snapshot(client: Client): Promise<Snapshot> {
    try {
      const session = await client.sessions.get({ id: this.sessionId });
      return { session, messages: await this.visible(client) };
    } catch (e) {
      if (hasCode(e, "NOT_FOUND")) return { session: undefined, messages: [] };
      throw e;
    }
  }

  private async visible(client: Client): Promise<Message[]> {
    return this.pages(client, false);
  }

  /** Every stored message, hidden ones included (they keep the op records of replaced histories until compaction). */
  private async hidden(client: Client): Promise<Message[]> {
    return this.pages(client, true);
  }

  private async pages(client: Client, includeHidden: boolean): Promise<Message[]> {
    const out: Message[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.messages.list({ sessionId: this.sessionId, limit: PAGE, cursor, includeHidden });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }
}

const differentTransaction = () => new UserError("Session history operation was already applied with a different transaction.");

/** True when `messages` hold the record of `op`; a UserError when they hold its id with another transaction. */
function recorded(messages: readonly Message[], op: OpRecord): boolean {
  for (const m of messages) {
    const stored = opOf(m);
    if (stored?.id !== op.id) continue;
    if (stored.digest !== op.digest) throw differentTransaction();
    return true;
  }
  return false;
}

/**
 * The new visible history: the kept prefix as stored (earlier op records ride along), then the
 * replacement. The op record goes on the first replacement message, or on the last kept one when
 * the replacement is empty; an operation that leaves the history empty has nowhere to keep it.
 */
function rewrite(prefix: readonly Message[], replacement: readonly AgentInputItem[], op: OpRecord): MessageInput[] {
  const kept = prefix.map(restate);
  const added = replacement.map((item, i) => encodeItem(item, i === 0 ? op : undefined));
  const last = kept.at(-1);
  if (added.length === 0 && last !== undefined) kept[kept.length - 1] = { ...last, op };
  return [...kept, ...added];
}

type Transaction = SessionHistoryTransactionArgs["transaction"];

/** Validates the arguments as the interface asks, before anything is written. */
function snapshotArgs(args: SessionHistoryTransactionArgs): { operationId: string; transaction: Transaction } {
  const { operationId, transaction } = (args ?? {}) as Partial<SessionHistoryTransactionArgs>;
  if (typeof operationId !== "string" || operationId.trim() === "") {
    throw new UserError("Session history transaction operationId must be a non-empty string.");
  }
  if (typeof transaction !== "object" || transaction === null) throw new UserError("Session history transaction must be an object.");
  const keys = Object.keys(transaction).sort().join(",");
  if (transaction.type === "append_items") {
    if (keys !== "items,type" || !Array.isArray(transaction.items)) throw new UserError("Session history append transaction fields are invalid.");
    checkItems(transaction.items);
    return { operationId, transaction: { type: "append_items", items: transaction.items } };
  }
  if (transaction.type === "replace_suffix") {
    if (keys !== "expectedSuffix,replacement,type" || !Array.isArray(transaction.expectedSuffix) || !Array.isArray(transaction.replacement)) {
      throw new UserError("Session history suffix transaction fields are invalid.");
    }
    checkItems(transaction.expectedSuffix);
    checkItems(transaction.replacement);
    return { operationId, transaction: { type: "replace_suffix", expectedSuffix: transaction.expectedSuffix, replacement: transaction.replacement } };
  }
  throw new UserError("Unsupported session history transaction type.");
}

/** The store keeps JSON: a value it cannot keep unchanged fails before anything is written. */
function checkJson(items: readonly AgentInputItem[]): void {
  if (!items.every((item) => isPlainJson(item))) throw new UserError("Session items must be plain JSON (no binary, functions or class instances).");
}

/** Transactions are compared by value, so (like MemorySession) their items must be plain JSON model items. */
function checkItems(items: readonly AgentInputItem[]): void {
  if (!items.every((item) => isPlainJson(item) && protocol.ModelItem.safeParse(item).success)) {
    throw new UserError("Session history transaction items contain invalid or unsupported data.");
  }
}
