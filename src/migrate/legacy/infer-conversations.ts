/**
 * infer's conversation files, `conversations/<id>.jsonl`, in both formats infer has written:
 * - v1: `{"metadata":{…}}` then `{"entries":[…]}`;
 * - v2: `{"v":2,"type":"entry","index":N,"entry":{…}}` lines and `{"type":"meta","metadata":{…}}`
 *   lines anywhere; the last meta wins.
 * An entry holds `message` (role, content, tool_calls, …), `model`, `time` and more.
 */
import type { MessageInput, TokenStats } from "../../domain/conversations.js";
import { asObject, asString, isoTime } from "./files.js";
import type { SessionImport } from "./sessions.js";

export interface ParsedConversation {
  entries: Record<string, unknown>[];
  metadata: Record<string, unknown>;
  notes: string[];
}

/** Parses either format; throws when the file is neither. A torn last line (infer crashed) is noted and left out. */
export function parseInferConversation(text: string): ParsedConversation {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const notes: string[] = [];
  const parsed: (Record<string, unknown> | undefined)[] = lines.map((l, i) => {
    try {
      return asObject(JSON.parse(l));
    } catch {
      notes.push(`line ${i + 1} is not JSON; left out`);
      return undefined;
    }
  });
  const first = parsed.find((p) => p !== undefined);
  if (!first) throw new Error("no JSON lines");
  if (first.v === 2 || first.type === "entry" || first.type === "meta") {
    const byIndex = new Map<number, Record<string, unknown>>();
    let metadata: Record<string, unknown> = {};
    let next = 0;
    for (const p of parsed) {
      if (!p) continue;
      if (p.type === "meta") metadata = asObject(p.metadata) ?? metadata;
      else if (p.type === "entry" && asObject(p.entry)) {
        const index = typeof p.index === "number" ? p.index : next;
        byIndex.set(index, p.entry as Record<string, unknown>); // a rewritten index: the later line wins
        next = index + 1;
      }
    }
    const entries = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
    return { entries, metadata, notes };
  }
  if (asObject(first.metadata)) {
    const entriesLine = parsed.find((p) => p && Array.isArray(p.entries));
    const entries = ((entriesLine?.entries as unknown[]) ?? []).map(asObject).filter((e): e is Record<string, unknown> => e !== undefined);
    return { entries, metadata: first.metadata as Record<string, unknown>, notes };
  }
  throw new Error("neither infer's v1 nor v2 conversation format");
}

/** snake_case names infer (OpenAI style) writes, and the names agentstate messages use. */
const RENAMES: Record<string, string> = {
  tool_calls: "toolCalls",
  tool_call_id: "toolCallId",
  reasoning_content: "reasoning",
};

/**
 * One entry as a message: the message's own fields (a few renamed to agentstate's names), then the
 * entry's other fields (`model`, `time`, `hidden`, …) where the message has no field of that name,
 * else under `entry`. `time` stays as infer wrote it: the store stamps `createdAt` with the import time.
 */
export function entryToMessage(entry: Record<string, unknown>): MessageInput | undefined {
  const source = asObject(entry.message) ?? (typeof entry.role === "string" ? entry : undefined);
  if (!source || typeof source.role !== "string" || source.role === "") return undefined;
  const message: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) {
    if (v === null || v === undefined) continue;
    message[RENAMES[k] ?? k] = v;
  }
  if (source === entry) return message as MessageInput;
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) {
    if (k === "message" || v === null || v === undefined) continue;
    if (k in message) rest[k] = v;
    else message[k] = v;
  }
  if (Object.keys(rest).length > 0) message.entry = rest;
  return message as MessageInput;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : 0);

function tokenStatsOf(v: unknown): TokenStats | undefined {
  const t = asObject(v);
  if (!t) return undefined;
  return {
    inputTokens: num(t.total_input_tokens ?? t.input_tokens ?? t.inputTokens),
    outputTokens: num(t.total_output_tokens ?? t.output_tokens ?? t.outputTokens),
    requests: num(t.request_count ?? t.requests),
  };
}

/** The session to create: id from the metadata (else the file name), title, tags, model, and the rest kept in metadata. */
export function inferSession(parsed: ParsedConversation, fileStem: string, key: string, file: string): SessionImport {
  const meta = parsed.metadata;
  const messages: MessageInput[] = [];
  let hiddenLeading = 0;
  let skipped = 0;
  for (const e of parsed.entries) {
    const m = entryToMessage(e);
    if (!m) {
      skipped++;
      continue;
    }
    messages.push(m);
  }
  // infer marks hidden entries per entry; agentstate hides a prefix. Leading hidden entries map to
  // hidden messages; hidden ones later in the thread stay visible and keep `hidden: true`.
  while (hiddenLeading < messages.length && messages[hiddenLeading].hidden === true) hiddenLeading++;
  if (skipped > 0) parsed.notes.push(`${skipped} entr${skipped === 1 ? "y has" : "ies have"} no message with a role; left out`);
  const { id: _id, title, model, tags, token_stats, cost_stats, summary, ...rest } = meta;
  return {
    id: asString(meta.id) ?? fileStem,
    title: asString(title),
    model: asString(model),
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [],
    metadata: {
      ...rest,
      imported: { from: "infer", file, key, createdAt: isoTime(meta.created_at), updatedAt: isoTime(meta.updated_at) },
    },
    messages,
    hidden: hiddenLeading,
    summary: asString(summary),
    tokenStats: tokenStatsOf(token_stats),
    costStats: asObject(cost_stats),
    key,
  };
}
