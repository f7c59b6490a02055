/**
 * relayburn's ledger lines (AgentWorkforce/burn packages/ledger/src/schema.ts, writer.ts) and how
 * each becomes ledger turns or is classified:
 * - `{"v":1,"kind":"turn","record":{…TurnRecord}}`: a turn (packages/reader/src/types.ts:
 *   source, sessionId, messageId, turnIndex, ts, model, project?, projectKey?, usage { input,
 *   output, reasoning, cacheRead, cacheCreate5m, cacheCreate1h }, toolCalls[], filesTouched?,
 *   subagent?, stopReason?, activity?, retries?, hasEdits?, fidelity?, sessionPath?);
 * - `{"v":1,"kind":"stamp","ts","selector":{sessionId?,messageId?,range?},"enrichment":{…}}`:
 *   enrichment for the turns its selector names, folded in `ts` order like relayburn's reader
 *   (packages/ledger/src/reader.ts foldStamps, schema.ts stampMatches);
 * - `compaction`, `relationship`, `tool_result_event`, `user_turn` (and any other `{v:1,kind}`
 *   a newer relayburn adds): kinds agentstate does not store; counted and left in the file.
 */
import { canonicalTimestamp, idHash } from "../../domain/ledger-keys.js";
import type { Turn, Usage } from "../../domain/ledger.js";
import { isValidId } from "../../domain/schema.js";
import { asObject, jsonObject, type NumberedLine } from "./files.js";

/** Report names of the kinds relayburn writes that agentstate does not store. */
export const KEPT_KINDS: Record<string, string> = {
  compaction: "compactions",
  relationship: "relationships",
  tool_result_event: "toolResultEvents",
  user_turn: "userTurns",
};

interface Stamp {
  ts: string;
  line: number;
  sessionId?: string;
  messageId?: string;
  fromTs?: string;
  toTs?: string;
  enrichment: Record<string, unknown>;
}

export interface ParsedLedger {
  turns: { line: number; record: Record<string, unknown> }[];
  stamps: Stamp[];
  /** Kept records by report kind. */
  kept: Record<string, number>;
  unread: { line: number; why: string }[];
}

export function parseLedger(lines: NumberedLine[]): ParsedLedger {
  const out: ParsedLedger = { turns: [], stamps: [], kept: {}, unread: [] };
  for (const { n, text } of lines) {
    const obj = jsonObject(text);
    if (!obj) {
      out.unread.push({ line: n, why: "not a JSON object" });
      continue;
    }
    if (obj.v !== 1 || typeof obj.kind !== "string") {
      out.unread.push({ line: n, why: "not a relayburn ledger line ({\"v\":1,\"kind\":…})" });
      continue;
    }
    if (obj.kind === "turn") {
      const record = asObject(obj.record);
      if (record) out.turns.push({ line: n, record });
      else out.unread.push({ line: n, why: "a turn line without a record" });
    } else if (obj.kind === "stamp") {
      const stamp = toStamp(obj, n);
      if (typeof stamp === "string") out.unread.push({ line: n, why: stamp });
      else out.stamps.push(stamp);
    } else {
      const kind = KEPT_KINDS[obj.kind] ?? obj.kind;
      out.kept[kind] = (out.kept[kind] ?? 0) + 1;
    }
  }
  // relayburn folds stamps in ts order (a stable sort: equal ts keep file order), later keys win.
  out.stamps.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return out;
}

function toStamp(obj: Record<string, unknown>, line: number): Stamp | string {
  const selector = asObject(obj.selector);
  const enrichment = asObject(obj.enrichment);
  if (typeof obj.ts !== "string" || !selector || !enrichment) return "a stamp line without ts, selector or enrichment";
  const range = asObject(selector.range);
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const stamp: Stamp = { ts: obj.ts, line, enrichment, sessionId: str(selector.sessionId), messageId: str(selector.messageId) };
  if (range) {
    stamp.fromTs = str(range.fromTs) ?? "";
    stamp.toTs = str(range.toTs) ?? "";
  }
  if (stamp.sessionId === undefined && stamp.messageId === undefined && !range) return "a stamp whose selector names nothing";
  return stamp;
}

/** relayburn's stampMatches: every given selector field must match; a range bounds ts (inclusive, string order). */
export function stampMatches(s: Stamp, record: Record<string, unknown>): boolean {
  if (s.sessionId !== undefined && s.sessionId !== record.sessionId) return false;
  if (s.messageId !== undefined && s.messageId !== record.messageId) return false;
  const ts = typeof record.ts === "string" ? record.ts : "";
  if (s.fromTs && ts < s.fromTs) return false;
  if (s.toTs && ts > s.toTs) return false;
  return true;
}

const count = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined);
const name = (v: unknown): string | undefined => (typeof v === "string" && isValidId(v) ? v : undefined);

/** Fields of a TurnRecord mapped onto the Turn; the rest go to `extra`. */
const MAPPED = new Set(["v", "source", "sessionId", "messageId", "turnIndex", "ts", "model", "project", "usage", "toolCalls"]);
const USAGE_MAPPED = new Set(["input", "output", "reasoning", "cacheRead", "cacheCreate5m", "cacheCreate1h", "cacheCreate"]);

/**
 * A TurnRecord as a ledger Turn, or why it cannot be one. `usage.cacheCreate` is
 * cacheCreate5m + cacheCreate1h, the split kept in `extra.usage`; the fold of the stamps that
 * select the turn is `extra.enrichment`. A model relayburn left empty is `unknown`, the name its
 * own summary groups such turns under.
 */
export function toTurn(record: Record<string, unknown>, enrichment: Record<string, unknown>): Turn | string {
  const source = name(record.source);
  const sessionId = name(record.sessionId);
  const messageId = name(record.messageId);
  if (!source || !sessionId || !messageId) return "a turn without a valid source, sessionId or messageId";
  const ts = typeof record.ts === "string" ? canonicalTimestamp(record.ts) : undefined;
  if (!ts) return `a turn without a valid time (${JSON.stringify(record.ts)})`;
  const model = record.model === "" || record.model === undefined || record.model === null ? "unknown" : name(record.model);
  if (!model) return `a turn whose model is not a name (${JSON.stringify(record.model)})`;
  const u = asObject(record.usage) ?? {};
  const c5 = count(u.cacheCreate5m);
  const c1 = count(u.cacheCreate1h);
  const usage: Usage = { input: count(u.input) ?? 0, output: count(u.output) ?? 0 };
  const reasoning = count(u.reasoning);
  const cacheRead = count(u.cacheRead);
  const cacheCreate = c5 !== undefined || c1 !== undefined ? (c5 ?? 0) + (c1 ?? 0) : count(u.cacheCreate);
  if (reasoning !== undefined) usage.reasoning = reasoning;
  if (cacheRead !== undefined) usage.cacheRead = cacheRead;
  if (cacheCreate !== undefined) usage.cacheCreate = cacheCreate;
  const turn: Turn = { source, sessionId, messageId, ts, model, usage };
  const turnIndex = count(record.turnIndex);
  if (turnIndex !== undefined) turn.turnIndex = turnIndex;
  const project = name(record.project);
  if (project) turn.project = project;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (!MAPPED.has(k)) extra[k] = v;
  if (record.project !== undefined && !project) extra.project = record.project;
  const usageExtra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(u)) if (!USAGE_MAPPED.has(k) || k === "cacheCreate5m" || k === "cacheCreate1h") usageExtra[k] = v;
  if (Object.keys(usageExtra).length > 0) extra.usage = usageExtra;
  if (Array.isArray(record.toolCalls)) {
    turn.toolCalls = record.toolCalls.length;
    extra.toolCalls = record.toolCalls;
  } else if (count(record.toolCalls) !== undefined) turn.toolCalls = count(record.toolCalls);
  if (Object.keys(enrichment).length > 0) extra.enrichment = enrichment;
  if (Object.keys(extra).length > 0) turn.extra = extra;
  return turn;
}

/** The key relayburn and the ledger share (domain/ledger-keys.ts). */
export const turnKey = (t: Pick<Turn, "source" | "sessionId" | "messageId">): string => idHash(t.source, t.sessionId, t.messageId);
