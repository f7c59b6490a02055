/**
 * infer's `session_groups.json`: a map from group key (e.g. `channel-telegram-12345`) to infer's
 * SessionGroupEntry (inference-gateway/cli internal/infra/storage/interfaces.go):
 * `{ current_session_id, history, last_rollover, updated_at }`. `last_rollover` is a Go time.Time
 * whose `omitempty` never omits it: a group that never rolled over has `0001-01-01T00:00:00Z`, read
 * as absent. An array of groups or `{ "groups": … }` is accepted too, in snake or camel case.
 */
import { readFile } from "node:fs/promises";
import type { Group } from "../../domain/groups.js";
import { asObject, asString, contentKey, isoTime, mtimeOf } from "./files.js";
import { skipped, type ImportContext, type UnitResult } from "./report.js";

export interface LegacyGroup {
  id: string;
  currentSessionId?: string;
  history: string[];
  lastRolloverAt?: string;
  updatedAt?: string;
  metadata: Record<string, unknown>;
}

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
      last_rollover, last_rollover_at, lastRolloverAt, updated_at, updatedAt, ...rest
    } = g;
    const hist = (Array.isArray(history) ? history : Array.isArray(sessions) ? sessions : []).filter((s): s is string => typeof s === "string");
    out.push({
      id,
      currentSessionId: asString(current_session_id) ?? asString(currentSessionId) ?? asString(current),
      history: hist,
      lastRolloverAt: isoTime(last_rollover) ?? isoTime(last_rollover_at) ?? isoTime(lastRolloverAt),
      updatedAt: isoTime(updated_at) ?? isoTime(updatedAt),
      metadata: rest,
    });
  }
  return out;
}

/** infer records no creation time for a group: createdAt is its updated_at (else the file's modification time). */
export async function importGroups(ctx: ImportContext, file: string): Promise<UnitResult> {
  const text = await readFile(file, "utf8");
  let groups: LegacyGroup[];
  try {
    groups = parseGroups(JSON.parse(text));
  } catch (err) {
    return skipped(ctx, "groups", `not JSON: ${(err as Error).message}`);
  }
  const key = contentKey("infer-groups", text);
  const fileTime = await mtimeOf(file);
  const notes: string[] = [];
  for (const g of groups) {
    const stored = await ctx.target.lookup.group(g.id);
    if (stored) {
      const mine = asObject(stored.metadata.imported)?.key === key;
      ctx.count("groups", mine ? "existing" : "skipped");
      if (!mine) notes.push(`group ${JSON.stringify(g.id)} already exists and was not made by this import; left as it is`);
      continue;
    }
    const at = g.updatedAt ?? fileTime;
    const group: Group = {
      id: g.id,
      currentSessionId: g.currentSessionId,
      history: g.history,
      lastRolloverAt: g.lastRolloverAt,
      metadata: { ...g.metadata, imported: { from: "infer", file, key } },
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    if (!ctx.dryRun) await ctx.target.restore.group(group);
    ctx.count("groups", "imported");
  }
  return { status: "imported", notes };
}
