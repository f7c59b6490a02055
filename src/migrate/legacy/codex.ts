/**
 * Codex rollouts, `~/.codex/sessions/YYYY/MM/DD/rollout-<YYYY-MM-DDThh-mm-ss>-<thread id>.jsonl`
 * (openai/codex codex-rs/rollout: recorder.rs, tests.rs write_session_file). Each line is a
 * RolloutLine `{ timestamp, type, payload }` (codex-rs/protocol/src/protocol.rs, RolloutItem tagged
 * `type`/`payload`, snake_case):
 * - `session_meta`: `{ id, timestamp, cwd, originator, cli_version, instructions |
 *   base_instructions, source, model_provider, git, … }`, first line; the id names the session;
 * - `response_item`: the model's items (models.rs ResponseItem): `message` { role, content[] },
 *   `reasoning`, `function_call` { name, arguments, call_id }, `function_call_output` { call_id,
 *   output }, `custom_tool_call(_output)`, `local_shell_call`, `web_search_call`, …;
 * - `turn_context`: `{ turn_id, cwd, model, approval_policy, sandbox_policy, effort, … }`;
 * - `event_msg`: protocol events (`task_started` { turn_id }, `task_complete` { turn_id },
 *   `token_count` { info: { total_token_usage, last_token_usage } }, `user_message`,
 *   `agent_message`, `agent_reasoning` mirroring response items, …);
 * - `compacted`: `{ message, … }`, the summary that replaced the history.
 * Every response item and compaction is a message (the payload as written, `role` its own or
 * `tool` for an `*_output`, else `assistant`; `call_id` also as toolCallId; the line's timestamp as
 * createdAt). Usage becomes ledger turns exactly as relayburn's reader derives them
 * (AgentWorkforce/burn packages/reader/src/codex.ts): one per turn_id from task_started to
 * task_complete, usage the growth of total_token_usage (input without the cached part, cacheRead
 * the cached part), model from that turn's turn_context, keyed (`codex`, session id, turn_id).
 */
import { basename, join } from "node:path";
import type { Message } from "../../domain/conversations.js";
import { canonicalTimestamp } from "../../domain/ledger-keys.js";
import type { Turn } from "../../domain/ledger.js";
import { isValidId } from "../../domain/schema.js";
import { asObject, asString, isDir, jsonObject, listDirs, listFiles } from "./files.js";
import type { ImportContext, Unit, UnitResult } from "./report.js";
import { restoreSession } from "./sessions.js";
import { ingestTurns, keep, readTranscript, rewriteNote, tokens } from "./transcript.js";

const ROLLOUT = /^rollout-.+\.jsonl$/;

/** Rollouts under `root` (or `root/sessions`), in YYYY/MM/DD folders or directly in it (older versions). */
export async function codexUnits(root: string): Promise<Unit[]> {
  const sessions = (await isDir(join(root, "sessions"))) ? join(root, "sessions") : root;
  const files: string[] = [...(await listFiles(sessions, (n) => ROLLOUT.test(n)))];
  for (const year of await listDirs(sessions)) {
    for (const month of await listDirs(year)) {
      for (const day of await listDirs(month)) files.push(...(await listFiles(day, (n) => ROLLOUT.test(n))));
    }
  }
  return files.map((path) => ({ source: "codex", kind: "sessions", path, order: 1, keepInPlace: true, run: (ctx) => importRollout(ctx, path) }));
}

interface Cumulative {
  input: number;
  output: number;
  cacheRead: number;
  reasoning: number;
}

interface OpenTurn {
  turnId: string;
  ts?: string;
  model: string;
  project?: string;
  start: Cumulative;
  calls: number;
}

const EVENTS_FOR_TURNS = new Set(["task_started", "turn_started", "task_complete", "turn_complete", "token_count"]);

/** The thread id at the end of a rollout file name, for a file without session_meta. */
const idFromName = (file: string): string | undefined =>
  /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i.exec(basename(file))?.[1];

async function importRollout(ctx: ImportContext, file: string): Promise<UnitResult> {
  const t = await readTranscript(file);
  const messages: Message[] = [];
  const unreadLines: number[] = [];
  const kept: Record<string, number> = {};
  /** The latest session_meta, and its id when the last turn was committed (relayburn keys every turn by that). */
  let meta: Record<string, unknown> | undefined;
  let committedMeta: Record<string, unknown> | undefined;
  let model: string | undefined;
  let last: string | undefined;
  const contexts = new Map<string, Record<string, unknown>>();
  const cumulative: Cumulative = { input: 0, output: 0, cacheRead: 0, reasoning: 0 };
  let open: OpenTurn | undefined;
  const finished: (OpenTurn & { end: Cumulative })[] = [];
  let committed = 0;
  for (const { n, text } of t.lines) {
    const line = jsonObject(text);
    const payload = asObject(line?.payload);
    const type = line?.type;
    if (!line || typeof type !== "string" || !payload) {
      unreadLines.push(n);
      continue;
    }
    const at = (typeof line.timestamp === "string" ? canonicalTimestamp(line.timestamp) : undefined) ?? last;
    if (at) last = at;
    if (type === "session_meta") {
      if (meta) keep(kept, "earlierSessionMeta");
      meta = payload;
    } else if (type === "turn_context") {
      const turnId = asString(payload.turn_id);
      if (turnId) contexts.set(turnId, payload);
      if (asString(payload.model)) model = payload.model as string;
      if (open && turnId === open.turnId) {
        if (!open.model && asString(payload.model)) open.model = payload.model as string;
        open.project ??= asString(payload.cwd);
      }
      keep(kept, "turnContexts");
    } else if (type === "event_msg") {
      const kind = asString(payload.type) ?? "";
      if (!EVENTS_FOR_TURNS.has(kind)) keep(kept, "events");
      if (kind === "token_count") {
        const total = asObject(asObject(payload.info)?.total_token_usage);
        if (total) {
          cumulative.cacheRead = tokens(total, "cached_input_tokens");
          cumulative.input = tokens(total, "input_tokens") - cumulative.cacheRead;
          cumulative.output = tokens(total, "output_tokens");
          cumulative.reasoning = tokens(total, "reasoning_output_tokens");
        }
      } else if (kind === "task_started" || kind === "turn_started") {
        const turnId = asString(payload.turn_id);
        if (!turnId) continue;
        if (open) finished.push({ ...open, end: { ...cumulative } });
        const ctxLine = contexts.get(turnId);
        open = {
          turnId, ts: at, model: asString(ctxLine?.model) ?? "", project: asString(ctxLine?.cwd) ?? asString(meta?.cwd),
          start: { ...cumulative }, calls: 0,
        };
      } else if ((kind === "task_complete" || kind === "turn_complete") && open && payload.turn_id === open.turnId) {
        finished.push({ ...open, end: { ...cumulative } });
        open = undefined;
        committed = finished.length;
        committedMeta = meta;
      }
    } else if (type === "response_item" || type === "compacted") {
      if (!at) {
        unreadLines.push(n);
        continue;
      }
      const itemType = type === "compacted" ? "compacted" : asString(payload.type) ?? "";
      const role = asString(payload.role) ?? (itemType.endsWith("_output") ? "tool" : "assistant");
      const callId = asString(payload.call_id);
      if (open && (itemType === "function_call" || itemType === "custom_tool_call") && callId) open.calls++;
      messages.push({
        ...(type === "compacted" ? { type: "compacted" } : {}),
        ...payload,
        role,
        ...(callId && role === "tool" ? { toolCallId: callId } : {}),
        seq: messages.length + 1,
        createdAt: at,
      });
    } else keep(kept, type);
  }
  // relayburn emits only turns up to the last task_complete: a later one may still be running.
  finished.length = committed;
  meta = committedMeta ?? meta;
  const sessionId = asString(meta?.id) ?? idFromName(file);
  const notes: string[] = [];
  if (unreadLines.length > 0) notes.push(`line(s) ${unreadLines.join(", ")} are not Codex rollout lines`);
  const turns: Turn[] = [];
  if (sessionId && isValidId(sessionId)) {
    finished.forEach((f, i) => {
      if (!f.ts || !isValidId(f.turnId)) return;
      const turn: Turn = {
        source: "codex", sessionId, messageId: f.turnId, turnIndex: i, ts: f.ts, model: f.model !== "" && isValidId(f.model) ? f.model : "unknown",
        usage: {
          input: Math.max(0, f.end.input - f.start.input),
          output: Math.max(0, f.end.output - f.start.output),
          reasoning: Math.max(0, f.end.reasoning - f.start.reasoning),
          cacheRead: Math.max(0, f.end.cacheRead - f.start.cacheRead),
          cacheCreate: 0,
        },
        toolCalls: f.calls,
      };
      if (f.project && isValidId(f.project)) turn.project = f.project;
      turns.push(turn);
    });
  } else if (finished.length > 0) notes.push("no session id (session_meta) in the rollout; its usage is not in the ledger");
  if (!sessionId || messages.length === 0) {
    await ingestTurns(ctx, turns);
    if (!sessionId) return { status: "skipped", reason: "no session_meta with an id, and no thread id in the file name", notes, unreadLines, kept };
    return { status: "imported", notes, unreadLines, kept };
  }
  const { id: _id, timestamp, ...metadata } = meta ?? {};
  const first = messages[0].createdAt;
  const createdAt = (typeof timestamp === "string" ? canonicalTimestamp(timestamp) : undefined) ?? first;
  const rewritten = await rewriteNote(ctx, sessionId, "codex", t);
  if (rewritten) notes.push(rewritten);
  const result = await restoreSession(ctx, {
    session: {
      id: sessionId,
      model,
      tags: [],
      metadata: sizedMetadata(ctx, metadata, notes),
      createdAt: createdAt < first ? createdAt : first,
      updatedAt: last ?? messages[messages.length - 1].createdAt,
      truncatedBeforeSeq: 1,
      tokenStats: {
        inputTokens: turns.reduce((s, x) => s + x.usage.input, 0),
        outputTokens: turns.reduce((s, x) => s + x.usage.output, 0),
        requests: turns.length,
      },
    },
    messages,
    mark: { from: "codex", file, key: t.key, bytes: t.bytes },
    onChange: "restore",
  });
  await ingestTurns(ctx, turns);
  return { ...result, notes: [...notes, ...(result.notes ?? [])], unreadLines, kept };
}

/**
 * session_meta as the session's metadata. Its instructions can be tens of kilobytes; when they
 * push the metadata over the size limit they are left out (they stay in the rollout) and noted.
 */
function sizedMetadata(ctx: ImportContext, meta: Record<string, unknown>, notes: string[]): Record<string, unknown> {
  if (Buffer.byteLength(JSON.stringify(meta), "utf8") <= ctx.maxValueBytes) return meta;
  const { instructions: _i, base_instructions: _b, ...rest } = meta;
  notes.push("session_meta instructions are over the size limit; left out of the session's metadata (they stay in the rollout)");
  return rest;
}
