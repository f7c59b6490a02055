/**
 * relayburn's usage ledger, `~/.relayburn/ledger.jsonl` (relayburn-lines.ts has the format). Turns
 * are keyed by the same idHash agentstate uses, so ingesting is idempotent by itself: turns already
 * stored (from an earlier run, another host, a Claude Code or Codex import, or the same line twice)
 * count as existing. The kinds agentstate does not store stay in the file, which is renamed like
 * any other once every line was read; the report says how many of each and where.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MAX_INGEST_TURNS, type Turn } from "../../domain/ledger.js";
import { chunks, exists, splitLines } from "./files.js";
import { parseLedger, stampMatches, toTurn, turnKey } from "./relayburn-lines.js";
import type { ImportContext, Unit, UnitResult } from "./report.js";

export async function relayburnUnits(root: string): Promise<Unit[]> {
  const file = join(root, "ledger.jsonl");
  if (!(await exists(file))) return [];
  return [{ source: "relayburn", kind: "turns", path: file, order: 1, run: (ctx) => importLedger(ctx, file) }];
}

/** Most unread lines listed in notes (every number is in unreadLines). */
const NOTED = 50;

async function importLedger(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  const { lines, tail } = splitLines(text);
  // relayburn appends whole lines: text after the last newline is a write torn by a crash.
  if (tail.trim() !== "") lines.push({ n: text.split("\n").length, text: tail });
  const parsed = parseLedger(lines);
  const unread = [...parsed.unread];
  const usedStamps = new Set<number>();
  const turns: Turn[] = [];
  for (const { line, record } of parsed.turns) {
    const enrichment: Record<string, unknown> = {};
    for (const s of parsed.stamps) {
      if (!stampMatches(s, record)) continue;
      Object.assign(enrichment, s.enrichment);
      usedStamps.add(s.line);
    }
    const turn = toTurn(record, enrichment);
    if (typeof turn === "string") {
      unread.push({ line, why: turn });
      ctx.count("turns", "skipped");
    } else turns.push(turn);
  }
  unread.sort((a, b) => a.line - b.line);
  const kept: Record<string, number> = { ...parsed.kept };
  const unusedStamps = parsed.stamps.length - usedStamps.size;
  if (unusedStamps > 0) kept.stamps = unusedStamps;
  for (const [kind, n] of Object.entries(kept)) ctx.count(kind, "kept", n);
  const notes = unread.slice(0, NOTED).map((u) => `line ${u.line}: ${u.why}`);
  if (unread.length > NOTED) notes.push(`(${unread.length - NOTED} more unread lines; see unreadLines)`);
  if (unusedStamps > 0) notes.push(`${unusedStamps} stamp(s) select no turn in this file`);

  let inserted = 0;
  if (ctx.dryRun) {
    // As ingest would count them: a turn repeated inside the file is stored once. (Turns an earlier
    // import stored are not looked up: the ledger has no lookup by idHash.)
    inserted = new Set(turns.map(turnKey)).size;
    ctx.count("turns", "imported", inserted);
    ctx.count("turns", "existing", turns.length - inserted);
  } else {
    for (const batch of chunks(turns, MAX_INGEST_TURNS / 10)) {
      const r = await ctx.target.ledger.ingest(batch);
      inserted += r.inserted;
      ctx.count("turns", "imported", r.inserted);
      ctx.count("turns", "existing", r.duplicates);
      await ctx.pause();
    }
  }
  // A stamp lives on in the turns it selected (extra.enrichment): new if any of this file's turns was.
  ctx.count("stamps", inserted > 0 ? "imported" : "existing", usedStamps.size);
  return { status: "imported", notes, unreadLines: unread.map((u) => u.line), kept };
}
