/**
 * relayburn's usage ledger, `~/.relayburn/ledger.jsonl`: one turn record per line, keyed by the
 * same idHash agentstate uses (domain/ledger-keys.ts), so ingesting is idempotent by itself: turns
 * already stored (from an earlier run, another host or the same line twice) count as duplicates.
 * Field names are read in camelCase or snake_case; fields the Turn record has no place for go to
 * `extra`.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { canonicalTimestamp, idHash } from "../../domain/ledger-keys.js";
import { MAX_INGEST_TURNS, type Turn, type Usage } from "../../domain/ledger.js";
import { isValidId } from "../../domain/schema.js";
import { asObject, chunks, exists } from "./files.js";
import type { ImportContext, Unit, UnitResult } from "./report.js";

export async function relayburnUnits(root: string): Promise<Unit[]> {
  const file = join(root, "ledger.jsonl");
  if (!(await exists(file))) return [];
  return [{ source: "relayburn", kind: "turns", path: file, order: 1, run: (ctx) => importLedger(ctx, file) }];
}

const pick = (r: Record<string, unknown>, used: Set<string>, ...names: string[]): unknown => {
  for (const n of names) {
    if (r[n] !== undefined && r[n] !== null) {
      used.add(n);
      return r[n];
    }
  }
  names.forEach((n) => used.add(n));
  return undefined;
};
const count = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined);
const name = (v: unknown): string | undefined => (typeof v === "string" && isValidId(v) ? v : undefined);

/** One ledger line as a Turn, or the reason it cannot be one. */
export function toTurn(record: Record<string, unknown>): Turn | string {
  const used = new Set<string>(["idHash", "id_hash", "id"]);
  const source = name(pick(record, used, "source", "harness", "tool"));
  const sessionId = name(pick(record, used, "sessionId", "session_id"));
  const messageId = name(pick(record, used, "messageId", "message_id"));
  const rawTs = pick(record, used, "ts", "timestamp", "time");
  const ts = typeof rawTs === "string" ? canonicalTimestamp(rawTs) : typeof rawTs === "number" ? new Date(rawTs).toISOString() : undefined;
  const model = name(pick(record, used, "model"));
  if (!source || !sessionId || !messageId) return "no source, sessionId or messageId";
  if (!ts) return `no valid time (${JSON.stringify(rawTs)})`;
  if (!model) return "no model";
  const u = asObject(pick(record, used, "usage")) ?? {};
  const usedU = new Set<string>();
  const usage: Usage = {
    input: count(pick(u, usedU, "input", "input_tokens", "inputTokens")) ?? 0,
    output: count(pick(u, usedU, "output", "output_tokens", "outputTokens")) ?? 0,
  };
  const reasoning = count(pick(u, usedU, "reasoning", "reasoning_tokens", "reasoningTokens"));
  const cacheRead = count(pick(u, usedU, "cacheRead", "cache_read", "cache_read_tokens", "cacheReadTokens"));
  const cacheCreate = count(pick(u, usedU, "cacheCreate", "cache_create", "cache_creation", "cache_creation_tokens", "cacheCreateTokens"));
  if (reasoning !== undefined) usage.reasoning = reasoning;
  if (cacheRead !== undefined) usage.cacheRead = cacheRead;
  if (cacheCreate !== undefined) usage.cacheCreate = cacheCreate;
  const turn: Turn = { source, sessionId, messageId, ts, model, usage };
  const turnIndex = count(pick(record, used, "turnIndex", "turn_index"));
  const project = name(pick(record, used, "project", "cwd"));
  const host = name(pick(record, used, "host", "hostname"));
  const cost = pick(record, used, "costUsd", "cost_usd", "cost");
  const tools = pick(record, used, "toolCalls", "tool_calls");
  if (turnIndex !== undefined) turn.turnIndex = turnIndex;
  if (project) turn.project = project;
  if (host) turn.host = host;
  if (typeof cost === "number" && cost >= 0 && Number.isFinite(cost)) turn.costUsd = cost;
  const toolCount = Array.isArray(tools) ? tools.length : count(tools);
  if (toolCount !== undefined) turn.toolCalls = toolCount;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (!used.has(k)) extra[k] = v;
  const extraUsage = Object.fromEntries(Object.entries(u).filter(([k]) => !usedU.has(k)));
  if (Object.keys(extraUsage).length > 0) extra.usage = extraUsage;
  if (Array.isArray(tools)) extra.toolCalls = tools;
  const given = record.idHash ?? record.id_hash;
  if (typeof given === "string" && given !== idHash(source, sessionId, messageId)) extra.legacyIdHash = given;
  if (Object.keys(extra).length > 0) turn.extra = extra;
  return turn;
}

async function importLedger(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  const turns: Turn[] = [];
  const notes: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let turn: Turn | string;
    try {
      const record = asObject(JSON.parse(line));
      turn = record ? toTurn(record) : "not a JSON object";
    } catch {
      turn = "not JSON";
    }
    if (typeof turn === "string") {
      if (notes.length < 100) notes.push(`line ${i + 1}: ${turn}; left out`);
      ctx.count("turns", "skipped");
    } else turns.push(turn);
  });
  if (notes.length === 100) notes.push("(further skipped lines not listed)");
  if (ctx.dryRun) {
    // As ingest would count them: a turn repeated inside the file is stored once. (Turns an earlier
    // import stored are not looked up: the ledger has no lookup by idHash.)
    const distinct = new Set(turns.map((t) => idHash(t.source, t.sessionId, t.messageId))).size;
    ctx.count("turns", "imported", distinct);
    ctx.count("turns", "existing", turns.length - distinct);
    return { status: "imported", notes };
  }
  for (const batch of chunks(turns, MAX_INGEST_TURNS / 10)) {
    const r = await ctx.backend.ledger.ingest(batch);
    ctx.count("turns", "imported", r.inserted);
    ctx.count("turns", "existing", r.duplicates);
    await ctx.pause();
  }
  return { status: "imported", notes };
}
