/**
 * infer's conversation files, `conversations/<id>.jsonl`, in both formats its JsonlStorage has
 * written (inference-gateway/cli internal/infra/storage/jsonl.go):
 * - v1: `{"metadata":{…}}` then `{"entries":[…]}`;
 * - v2: `{"v":2,"type":"entry","index":0,"entry":{…}}`, further `{"type":"entry","index":N,…}`
 *   lines and `{"type":"meta","metadata":{…}}` lines anywhere; the last meta wins, a rewritten
 *   index the later line.
 * An entry (domain.ConversationEntry) holds `message` (role, content, tool_calls, …), `model`,
 * `time`, `hidden`, `images`, `reasoning_content`, tool and plan fields. The metadata
 * (domain.ConversationMetadata) holds id, title, created_at, updated_at, message_count,
 * token_stats (total_input_tokens, total_output_tokens, total_tokens, request_count,
 * last_input_tokens, total_cached_tokens, total_cache_write_tokens), cost_stats, model, tags and
 * more; every field not mapped onto the session is kept in its metadata.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Message, TokenStats } from "../../domain/conversations.js";
import { allLines, asObject, asString, contentKey, isoTime, jsonObject, mtimeOf } from "./files.js";
import { skipped, type ImportContext, type UnitResult } from "./report.js";
import { restoreSession, timeRange } from "./sessions.js";

interface Entry {
  seq: number;
  entry: Record<string, unknown>;
  line: number;
}

export interface ParsedConversation {
  entries: Entry[];
  metadata: Record<string, unknown>;
  unreadLines: number[];
}

/** Parses either format; throws when the file is neither. */
export function parseInferConversation(text: string): ParsedConversation {
  const lines = allLines(text).map((l) => ({ ...l, obj: jsonObject(l.text) }));
  const unreadLines: number[] = [];
  const first = lines.find((l) => l.obj !== undefined)?.obj;
  if (!first) throw new Error("no JSON lines");
  if (first.v === 2 || first.type === "entry" || first.type === "meta") {
    const byIndex = new Map<number, Entry>();
    let metadata: Record<string, unknown> = {};
    let next = 0;
    for (const { n, obj } of lines) {
      if (obj?.type === "meta" && asObject(obj.metadata)) metadata = obj.metadata as Record<string, unknown>;
      else if (obj?.type === "entry" && asObject(obj.entry)) {
        const index = typeof obj.index === "number" && Number.isInteger(obj.index) && obj.index >= 0 ? obj.index : next;
        byIndex.set(index, { seq: index + 1, entry: obj.entry as Record<string, unknown>, line: n });
        next = index + 1;
      } else unreadLines.push(n);
    }
    return { entries: [...byIndex.values()].sort((a, b) => a.seq - b.seq), metadata, unreadLines };
  }
  if (asObject(first.metadata)) {
    const entriesLine = lines.find((l) => Array.isArray(l.obj?.entries));
    for (const l of lines) if (l.obj !== first && l !== entriesLine) unreadLines.push(l.n);
    const entries = ((entriesLine?.obj?.entries as unknown[]) ?? []).flatMap((e, i) => {
      const entry = asObject(e);
      return entry ? [{ seq: i + 1, entry, line: entriesLine?.n ?? 2 }] : [];
    });
    return { entries, metadata: first.metadata as Record<string, unknown>, unreadLines };
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
 * entry's other fields (`model`, `hidden`, `images`, …) where the message has no field of that
 * name, else under `entry`. The entry's `time` is the message's createdAt.
 */
export function entryToMessage(entry: Record<string, unknown>, seq: number, fallbackTime: string): Message | undefined {
  const source = asObject(entry.message) ?? (typeof entry.role === "string" ? entry : undefined);
  if (!source || typeof source.role !== "string" || source.role === "") return undefined;
  const message: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(source)) {
    if (v === null || v === undefined || k === "seq" || k === "createdAt") continue;
    message[RENAMES[k] ?? k] = v;
  }
  const rest: Record<string, unknown> = {};
  if (source !== entry) {
    for (const [k, v] of Object.entries(entry)) {
      if (k === "message" || k === "time" || v === null || v === undefined) continue;
      const name = RENAMES[k] ?? k;
      if (name in message) rest[k] = v;
      else message[name] = v;
    }
  }
  if (Object.keys(rest).length > 0) message.entry = rest;
  return { ...(message as { role: string }), seq, createdAt: isoTime(entry.time) ?? fallbackTime };
}

const num = (v: unknown): number => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : 0);

function tokenStatsOf(v: unknown): TokenStats {
  const t = asObject(v) ?? {};
  return {
    inputTokens: num(t.total_input_tokens ?? t.input_tokens ?? t.inputTokens),
    outputTokens: num(t.total_output_tokens ?? t.output_tokens ?? t.outputTokens),
    requests: num(t.request_count ?? t.requests),
  };
}

export async function importConversation(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  let parsed: ParsedConversation;
  try {
    parsed = parseInferConversation(text);
  } catch (err) {
    return skipped(ctx, "sessions", (err as Error).message);
  }
  const meta = parsed.metadata;
  const fileTime = await mtimeOf(file);
  const entryTimes = timeRange(parsed.entries.map((e) => isoTime(e.entry.time)));
  const createdAt = isoTime(meta.created_at) ?? entryTimes.first ?? fileTime;
  const unread = new Set(parsed.unreadLines);
  const messages: Message[] = [];
  let previous = createdAt;
  for (const e of parsed.entries) {
    const m = entryToMessage(e.entry, e.seq, previous);
    if (!m) {
      unread.add(e.line);
      continue;
    }
    previous = m.createdAt;
    messages.push(m);
  }
  // infer hides entries one by one; agentstate hides a prefix. Leading hidden entries become the
  // hidden prefix; hidden ones later in the thread stay visible and keep `hidden: true`.
  const firstShown = messages.find((m) => m.hidden !== true);
  const truncatedBeforeSeq = firstShown ? firstShown.seq : (messages[messages.length - 1]?.seq ?? 0) + 1;
  const { id: _id, title, model, tags, summary, created_at: _c, updated_at, cost_stats, ...rest } = meta;
  const key = contentKey("infer-conversation", text);
  const result = await restoreSession(ctx, {
    session: {
      id: asString(meta.id) ?? basename(file, ".jsonl"),
      title: asString(title),
      model: asString(model),
      tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [],
      // token_stats stays in metadata whole: agentstate's tokenStats has no place for total_tokens,
      // last_input_tokens or the cache counts.
      metadata: rest,
      summary: asString(summary),
      createdAt,
      updatedAt: isoTime(updated_at) ?? entryTimes.last ?? createdAt,
      truncatedBeforeSeq,
      tokenStats: tokenStatsOf(meta.token_stats),
      costStats: asObject(cost_stats),
    },
    messages,
    mark: { from: "infer", file, key },
    onChange: "skip",
  });
  const unreadLines = [...unread].sort((a, b) => a - b);
  const notes = result.notes ?? [];
  if (unreadLines.length > 0) notes.unshift(`${unreadLines.length} line(s) hold no entry with a message role, or no JSON; the file stays in place`);
  return { ...result, notes, unreadLines };
}
