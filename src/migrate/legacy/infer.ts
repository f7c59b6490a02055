/**
 * infer's on-disk state under one root (`~/.infer` or a project's `.infer`): schedules, plans, shell
 * history, conversations and session groups. Formats and how each maps: docs/migration.md.
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { JobInput } from "../../backends/contract.js";
import { isNotFound } from "../../domain/errors.js";
import type { HistoryEntryInput } from "../../domain/history.js";
import { MAX_HISTORY_BATCH } from "../../domain/history.js";
import { slugify } from "../../domain/plans.js";
import { checkTimezone, validateSchedule } from "../../domain/schedule.js";
import {
  asObject, asString, chunks, contentKey, exists, isDir, isoTime, listFiles, localStampToIso,
} from "./files.js";
import { inferSession, parseInferConversation } from "./infer-conversations.js";
import type { ImportContext, Unit, UnitResult } from "./report.js";
import { importSession } from "./sessions.js";

export async function inferUnits(root: string): Promise<Unit[]> {
  const units: Unit[] = [];
  const unit = (kind: string, path: string, order: number, run: (ctx: ImportContext) => Promise<UnitResult>): Unit =>
    ({ source: "infer", kind, path, order, run });
  for (const f of await listFiles(join(root, "schedules"), (n) => /\.ya?ml$/i.test(n))) units.push(unit("jobs", f, 1, (ctx) => importSchedule(ctx, f)));
  for (const f of await listFiles(join(root, "plans"), (n) => n.endsWith(".md"))) units.push(unit("plans", f, 2, (ctx) => importPlan(ctx, f)));
  const history = (await isDir(join(root, "history"))) ? join(root, "history", "history") : join(root, "history");
  if (!(await isDir(history)) && (await exists(history))) units.push(unit("history", history, 3, (ctx) => importHistory(ctx, history)));
  for (const f of await listFiles(join(root, "conversations"), (n) => n.endsWith(".jsonl"))) {
    units.push(unit("sessions", f, 4, (ctx) => importConversation(ctx, f)));
  }
  for (const f of [join(root, "session_groups.json"), join(root, "conversations", "session_groups.json")]) {
    if (await exists(f)) units.push(unit("groups", f, 5, (ctx) => importGroups(ctx, f)));
  }
  return units;
}

// ---- schedules ----

/** `CRON_TZ=Zone <expr>` → zone and expression; infer jobs without it ran in the host's local zone. */
export function splitCronTz(expr: string, hostZone: string): { cron: string; timezone: string } {
  const m = /^\s*(?:CRON_TZ|TZ)=(\S+)\s+(.+)$/.exec(expr);
  return m ? { cron: m[2].trim(), timezone: m[1] } : { cron: expr.trim(), timezone: hostZone };
}

async function importSchedule(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  const doc = asObject(parseYaml(text));
  if (!doc) return skip(ctx, "jobs", "not a YAML mapping");
  const expr = asString(doc.cron_expression) ?? asString(doc.schedule);
  if (!expr) return skip(ctx, "jobs", "no cron_expression");
  const { cron, timezone } = splitCronTz(expr, ctx.hostZone);
  try {
    checkTimezone(timezone);
    validateSchedule({ cron }, timezone);
  } catch (err) {
    return skip(ctx, "jobs", `cron_expression ${JSON.stringify(expr)}: ${(err as Error).message}`);
  }
  const id = asString(doc.id) ?? basename(file).replace(/\.ya?ml$/i, "");
  const key = contentKey("infer-job", text);
  const lastRun = isoTime(doc.last_run);
  const input: JobInput = {
    id,
    name: asString(doc.name),
    description: asString(doc.description),
    schedule: { cron },
    timezone,
    enabled: doc.enabled !== false,
    deleteAfterRun: doc.run_once === true,
    action: { type: "event" },
    payload: {
      prompt: doc.prompt ?? "",
      ...(doc.channel !== undefined ? { channel: doc.channel } : {}),
      ...(doc.recipient_id !== undefined ? { recipientId: doc.recipient_id } : {}),
      ...(doc.model !== undefined ? { model: doc.model } : {}),
      imported: {
        from: "infer", file, key,
        createdAt: isoTime(doc.created_at), updatedAt: isoTime(doc.updated_at), lastRun, lastError: asString(doc.last_error),
      },
    },
    misfire: "once",
    noOverlap: true,
  };
  // An @every job keeps its rhythm: its slots continue from the last run instead of restarting at import time.
  if (/^@every\b/i.test(cron) && lastRun) input.anchorAt = lastRun;
  try {
    const stored = await ctx.backend.jobs.getJob(id);
    const mine = (asObject(stored.payload)?.imported as { key?: unknown } | undefined)?.key === key;
    if (!mine) return skip(ctx, "jobs", `a job with id ${JSON.stringify(id)} already exists and was not made by this import`);
    ctx.count("jobs", "existing");
    return { status: "imported" };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!ctx.dryRun) await ctx.backend.jobs.saveJob(input);
  ctx.count("jobs", "imported");
  return { status: "imported" };
}

// ---- plans ----

const PLAN_NAME = /^(\d{4}-\d\d-\d\d-\d{6})-(.+?)\.md$/;

/** `# <title>\n\n<body>`; a file without the heading keeps all of it as the body. */
export function parsePlanFile(text: string, fallbackTitle: string): { title: string; body: string } {
  const m = /^# (.*)\r?\n(?:\r?\n)?/.exec(text);
  if (!m || m[1].trim() === "") return { title: fallbackTitle, body: text };
  return { title: m[1].trim(), body: text.slice(m[0].length) };
}

async function importPlan(ctx: ImportContext, file: string): Promise<UnitResult> {
  const name = basename(file);
  const m = PLAN_NAME.exec(name);
  const stem = name.replace(/\.md$/, "");
  const text = await readFile(file, "utf8");
  const { title, body } = parsePlanFile(text, m ? m[2].replace(/-\d+$/, "").replace(/-/g, " ") : stem);
  const notes: string[] = [];
  if (m && !localStampToIso(m[1])) notes.push(`name stamp ${m[1]} is not a valid local time`);
  // The id is the file's stem, so the original (local) stamp stays visible and plans sort by it.
  // A different plan already under that id: the stem plus a content hash, again deterministic.
  for (const id of [stem, `${stem}-${contentKey(text).slice(0, 8)}`]) {
    try {
      const stored = await ctx.backend.plans.getPlan(id);
      if (stored.title === title && stored.body === body) {
        ctx.count("plans", "existing");
        return { status: "imported", notes };
      }
      continue;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!ctx.dryRun) await ctx.backend.plans.savePlan({ id, title, body, slug: slugify(m ? m[2].replace(/-\d+$/, "") : title), status: "draft" });
    ctx.count("plans", "imported");
    return { status: "imported", notes };
  }
  return skip(ctx, "plans", `plan ids ${JSON.stringify(stem)} and its hashed variant are taken by other plans`);
}

// ---- shell history ----

/** One command per line; a literal `\n` stood for a newline; lines trimmed, blank ones skipped. */
export function parseHistory(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => l.replace(/\\n/g, "\n"));
}

async function importHistory(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  const commands = parseHistory(text);
  const key = contentKey("infer-history", text);
  // infer kept no times: the store stamps the import time. Keys make each batch land once.
  const entries: HistoryEntryInput[] = commands.map((command) => ({ command }));
  let index = 0;
  for (const batch of chunks(entries, MAX_HISTORY_BATCH)) {
    if (ctx.dryRun) {
      ctx.count("history", "imported", batch.length);
      continue;
    }
    const before = (await ctx.backend.history.list({ limit: 1 })).items[0]?.seq ?? 0;
    const r = await ctx.backend.history.append(batch, `import-${key}-${index++}`);
    ctx.count("history", r.lastSeq > before ? "imported" : "existing", batch.length);
    await ctx.pause();
  }
  return { status: "imported" };
}

// ---- conversations ----

async function importConversation(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  let parsed;
  try {
    parsed = parseInferConversation(text);
  } catch (err) {
    return skip(ctx, "sessions", (err as Error).message);
  }
  const session = inferSession(parsed, basename(file, ".jsonl"), contentKey("infer-conversation", text), file);
  const result = await importSession(ctx, session);
  return { ...result, notes: [...parsed.notes, ...(result.notes ?? [])] };
}

// ---- session groups ----

interface LegacyGroup {
  id: string;
  currentSessionId?: string;
  history: string[];
  lastRolloverAt?: string;
  metadata: Record<string, unknown>;
}

/** `session_groups.json`: a map id → group, an array of groups, or `{ "groups": … }`; snake or camel case. */
export function parseGroups(json: unknown): LegacyGroup[] {
  const root = asObject(json);
  const list: [string | undefined, unknown][] = Array.isArray(json)
    ? json.map((g) => [undefined, g])
    : root && (Array.isArray(root.groups) || asObject(root.groups))
      ? Array.isArray(root.groups) ? root.groups.map((g) => [undefined, g]) : Object.entries(root.groups as object)
      : Object.entries(root ?? {});
  const out: LegacyGroup[] = [];
  for (const [key, value] of list) {
    const g = asObject(value);
    if (!g) continue;
    const id = asString(g.id) ?? asString(g.group_id) ?? asString(g.groupId) ?? key;
    if (!id) continue;
    const {
      id: _i, group_id: _g, groupId: _gi, current_session_id, currentSessionId, current, history, sessions,
      last_rollover_at, lastRolloverAt, ...rest
    } = g;
    const hist = (Array.isArray(history) ? history : Array.isArray(sessions) ? sessions : []).filter((s): s is string => typeof s === "string");
    out.push({
      id,
      currentSessionId: asString(current_session_id) ?? asString(currentSessionId) ?? asString(current),
      history: hist,
      lastRolloverAt: isoTime(last_rollover_at) ?? isoTime(lastRolloverAt),
      metadata: rest,
    });
  }
  return out;
}

async function importGroups(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  let groups: LegacyGroup[];
  try {
    groups = parseGroups(JSON.parse(text));
  } catch (err) {
    return skip(ctx, "groups", `not JSON: ${(err as Error).message}`);
  }
  const key = contentKey("infer-groups", text);
  const notes: string[] = [];
  for (const g of groups) {
    try {
      const stored = await ctx.backend.groups.getGroup(g.id);
      const mine = (stored.metadata.imported as { key?: unknown } | undefined)?.key === key;
      ctx.count("groups", mine ? "existing" : "skipped");
      if (!mine) notes.push(`group ${JSON.stringify(g.id)} already exists; left as it is`);
      continue;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!ctx.dryRun) {
      await ctx.backend.groups.putGroup({
        id: g.id,
        currentSessionId: g.currentSessionId,
        history: g.history,
        lastRolloverAt: g.lastRolloverAt,
        metadata: { ...g.metadata, imported: { from: "infer", file, key } },
      });
    }
    ctx.count("groups", "imported");
  }
  return { status: "imported", notes };
}

function skip(ctx: ImportContext, kind: string, reason: string): UnitResult {
  ctx.count(kind, "skipped");
  return { status: "skipped", reason };
}
