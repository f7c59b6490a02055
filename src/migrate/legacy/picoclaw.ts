/**
 * picoclaw's sessions under its workspace (`~/.picoclaw/workspace/sessions/`), as sipeed/picoclaw
 * writes them:
 * - legacy `<name>.json` (pkg/session Session): `{ key, messages[], summary, created, updated }`;
 * - `<name>.jsonl`, one providers.Message per line, append-only, with `<name>.meta.json`
 *   (pkg/memory SessionMeta, written with 2-space indentation): `{ key, summary, skip, count,
 *   created_at, updated_at }`, and in current versions `scope` (a JSON object), `aliases` and the
 *   `thread_*` / `history_slot` fields. The first `skip` non-empty lines were truncated away.
 * Current keys are opaque (`sk_v1_<sha256>`): the name a user knows is one of the `aliases`, which
 * become the session's aliases (unique across sessions), so the session is found by it. File names
 * are a lossy encoding of the key (`:` became `_`), so the key always comes from the content; only
 * a jsonl without its meta file falls back to the file name (noted in the report).
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Message } from "../../domain/conversations.js";
import { isConflict } from "../../domain/errors.js";
import { allLines, asObject, asString, contentKey, exists, isoTime, jsonObject, listFiles, mtimeOf } from "./files.js";
import { skipped, type ImportContext, type Unit, type UnitResult } from "./report.js";
import { restoreSession, type SessionDraft } from "./sessions.js";

export async function picoclawUnits(root: string): Promise<Unit[]> {
  const dir = join(root, "sessions");
  const units: Unit[] = [];
  for (const f of await listFiles(dir, (n) => n.endsWith(".json") && !n.endsWith(".meta.json"))) {
    units.push({ source: "picoclaw", kind: "sessions", path: f, order: 1, run: (ctx) => importLegacy(ctx, f) });
  }
  for (const f of await listFiles(dir, (n) => n.endsWith(".jsonl"))) {
    const meta = f.replace(/\.jsonl$/, ".meta.json");
    const hasMeta = await exists(meta);
    units.push({
      source: "picoclaw", kind: "sessions", path: f, companions: hasMeta ? [meta] : [], order: 2,
      run: (ctx) => importJsonl(ctx, f, hasMeta ? meta : undefined),
    });
  }
  return units;
}

/** picoclaw's providers.Message uses OpenAI's snake_case names. */
function toMessage(raw: unknown, seq: number, createdAt: string): Message | undefined {
  const m = asObject(raw);
  if (!m || typeof m.role !== "string" || m.role === "") return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === null || v === undefined || k === "seq" || k === "createdAt") continue;
    out[k === "tool_calls" ? "toolCalls" : k === "tool_call_id" ? "toolCallId" : k === "reasoning_content" ? "reasoning" : k] = v;
  }
  return { ...(out as { role: string }), seq, createdAt };
}

/** Like picoclaw's normalizeAliases: trimmed, no blanks, no duplicates, never the key itself. */
export function normalizeAliases(key: string, raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const out: string[] = [];
  for (const a of raw) {
    const alias = typeof a === "string" ? a.trim() : "";
    if (alias !== "" && alias !== key && !out.includes(alias)) out.push(alias);
  }
  return out;
}

async function restore(ctx: ImportContext, draft: SessionDraft): Promise<UnitResult> {
  try {
    return await restoreSession(ctx, draft);
  } catch (err) {
    if (!isConflict(err)) throw err;
    // An alias is unique across sessions: another session already answers to one of these names.
    ctx.count("sessions", "skipped");
    return { status: "skipped", reason: `${(err as Error).message} (aliases ${JSON.stringify(draft.session.aliases ?? [])})` };
  }
}

async function importLegacy(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  let doc: Record<string, unknown> | undefined;
  try {
    doc = asObject(JSON.parse(text));
  } catch (err) {
    return skipped(ctx, "sessions", `not JSON: ${(err as Error).message}`);
  }
  const key = asString(doc?.key);
  if (!doc || !key) return skipped(ctx, "sessions", "no session key in the file");
  const createdAt = isoTime(doc.created) ?? (await mtimeOf(file));
  const raw = Array.isArray(doc.messages) ? doc.messages : [];
  const messages = raw.flatMap((m, i) => toMessage(m, i + 1, createdAt) ?? []);
  const { key: _k, messages: _m, summary, created: _c, updated, ...rest } = doc;
  const result = await restore(ctx, {
    session: {
      id: key, tags: [], metadata: rest, summary: asString(summary), createdAt, updatedAt: isoTime(updated) ?? createdAt,
      truncatedBeforeSeq: 1, tokenStats: { inputTokens: 0, outputTokens: 0, requests: 0 },
    },
    messages,
    mark: { from: "picoclaw", file, key: contentKey("picoclaw-json", text) },
    onChange: "skip",
  });
  const dropped = raw.length - messages.length;
  // The whole file is one JSON document: a message without a role is one unreadable record in line 1.
  return dropped > 0 ? { ...result, unreadLines: [1], notes: [...(result.notes ?? []), `${dropped} message(s) without a role could not be read`] } : result;
}

/** Mapped onto the session; every other meta field is kept in its metadata (scope, thread_*, count, …). */
const MAPPED_META = new Set(["key", "summary", "skip", "created_at", "updated_at", "aliases", "thread_title"]);

async function importJsonl(ctx: ImportContext, file: string, metaFile: string | undefined): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  const metaText = metaFile ? await readFile(metaFile, "utf8") : "";
  let meta: Record<string, unknown> = {};
  const notes: string[] = [];
  if (metaFile) {
    try {
      meta = asObject(JSON.parse(metaText)) ?? {};
    } catch (err) {
      return skipped(ctx, "sessions", `${basename(metaFile)} is not JSON: ${(err as Error).message}`);
    }
  }
  const key = asString(meta.key) ?? basename(file, ".jsonl");
  if (!asString(meta.key)) notes.push(`no key in a meta file; the session is named after the file: ${JSON.stringify(key)}`);
  // picoclaw's reader (readMessages) numbers non-empty lines and skips a corrupt one (a torn
  // write); `skip` counts those lines too. Here an unreadable line keeps the file in place instead.
  const createdAt = isoTime(meta.created_at) ?? (await mtimeOf(file));
  const lines = allLines(text);
  const messages: Message[] = [];
  const unreadLines: number[] = [];
  lines.forEach((line, i) => {
    const m = toMessage(jsonObject(line.text), i + 1, createdAt);
    if (m) messages.push(m);
    else unreadLines.push(line.n);
  });
  const skip = typeof meta.skip === "number" && Number.isInteger(meta.skip) && meta.skip > 0 ? meta.skip : 0;
  const aliases = normalizeAliases(key, meta.aliases);
  const rest = Object.fromEntries(Object.entries(meta).filter(([k]) => !MAPPED_META.has(k)));
  const result = await restore(ctx, {
    session: {
      id: key,
      title: asString(meta.thread_title),
      tags: [],
      metadata: rest,
      summary: asString(meta.summary),
      createdAt,
      updatedAt: isoTime(meta.updated_at) ?? createdAt,
      truncatedBeforeSeq: skip + 1,
      tokenStats: { inputTokens: 0, outputTokens: 0, requests: 0 },
      ...(aliases.length > 0 ? { aliases } : {}),
    },
    messages,
    mark: { from: "picoclaw", file, key: contentKey("picoclaw-jsonl", text, metaText) },
    onChange: "skip",
  });
  if (unreadLines.length > 0) notes.push(`line(s) ${unreadLines.join(", ")} are not messages; the file stays in place`);
  return { ...result, notes: [...notes, ...(result.notes ?? [])], unreadLines };
}
