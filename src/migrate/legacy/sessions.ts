/**
 * Restoring one conversation, shared by every importer. The session keeps the tool's own id, times
 * and seqs; `metadata.imported` records where it came from and a hash of what was read
 * (`{ from, file, key, lastSeq, … }`), which decides what a later run does with a session of the
 * same id:
 * - none stored: restore it;
 * - stored by an import of the same tool with the same key: nothing to do (existing);
 * - stored by such an import but the source changed: a transcript the tool still owns (it grew)
 *   is restored again, counting only the messages past the stored lastSeq as new; a file that is
 *   renamed once imported (infer, picoclaw) is skipped instead — the tool started a new file under
 *   the same key after the import, and restoring it would replace the history imported before;
 * - stored but not by an import of this tool, or appended to in agentstate since (its lastSeq is
 *   past the imported one): left alone, and the file is skipped with the reason.
 * A session and all its messages are restored in one call, which the restore path makes atomic:
 * a run killed at any point leaves either the whole session or none of it. (A writer that cannot
 * write it atomically marks it `imported.incomplete` until done; such a session is restored again.)
 */
import type { Message } from "../../domain/conversations.js";
import type { LegacySource } from "../../domain/migrate.js";
import { asObject } from "./files.js";
import type { ImportContext, UnitResult } from "./report.js";
import type { RestoredSession } from "./target.js";

export interface ImportedMark {
  from: LegacySource;
  file: string;
  /** Content hash of what was read: equal means nothing changed. */
  key: string;
  /** The highest seq restored: a stored session past it was appended to in agentstate. */
  lastSeq: number;
  /** Set by earlier versions, whose importer wrote a session in several calls, until it was whole: such a session is restored again. */
  incomplete?: boolean;
  [extra: string]: unknown;
}

/** A session record and its messages, ready to restore; `metadata.imported` is filled in here. */
export interface SessionDraft {
  session: Omit<RestoredSession, "version" | "messageCount" | "lastSeq">;
  /** Ascending seq (gaps allowed), each with its own createdAt. */
  messages: Message[];
  mark: Omit<ImportedMark, "lastSeq">;
  /** What a changed source does to a session imported from an earlier version of it (see above). */
  onChange: "restore" | "skip";
}

export const importedMark = (metadata: Record<string, unknown> | undefined): ImportedMark | undefined => {
  const m = asObject(metadata?.imported);
  return m && typeof m.from === "string" && typeof m.key === "string" ? (m as ImportedMark) : undefined;
};

export async function restoreSession(ctx: ImportContext, draft: SessionDraft): Promise<UnitResult> {
  const notes: string[] = [];
  const messages: Message[] = [];
  for (const m of draft.messages) {
    const size = Buffer.byteLength(JSON.stringify(m), "utf8");
    if (size > ctx.maxValueBytes) {
      notes.push(`message ${m.seq} left out: ${size} bytes is over the ${ctx.maxValueBytes}-byte limit (its seq stays unused)`);
      ctx.count("messages", "skipped");
    } else messages.push(m);
  }
  const lastSeq = draft.messages.reduce((max, m) => Math.max(max, m.seq), 0);
  const { id } = draft.session;
  const found = await ctx.target.lookup.session(id);
  const unfinished = found !== undefined && importedMark(found.metadata)?.incomplete === true && importedMark(found.metadata)?.from === draft.mark.from;
  const stored = unfinished ? undefined : found;
  const mark = stored ? importedMark(stored.metadata) : undefined;
  if (stored && mark?.from !== draft.mark.from) {
    ctx.count("sessions", "skipped");
    return { status: "skipped", reason: `a session with id ${JSON.stringify(id)} already exists and was not made by an import of ${draft.mark.from}` };
  }
  if (stored && mark && stored.lastSeq > mark.lastSeq) {
    ctx.count("sessions", "skipped");
    return {
      status: "skipped",
      reason: `session ${JSON.stringify(id)} has messages added in agentstate since it was imported (seq ${mark.lastSeq + 1}–${stored.lastSeq}); left as it is`,
    };
  }
  if (stored && mark?.key === draft.mark.key) {
    ctx.count("sessions", "existing");
    ctx.count("messages", "existing", messages.length);
    return { status: "imported", notes };
  }
  if (stored && draft.onChange === "skip") {
    ctx.count("sessions", "skipped");
    return {
      status: "skipped",
      reason: `session ${JSON.stringify(id)} was imported before from another version of this file; left as it is (this file stays in place)`,
    };
  }
  const session: RestoredSession = {
    ...draft.session,
    metadata: { ...draft.session.metadata, imported: { ...draft.mark, lastSeq } },
    version: (found?.version ?? 0) + 1,
    lastSeq,
    messageCount: messages.filter((m) => m.seq >= draft.session.truncatedBeforeSeq).length,
  };
  if (!ctx.dryRun) await ctx.target.restore.session(session, messages);
  // Counted once written: a refused restore (an alias another session holds) counts as skipped by the caller.
  const known = stored?.lastSeq ?? 0;
  const fresh = messages.filter((m) => m.seq > known).length;
  ctx.count("sessions", stored ? "existing" : "imported");
  ctx.count("messages", "imported", fresh);
  ctx.count("messages", "existing", messages.length - fresh);
  return { status: "imported", notes };
}

/** The earliest and latest of some ISO times (undefined ones ignored). */
export function timeRange(times: (string | undefined)[]): { first?: string; last?: string } {
  const known = times.filter((t): t is string => t !== undefined).sort();
  return { first: known[0], last: known[known.length - 1] };
}
