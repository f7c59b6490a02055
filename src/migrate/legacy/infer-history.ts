/**
 * infer's shell history (inference-gateway/cli internal/ui/history: ShellHistory): one command per
 * line in `history/history` (the agent) or `history/history-<name>` (a subagent), older installs a
 * plain `.infer/history` file. A newline inside a command was written as a literal `\n`; infer
 * trims lines and skips blank ones when reading, and kept no times.
 */
import { readFile } from "node:fs/promises";
import type { HistoryEntryInput } from "../../domain/history.js";
import { MAX_HISTORY_BATCH } from "../../domain/history.js";
import { chunks, contentKey } from "./files.js";
import type { ImportContext, UnitResult } from "./report.js";

/** One command per line; a literal `\n` stood for a newline; lines trimmed, blank ones skipped. */
export function parseHistory(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => l.replace(/\\n/g, "\n"));
}

/**
 * infer kept neither times nor sessions: the store stamps the import time. A subagent's commands
 * carry `sessionId: "infer-subagent:<name>"`, the only place an entry can say whose they were.
 * Each batch carries an idempotency key, so a file read again adds nothing.
 */
export async function importHistory(ctx: ImportContext, file: string, subagent?: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  const key = contentKey("infer-history", subagent ?? "", text);
  const sessionId = subagent !== undefined ? `infer-subagent:${subagent}` : undefined;
  const entries: HistoryEntryInput[] = parseHistory(text).map((command) => (sessionId ? { command, sessionId } : { command }));
  let index = 0;
  for (const batch of chunks(entries, MAX_HISTORY_BATCH)) {
    if (ctx.dryRun) {
      ctx.count("history", "imported", batch.length);
      continue;
    }
    const before = (await ctx.target.history.list({ limit: 1 })).items[0]?.seq ?? 0;
    const r = await ctx.target.history.append(batch, `import-${key}-${index++}`);
    ctx.count("history", r.lastSeq > before ? "imported" : "existing", batch.length);
    await ctx.pause();
  }
  return { status: "imported" };
}
