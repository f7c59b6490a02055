/**
 * infer schedules, `schedules/<id>.yaml`, one job per file, as infer's ScheduledJob struct writes
 * them (inference-gateway/cli internal/domain/scheduler.go): id, name, description,
 * cron_expression, prompt, channel, recipient_id, model, run_once, created_at, updated_at,
 * last_run, last_error. Times are Go RFC 3339 with nanoseconds.
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { parse as parseYaml } from "yaml";
import type { Job } from "../../domain/jobs.js";
import { checkTimezone, nextOccurrence, validateSchedule } from "../../domain/schedule.js";
import { asObject, asString, contentKey, isoTime, mtimeOf } from "./files.js";
import { skipped, type ImportContext, type UnitResult } from "./report.js";

/** `CRON_TZ=Zone <expr>` → zone and expression; infer jobs without it ran in the host's local zone. */
export function splitCronTz(expr: string, hostZone: string): { cron: string; timezone: string } {
  const m = /^\s*(?:CRON_TZ|TZ)=(\S+)\s+(.+)$/.exec(expr);
  return m ? { cron: m[2].trim(), timezone: m[1] } : { cron: expr.trim(), timezone: hostZone };
}

/** Fields mapped onto the job; anything else infer wrote is kept in payload.imported.extra. */
const MAPPED = new Set([
  "id", "name", "description", "cron_expression", "prompt", "channel", "recipient_id", "model", "run_once",
  "created_at", "updated_at", "last_run", "last_error",
]);

export async function importSchedule(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  let doc: Record<string, unknown> | undefined;
  try {
    doc = asObject(parseYaml(text));
  } catch (err) {
    return skipped(ctx, "jobs", `not YAML: ${(err as Error).message}`);
  }
  if (!doc) return skipped(ctx, "jobs", "not a YAML mapping");
  const expr = asString(doc.cron_expression);
  if (!expr) return skipped(ctx, "jobs", "no cron_expression");
  const { cron, timezone } = splitCronTz(expr, ctx.hostZone);
  try {
    checkTimezone(timezone);
    validateSchedule({ cron }, timezone);
  } catch (err) {
    return skipped(ctx, "jobs", `cron_expression ${JSON.stringify(expr)}: ${(err as Error).message}`);
  }
  const id = asString(doc.id) ?? basename(file).replace(/\.ya?ml$/i, "");
  const key = contentKey("infer-job", text);
  const notes: string[] = [];
  const createdAt = isoTime(doc.created_at) ?? (await mtimeOf(file));
  const lastRunAt = isoTime(doc.last_run);
  const lastError = asString(doc.last_error);
  // A run_once job that already ran must not run again here: infer would have removed it.
  const ranOnce = doc.run_once === true && lastRunAt !== undefined;
  if (ranOnce) notes.push(`job ${JSON.stringify(id)} ran once already (last_run ${lastRunAt}); imported disabled so it does not run again`);
  const enabled = doc.enabled !== false && !ranOnce;
  // An @every job keeps its rhythm: its slots continue from the last run instead of restarting at import time.
  const anchorAt = /^@every\b/i.test(cron) && lastRunAt ? lastRunAt : undefined;
  const next = enabled ? nextOccurrence({ cron }, timezone, ctx.now(), anchorAt ? new Date(anchorAt) : undefined) : null;
  const extra = Object.fromEntries(Object.entries(doc).filter(([k]) => !MAPPED.has(k) && k !== "enabled"));
  const job: Job = {
    id,
    name: asString(doc.name),
    description: asString(doc.description),
    schedule: { cron },
    timezone,
    anchorAt,
    enabled,
    deleteAfterRun: doc.run_once === true,
    action: { type: "event" },
    payload: {
      prompt: doc.prompt ?? "",
      ...(doc.channel !== undefined ? { channel: doc.channel } : {}),
      ...(doc.recipient_id !== undefined ? { recipientId: doc.recipient_id } : {}),
      ...(doc.model !== undefined ? { model: doc.model } : {}),
      imported: { from: "infer", file, key, ...(Object.keys(extra).length > 0 ? { extra } : {}) },
    },
    misfire: "once",
    noOverlap: true,
    createdAt,
    updatedAt: isoTime(doc.updated_at) ?? createdAt,
    version: 1,
    nextRunAt: next?.toISOString(),
    lastRunAt,
    lastStatus: lastRunAt ? (lastError ? "failed" : "succeeded") : undefined,
    lastError,
  };
  const stored = await ctx.target.lookup.job(id);
  if (stored) {
    const mark = asObject(asObject(stored.payload)?.imported);
    if (mark?.key === key) {
      ctx.count("jobs", "existing");
      return { status: "imported", notes };
    }
    return skipped(ctx, "jobs", mark?.from === "infer"
      ? `job ${JSON.stringify(id)} was imported before from another version of this file; left as it is`
      : `a job with id ${JSON.stringify(id)} already exists and was not made by this import`);
  }
  if (!ctx.dryRun) await ctx.target.restore.job(job);
  ctx.count("jobs", "imported");
  return { status: "imported", notes };
}
