/**
 * picoclaw's sessions under its workspace (`~/.picoclaw/workspace/sessions/`):
 * - legacy `<name>.json`: `{ key, messages[], summary, created, updated }`;
 * - `<name>.jsonl` (one message per line, append-only) with `<name>.meta.json`
 *   `{ key, summary, skip, count, created_at, updated_at }`: the first `skip` lines were truncated
 *   away and stay hidden.
 * File names are a lossy encoding of the key (`:` became `_`), so the key always comes from the
 * content; only a jsonl without its meta file falls back to the file name (noted in the report).
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { MessageInput } from "../../domain/conversations.js";
import { asObject, asString, contentKey, exists, isoTime, listFiles } from "./files.js";
import type { ImportContext, Unit, UnitResult } from "./report.js";
import { importSession } from "./sessions.js";

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
function toMessage(raw: unknown): MessageInput | undefined {
  const m = asObject(raw);
  if (!m || typeof m.role !== "string" || m.role === "") return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === null || v === undefined) continue;
    out[k === "tool_calls" ? "toolCalls" : k === "tool_call_id" ? "toolCallId" : k === "reasoning_content" ? "reasoning" : k] = v;
  }
  return out as MessageInput;
}

async function importLegacy(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  let doc: Record<string, unknown> | undefined;
  try {
    doc = asObject(JSON.parse(text));
  } catch (err) {
    return skip(ctx, `not JSON: ${(err as Error).message}`);
  }
  const key = asString(doc?.key);
  if (!doc || !key) return skip(ctx, "no session key in the file");
  const raw = Array.isArray(doc.messages) ? doc.messages : [];
  const messages = raw.map(toMessage).filter((m): m is MessageInput => m !== undefined);
  const hash = contentKey("picoclaw-json", text);
  const result = await importSession(ctx, {
    id: key,
    metadata: { imported: { from: "picoclaw", file, key: hash, createdAt: isoTime(doc.created), updatedAt: isoTime(doc.updated) } },
    messages,
    hidden: 0,
    summary: asString(doc.summary),
    key: hash,
  });
  const dropped = raw.length - messages.length;
  return dropped > 0 ? { ...result, notes: [...(result.notes ?? []), `${dropped} message(s) without a role left out`] } : result;
}

async function importJsonl(ctx: ImportContext, file: string, metaFile: string | undefined): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  const metaText = metaFile ? await readFile(metaFile, "utf8") : "";
  let meta: Record<string, unknown> = {};
  const notes: string[] = [];
  if (metaFile) {
    try {
      meta = asObject(JSON.parse(metaText)) ?? {};
    } catch (err) {
      return skip(ctx, `${basename(metaFile)} is not JSON: ${(err as Error).message}`);
    }
  }
  const key = asString(meta.key) ?? basename(file, ".jsonl");
  if (!asString(meta.key)) notes.push(`no key in a meta file; the session is named after the file: ${JSON.stringify(key)}`);
  // Like picoclaw's reader: blank lines do not count; a corrupt line (a torn write) is skipped
  // but still counts as a line for `skip`, which numbers non-empty lines.
  const lines = text.split("\n").filter((l) => l.length > 0 && l.trim() !== "");
  const skipCount = typeof meta.skip === "number" && meta.skip > 0 ? Math.min(meta.skip, lines.length) : 0;
  const messages: MessageInput[] = [];
  let hidden = 0;
  lines.forEach((line, i) => {
    let m: MessageInput | undefined;
    try {
      m = toMessage(JSON.parse(line));
    } catch {
      m = undefined;
    }
    if (!m) {
      notes.push(`line ${i + 1} is not a message; left out`);
      return;
    }
    messages.push(m);
    if (i < skipCount) hidden++;
  });
  const hash = contentKey("picoclaw-jsonl", text, metaText);
  const result = await importSession(ctx, {
    id: key,
    metadata: {
      imported: { from: "picoclaw", file, key: hash, createdAt: isoTime(meta.created_at), updatedAt: isoTime(meta.updated_at) },
    },
    messages,
    hidden,
    summary: asString(meta.summary),
    key: hash,
  });
  return { ...result, notes: [...notes, ...(result.notes ?? [])] };
}

function skip(ctx: ImportContext, reason: string): UnitResult {
  ctx.count("sessions", "skipped");
  return { status: "skipped", reason };
}
