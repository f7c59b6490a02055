/**
 * infer plans, `plans/<YYYY-MM-DD-HHMMSS>-<slug>[-N].md`: the stamp is the host's local time when
 * the plan was written (infer's PlanRecord keeps only created_at), the file `# <title>`, a blank
 * line, then the Markdown body.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { planUri, slugify, type Plan } from "../../domain/plans.js";
import { contentKey, mtimeOf, zonedStampToIso } from "./files.js";
import { skipped, type ImportContext, type UnitResult } from "./report.js";

const PLAN_NAME = /^(\d{4}-\d\d-\d\d-\d{6})-(.+?)\.md$/;

/** `# <title>\n\n<body>`; a file without the heading keeps all of it as the body. */
export function parsePlanFile(text: string, fallbackTitle: string): { title: string; body: string } {
  const m = /^# (.*)\r?\n(?:\r?\n)?/.exec(text);
  if (!m || m[1].trim() === "") return { title: fallbackTitle, body: text };
  return { title: m[1].trim(), body: text.slice(m[0].length) };
}

export async function importPlan(ctx: ImportContext, file: string): Promise<UnitResult> {
  const name = basename(file);
  const m = PLAN_NAME.exec(name);
  const stem = name.replace(/\.md$/, "");
  const text = await readFile(file, "utf8");
  const words = m ? m[2].replace(/-\d+$/, "") : undefined;
  const { title, body } = parsePlanFile(text, words ? words.replace(/-/g, " ") : stem);
  const notes: string[] = [];
  let createdAt = m ? zonedStampToIso(m[1], ctx.hostZone) : undefined;
  if (!createdAt) {
    createdAt = await mtimeOf(file);
    notes.push(m ? `name stamp ${m[1]} is not a valid local time; createdAt is the file's modification time` : "no time stamp in the file name; createdAt is the file's modification time");
  }
  // The id is the file's stem, so the original (local) stamp stays visible and plans sort by it.
  // A different plan already under that id: the stem plus a content hash, again deterministic.
  for (const id of [stem, `${stem}-${contentKey(text).slice(0, 8)}`]) {
    const stored = await ctx.target.lookup.plan(id);
    if (stored) {
      if (stored.title === title && stored.body === body) {
        ctx.count("plans", "existing");
        return { status: "imported", notes };
      }
      continue;
    }
    const plan: Plan = {
      id, title, body, slug: slugify(words ?? title), status: "draft", createdAt, updatedAt: createdAt, version: 1, uri: planUri(id),
    };
    if (!ctx.dryRun) await ctx.target.restore.plan(plan);
    ctx.count("plans", "imported");
    return { status: "imported", notes };
  }
  return skipped(ctx, "plans", `plan ids ${JSON.stringify(stem)} and its hashed variant are taken by other plans`);
}
