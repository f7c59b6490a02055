/**
 * Importing one conversation, shared by the infer and picoclaw importers. Idempotent by design:
 * the session keeps the tool's own id and records `metadata.imported.key` (a hash of the file's
 * content); messages go in chunks whose idempotency keys derive from that key. A run killed
 * anywhere in between finds its own half-imported session on the next run (same key) and appends
 * only the chunks the store has not acknowledged before; a session of the same id that some other
 * writer made is left alone and the file is skipped.
 */
import type { MessageInput, TokenStats } from "../../domain/conversations.js";
import { isConflict, isNotFound } from "../../domain/errors.js";
import { chunks } from "./files.js";
import type { ImportContext, UnitResult } from "./report.js";

/** Messages per append: well under the 1,000 idempotency keys a session remembers, and small frames. */
const CHUNK = 500;

export interface SessionImport {
  id: string;
  title?: string;
  model?: string;
  tags?: string[];
  /** Kept as the session's metadata; `imported` is added. */
  metadata: Record<string, unknown>;
  /** Every stored message in order, hidden ones first. */
  messages: MessageInput[];
  /** How many of the first messages were hidden in the tool (truncated away); they stay hidden. */
  hidden: number;
  summary?: string;
  tokenStats?: TokenStats;
  costStats?: Record<string, unknown>;
  /** Content hash of the source file(s). */
  key: string;
}

export async function importSession(ctx: ImportContext, s: SessionImport): Promise<UnitResult> {
  const store = ctx.backend.conversations;
  const notes: string[] = [];
  const messages: MessageInput[] = [];
  let hidden = s.hidden;
  s.messages.forEach((m, i) => {
    const size = Buffer.byteLength(JSON.stringify(m), "utf8");
    if (size > ctx.maxValueBytes) {
      notes.push(`message ${i + 1} left out: ${size} bytes is over the ${ctx.maxValueBytes}-byte limit`);
      ctx.count("messages", "skipped");
      if (i < s.hidden) hidden--;
    } else messages.push(m);
  });

  let existing;
  try {
    existing = await store.getSession(s.id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (existing && (existing.metadata.imported as { key?: unknown } | undefined)?.key !== s.key) {
    ctx.count("sessions", "skipped");
    return { status: "skipped", reason: `a session with id ${JSON.stringify(s.id)} already exists and was not made by this import` };
  }
  if (ctx.dryRun) {
    ctx.count("sessions", existing ? "existing" : "imported");
    ctx.count("messages", existing ? "existing" : "imported", messages.length);
    return { status: "imported", notes };
  }
  if (!existing) {
    try {
      await store.createSession({ id: s.id, title: s.title, model: s.model, tags: s.tags ?? [], metadata: s.metadata });
      ctx.count("sessions", "imported");
    } catch (err) {
      if (!isConflict(err)) throw err;
      return importSession(ctx, s); // created meanwhile: decide again from what is stored
    }
  } else ctx.count("sessions", "existing");

  let index = 0;
  for (const chunk of chunks(messages, CHUNK)) {
    const before = (await store.getSession(s.id)).lastSeq;
    const r = await store.append({ sessionId: s.id, messages: chunk, idempotencyKey: `import-${s.key}-${index++}` });
    ctx.count("messages", r.lastSeq > before ? "imported" : "existing", chunk.length);
    await ctx.pause();
  }
  // Both are no-ops when repeated: truncate keeps more than are visible; the patch sets the same values.
  const visible = messages.length - Math.max(0, hidden);
  if (hidden > 0) await store.truncate(s.id, visible);
  const patch = { summary: s.summary, tokenStats: s.tokenStats, costStats: s.costStats };
  if (Object.values(patch).some((v) => v !== undefined)) await store.updateSession({ id: s.id, ...patch });
  return { status: "imported", notes };
}
