/**
 * Claude Code transcripts, `~/.claude/projects/<slug>/<session>.jsonl` (the slug is the working
 * directory with `/` turned into `-`), subagent transcripts beside them (`agent-<id>.jsonl`, older
 * versions) or in `<session>/subagents/`. Anthropic documents no schema; the format here is the one
 * relayburn's reader parses (AgentWorkforce/burn packages/reader/src/claude.ts) and community
 * references describe (e.g. yongkangc/claude-ui knowledge/example-cc-config-folder.md,
 * Huntehhh/claude-code-chat docs/claude-cli-jsonl-format.md). Each line has a `type`:
 * - `user` / `assistant`: `{ parentUuid, isSidechain, userType, cwd, sessionId, version, gitBranch,
 *   type, message: { role, content, … }, uuid, timestamp, requestId? }`; an assistant message
 *   (Anthropic's: id, model, content, stop_reason, usage) is written as several lines sharing
 *   `message.id`, one per content block;
 * - `system`: `{ subtype, content, level, … }` (compact_boundary among them);
 * - `summary`: `{ summary, leafUuid }`, the title Claude Code shows;
 * - others (`file-history-snapshot`, `queue-operation`, …): kept in the file, counted.
 * Every user, assistant and system line is a message (role, content and the message's own fields
 * at the top, the line's other fields under `transcript`, `timestamp` as createdAt). Usage becomes
 * ledger turns exactly as relayburn keys them: source `claude-code`, the line's sessionId, the
 * Anthropic message id; usage from the first line of that id.
 */
import { basename, join } from "node:path";
import { canonicalTimestamp } from "../../domain/ledger-keys.js";
import type { Message, TokenStats } from "../../domain/conversations.js";
import type { Turn } from "../../domain/ledger.js";
import { isValidId } from "../../domain/schema.js";
import { asObject, asString, isDir, jsonObject, listDirs, listFiles } from "./files.js";
import type { ImportContext, Unit, UnitResult } from "./report.js";
import { restoreSession } from "./sessions.js";
import { ingestTurns, keep, readTranscript, rewriteNote, tokens } from "./transcript.js";

const SESSION_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.jsonl$/i;
const AGENT_FILE = /^agent-[0-9a-z-]+\.jsonl$/i;

export async function claudeCodeUnits(root: string): Promise<Unit[]> {
  const projects = (await isDir(join(root, "projects"))) ? join(root, "projects") : root;
  const units: Unit[] = [];
  const unit = (path: string, project: string, parent?: string): Unit =>
    ({ source: "claude-code", kind: "sessions", path, order: 1, keepInPlace: true, run: (ctx) => importTranscript(ctx, path, project, parent) });
  for (const dir of await listDirs(projects)) {
    const project = basename(dir);
    for (const f of await listFiles(dir, (n) => SESSION_FILE.test(n) || AGENT_FILE.test(n))) units.push(unit(f, project));
    for (const sessionDir of await listDirs(dir)) {
      for (const f of await listFiles(join(sessionDir, "subagents"), (n) => AGENT_FILE.test(n))) units.push(unit(f, project, basename(sessionDir)));
    }
  }
  return units;
}

/** relayburn's toUsage: cache writes split 5m/1h; an unsplit total counts as 5m. */
function usageOf(u: unknown): { usage: Turn["usage"]; split: { cacheCreate5m: number; cacheCreate1h: number } } {
  const input = tokens(u, "input_tokens");
  const output = tokens(u, "output_tokens");
  const cacheRead = tokens(u, "cache_read_input_tokens");
  const split = asObject(asObject(u)?.cache_creation);
  let c5 = tokens(split, "ephemeral_5m_input_tokens");
  const c1 = tokens(split, "ephemeral_1h_input_tokens");
  const total = tokens(u, "cache_creation_input_tokens");
  if (c5 === 0 && c1 === 0 && total > 0) c5 = total;
  return { usage: { input, output, cacheRead, cacheCreate: c5 + c1 }, split: { cacheCreate5m: c5, cacheCreate1h: c1 } };
}

/** The ledger turns of one transcript as relayburn derives them: one per message id, its first line deciding. */
class ClaudeTurns {
  private readonly byId = new Map<string, { turn: Turn; extra: Record<string, unknown> }>();
  /** Message ids whose lines carry no usable session id (relayburn would key them by ""). */
  readonly unkeyed: string[] = [];

  add(line: Record<string, unknown>, msg: Record<string, unknown>, ts: string): void {
    const id = asString(msg.id);
    if (!id) return;
    const model = asString(msg.model);
    const seen = this.byId.get(id);
    if (seen) {
      if (seen.turn.model === "unknown" && model) seen.turn.model = model;
      if (typeof msg.stop_reason === "string") seen.extra.stopReason = msg.stop_reason;
      return;
    }
    const sessionId = asString(line.sessionId);
    if (!sessionId || !isValidId(sessionId) || !isValidId(id)) {
      this.unkeyed.push(id);
      return;
    }
    const { usage, split } = usageOf(msg.usage);
    const extra: Record<string, unknown> = { usage: split };
    if (typeof msg.stop_reason === "string") extra.stopReason = msg.stop_reason;
    if (line.isSidechain === true) extra.isSidechain = true;
    const turn: Turn = { source: "claude-code", sessionId, messageId: id, turnIndex: this.byId.size, ts, model: model && isValidId(model) ? model : "unknown", usage, extra };
    const cwd = asString(line.cwd);
    if (cwd && isValidId(cwd)) turn.project = cwd;
    this.byId.set(id, { turn, extra });
  }

  get turns(): Turn[] {
    return [...this.byId.values()].map((x) => x.turn);
  }
}

async function importTranscript(ctx: ImportContext, file: string, project: string, parentSession?: string): Promise<UnitResult> {
  const t = await readTranscript(file);
  const stem = basename(file, ".jsonl");
  const messages: Message[] = [];
  const unreadLines: number[] = [];
  const kept: Record<string, number> = {};
  const summaries: { summary: unknown; leafUuid: unknown }[] = [];
  const ledger = new ClaudeTurns();
  let sessionId: string | undefined;
  let model: string | undefined;
  let envelope: Record<string, unknown> = {};
  let last: string | undefined;
  for (const { n, text } of t.lines) {
    const line = jsonObject(text);
    const type = line?.type;
    if (!line || typeof type !== "string") {
      unreadLines.push(n);
      continue;
    }
    if (type === "summary") {
      summaries.push({ summary: line.summary, leafUuid: line.leafUuid });
      continue;
    }
    if (type !== "user" && type !== "assistant" && type !== "system") {
      keep(kept, type);
      continue;
    }
    const createdAt = (typeof line.timestamp === "string" ? canonicalTimestamp(line.timestamp) : undefined) ?? last;
    const { message, timestamp: _ts, ...rest } = line;
    const msg = asObject(message) ?? {};
    const { role, content, ...fields } = msg;
    const { content: systemContent, ...systemRest } = rest;
    if (!createdAt) {
      unreadLines.push(n);
      continue;
    }
    last = createdAt;
    sessionId ??= asString(line.sessionId);
    envelope = rest;
    messages.push({
      ...(type === "system" ? {} : fields),
      role: typeof role === "string" && role !== "" ? role : type,
      content: type === "system" ? systemContent : content,
      transcript: type === "system" ? systemRest : rest,
      seq: messages.length + 1,
      createdAt,
    });
    if (type !== "assistant") continue;
    const m = asString(msg.model);
    if (m && m !== "<synthetic>") model = m;
    ledger.add(line, msg, createdAt);
  }
  const turns = ledger.turns;
  const notes: string[] = [];
  if (unreadLines.length > 0) notes.push(`line(s) ${unreadLines.join(", ")} are not Claude Code transcript lines`);
  if (ledger.unkeyed.length > 0) notes.push(`${ledger.unkeyed.length} assistant message(s) carry no usable session id; their usage is not in the ledger`);
  if (messages.length === 0) {
    // Only snapshots or summaries so far: nothing to show as a conversation yet.
    await ingestTurns(ctx, turns);
    return { status: "imported", notes, unreadLines, kept };
  }
  // A subagent transcript's lines carry its parent's sessionId: it is named under the parent.
  const parent = parentSession ?? (AGENT_FILE.test(basename(file)) ? sessionId : undefined);
  const id = parent !== undefined ? `${parent}/${stem}` : stem;
  const tokenStats: TokenStats = {
    inputTokens: turns.reduce((s, x) => s + x.usage.input, 0),
    outputTokens: turns.reduce((s, x) => s + x.usage.output, 0),
    requests: turns.length,
  };
  const title = summaries.length > 0 ? asString(summaries[summaries.length - 1].summary) : undefined;
  const rewritten = await rewriteNote(ctx, id, "claude-code", t);
  if (rewritten) notes.push(rewritten);
  const result = await restoreSession(ctx, {
    session: {
      id,
      title,
      model,
      tags: [],
      metadata: {
        project,
        cwd: envelope.cwd,
        gitBranch: envelope.gitBranch,
        version: envelope.version,
        ...(parent !== undefined ? { parentSessionId: parent } : {}),
        ...(summaries.length > 0 ? { summaries } : {}),
      },
      createdAt: messages[0].createdAt,
      updatedAt: messages[messages.length - 1].createdAt,
      truncatedBeforeSeq: 1,
      tokenStats,
    },
    messages,
    mark: { from: "claude-code", file, key: t.key, bytes: t.bytes },
    onChange: "restore",
  });
  await ingestTurns(ctx, turns);
  return { ...result, notes: [...notes, ...(result.notes ?? [])], unreadLines, kept };
}
