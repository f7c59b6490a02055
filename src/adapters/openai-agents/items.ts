/**
 * How an OpenAI Agents item is kept as an agentstate message: `{ role, item, op? }`.
 *
 * - `role` is the item's own role (user, assistant, system, developer) or, for items without one,
 *   its type (function_call, function_call_result, reasoning, compaction, …): agentstate messages
 *   need a string role, and people reading the session with `agentstate messages list` see what
 *   each entry is.
 * - `item` is the item exactly as given. Nesting it keeps the store's own fields (seq, createdAt)
 *   from ever meeting an item field of the same name.
 * - `op` marks the first message an applyHistoryTransaction wrote: `{ id: operationId, digest }`,
 *   the durable record that makes a repeated operation id recognisable (docs/adapters.md).
 *
 * Messages written by other tools (no `item` field) read back as the message itself without the
 * store's fields, so `{ role: "user", content: "hi" }` appended by the CLI is a user message item.
 */
import type { AgentInputItem } from "@openai/agents-core";
import type { Message, MessageInput } from "../../domain/conversations.js";
import { canonicalJson, sha256 } from "../json.js";

export interface OpRecord {
  id: string;
  digest: string;
}

export function roleOf(item: AgentInputItem): string {
  const r = item as { role?: unknown; type?: unknown };
  if (typeof r.role === "string" && r.role.length > 0) return r.role;
  if (typeof r.type === "string" && r.type.length > 0) return r.type;
  return "item";
}

export const encodeItem = (item: AgentInputItem, op?: OpRecord): MessageInput =>
  op === undefined ? { role: roleOf(item), item } : { role: roleOf(item), item, op };

export function decodeItem(message: Message): AgentInputItem {
  if (typeof message.item === "object" && message.item !== null) return message.item as AgentInputItem;
  const { seq: _seq, createdAt: _createdAt, ...rest } = message;
  return rest as unknown as AgentInputItem;
}

export function opOf(message: Message): OpRecord | undefined {
  const op = message.op as Partial<OpRecord> | undefined;
  return typeof op?.id === "string" && typeof op.digest === "string" ? { id: op.id, digest: op.digest } : undefined;
}

/** A stored message as input for a rewrite: the same fields, without the ones the store assigns. */
export function restate(message: Message): MessageInput {
  const { seq: _seq, createdAt: _createdAt, ...rest } = message;
  return rest;
}

/** Two item lists are the same history when their canonical JSON is (the runner compares them so too). */
export const sameItems = (a: readonly AgentInputItem[], b: readonly AgentInputItem[]): boolean =>
  a.length === b.length && a.every((x, i) => canonicalJson(x) === canonicalJson(b[i]));

export const digestOf = (transaction: unknown): string => sha256(canonicalJson(transaction)).slice(0, 32);

/** The messages.append idempotency key of an operation: a fixed-size id whatever the operationId holds. */
export const idempotencyKeyOf = (operationId: string): string => `oa1:${sha256(operationId).slice(0, 48)}`;
