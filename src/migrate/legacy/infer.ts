/**
 * infer's on-disk state under one root (`~/.infer` or a project's `.infer`): schedules, plans, shell
 * history (the agent's and each subagent's), conversations and session groups. Formats, where each
 * was learnt from, and how each maps: docs/migration.md and the files named below.
 */
import { basename, join } from "node:path";
import { exists, isDir, listFiles } from "./files.js";
import { importConversation } from "./infer-conversations.js";
import { importGroups } from "./infer-groups.js";
import { importHistory } from "./infer-history.js";
import { importSchedule } from "./infer-jobs.js";
import { importPlan } from "./infer-plans.js";
import type { ImportContext, Unit, UnitResult } from "./report.js";

export { splitCronTz } from "./infer-jobs.js";
export { parseHistory } from "./infer-history.js";

/** infer's shell history per agent: `history/history`, and `history/history-<name>` for a subagent. */
const SUBAGENT_HISTORY = /^history-(.+)$/;

export async function inferUnits(root: string): Promise<Unit[]> {
  const units: Unit[] = [];
  const unit = (kind: string, path: string, order: number, run: (ctx: ImportContext) => Promise<UnitResult>): Unit =>
    ({ source: "infer", kind, path, order, run });
  for (const f of await listFiles(join(root, "schedules"), (n) => /\.ya?ml$/i.test(n))) units.push(unit("jobs", f, 1, (ctx) => importSchedule(ctx, f)));
  for (const f of await listFiles(join(root, "plans"), (n) => n.endsWith(".md"))) units.push(unit("plans", f, 2, (ctx) => importPlan(ctx, f)));
  const historyDir = join(root, "history");
  if (await isDir(historyDir)) {
    for (const f of await listFiles(historyDir, (n) => n === "history" || SUBAGENT_HISTORY.test(n))) {
      const subagent = SUBAGENT_HISTORY.exec(basename(f))?.[1];
      units.push(unit("history", f, 3, (ctx) => importHistory(ctx, f, subagent)));
    }
  } else if (await exists(historyDir)) {
    units.push(unit("history", historyDir, 3, (ctx) => importHistory(ctx, historyDir)));
  }
  for (const f of await listFiles(join(root, "conversations"), (n) => n.endsWith(".jsonl"))) {
    units.push(unit("sessions", f, 4, (ctx) => importConversation(ctx, f)));
  }
  for (const f of [join(root, "session_groups.json"), join(root, "conversations", "session_groups.json")]) {
    if (await exists(f)) units.push(unit("groups", f, 5, (ctx) => importGroups(ctx, f)));
  }
  return units;
}
