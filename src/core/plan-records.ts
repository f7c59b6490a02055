/** Plan record rules: defaults, patches, hand edits, ordering. Pure; the caller stores the result. */
import { invalidParams } from "../domain/errors.js";
import { planUri, slugify, type Plan, type PlanSave, type PlanSummary } from "../domain/plans.js";
import type { PlanEdit } from "../backends/contract.js";
import { missingWithVersion } from "./group-records.js";
import { checkVersion } from "./sessions.js";

/** The plan after `plans.save`; see PlanStore.savePlan. Throws before anything changes. */
export function savePlanRecord(existing: Plan | undefined, input: PlanSave & { id: string }, now: string): Plan {
  if (!existing) {
    if (input.expectedVersion !== undefined) missingWithVersion("plan", input.id, input.expectedVersion);
    if (input.title === undefined) throw invalidParams("a new plan needs a title", "/title");
    const plan: Plan = {
      id: input.id,
      title: input.title,
      slug: input.slug ?? slugify(input.title),
      body: input.body ?? "",
      status: input.status ?? "draft",
      createdAt: now,
      updatedAt: now,
      version: 1,
      uri: planUri(input.id),
    };
    if (input.sessionId != null) plan.sessionId = input.sessionId;
    return plan;
  }
  checkVersion("plan", existing, input.expectedVersion);
  const next: Plan = { ...existing, version: existing.version + 1, updatedAt: now };
  if (input.title !== undefined) next.title = input.title;
  if (input.body !== undefined) next.body = input.body;
  if (input.status !== undefined) next.status = input.status;
  if (input.slug !== undefined) next.slug = input.slug;
  if (input.sessionId === null) delete next.sessionId;
  else if (input.sessionId !== undefined) next.sessionId = input.sessionId;
  return next;
}

/**
 * The record a hand-edited file stands for: the next version of `existing` (fields the file leaves
 * out are kept, except sessionId: no sessionId means none), or a new plan with defaults filled in
 * (the file's createdAt and version when it has them).
 */
export function editedPlanRecord(existing: Plan | undefined, id: string, f: PlanEdit, now: string): Plan {
  const p: Plan = existing
    ? { ...existing, title: f.title, body: f.body, slug: f.slug ?? existing.slug, status: f.status ?? existing.status, updatedAt: now, version: existing.version + 1 }
    : { id, title: f.title, body: f.body, slug: f.slug ?? slugify(f.title), status: f.status ?? "draft", createdAt: f.createdAt ?? now, updatedAt: now, version: f.version ?? 1, uri: planUri(id) };
  if (f.sessionId === null) delete p.sessionId;
  else p.sessionId = f.sessionId;
  return p;
}

export const summarizePlan = ({ body: _body, ...rest }: Plan): PlanSummary => rest;

/** Plans sort newest createdAt first, ties by id descending (code point order); the cursor is that key. */
export const planSortKey = (p: { createdAt: string; id: string }): [string, string] => [p.createdAt, p.id];
