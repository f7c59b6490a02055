/**
 * What the Claude Code and Codex importers share. Their transcripts are append-only JSON Lines
 * files the tools still own: they are never renamed, and each run reads them whole again.
 *
 * What is new: only complete lines count (text after the last newline is a line still being
 * written and waits for the next run). The session records the byte length and sha256 of what it
 * was restored from (`metadata.imported.bytes`, `.key`). The same hash: nothing to do. A longer
 * file whose first `bytes` bytes still hash to the recorded key grew: the session is restored again
 * from the whole file — the restore path has no "extend" — and only the messages past the stored
 * lastSeq count as imported. Any other change means the tool rewrote its file: restored again from
 * the start, and noted. Ledger turns are keyed, so ingesting them all again stores only new ones.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Turn } from "../../domain/ledger.js";
import { MAX_INGEST_TURNS } from "../../domain/ledger.js";
import type { LegacySource } from "../../domain/migrate.js";
import { asObject, chunks, splitLines, type NumberedLine } from "./files.js";
import { turnKey } from "./relayburn-lines.js";
import type { ImportContext } from "./report.js";
import { importedMark } from "./sessions.js";

export interface Transcript {
  lines: NumberedLine[];
  /** Bytes of the complete lines (up to and including the last newline). */
  bytes: number;
  /** sha256 of those bytes: the session's `metadata.imported.key`. */
  key: string;
  complete: Buffer;
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

export async function readTranscript(file: string): Promise<Transcript> {
  const raw = await readFile(file);
  const end = raw.lastIndexOf(0x0a) + 1;
  const complete = raw.subarray(0, end);
  return { lines: splitLines(complete.toString("utf8")).lines, bytes: end, key: sha256(complete), complete };
}

/** A note when a stored session of this id was restored from a version of the file that is not a prefix of this one. */
export async function rewriteNote(ctx: ImportContext, sessionId: string, source: LegacySource, t: Transcript): Promise<string | undefined> {
  const mark = importedMark((await ctx.target.lookup.session(sessionId))?.metadata);
  if (!mark || mark.from !== source || mark.key === t.key) return undefined;
  const bytes = typeof mark.bytes === "number" ? mark.bytes : -1;
  if (bytes >= 0 && bytes <= t.bytes && sha256(t.complete.subarray(0, bytes)) === mark.key) return undefined;
  return `the transcript no longer starts with what was imported before (${bytes} bytes); the session was restored again from the whole file`;
}

/** Stores `turns` (a turn stored before, by any import, is existing). */
export async function ingestTurns(ctx: ImportContext, turns: Turn[]): Promise<void> {
  if (ctx.dryRun) {
    const distinct = new Set(turns.map(turnKey)).size;
    ctx.count("turns", "imported", distinct);
    ctx.count("turns", "existing", turns.length - distinct);
    return;
  }
  for (const batch of chunks(turns, MAX_INGEST_TURNS / 10)) {
    const r = await ctx.target.ledger.ingest(batch);
    ctx.count("turns", "imported", r.inserted);
    ctx.count("turns", "existing", r.duplicates);
    await ctx.pause();
  }
}

/** A non-negative integer field, else 0. */
export const tokens = (o: unknown, key: string): number => {
  const v = asObject(o)?.[key];
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0;
};

/** Adds one to `kept[kind]`. */
export const keep = (kept: Record<string, number>, kind: string): void => {
  kept[kind] = (kept[kind] ?? 0) + 1;
};
