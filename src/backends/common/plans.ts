/** Plan record logic every backend shares: defaults, patches, ordering. Pure; the caller stores the result. */
import { invalidParams, conflict } from "../../domain/errors.js";
import { planUri, slugify, type Plan, type PlanSave, type PlanSummary } from "../../domain/plans.js";
import { checkVersion } from "../../core/sessions.js";

/** The plan after `plans.save`; see PlanStore.savePlan. Throws before anything changes. */
export function savePlanRecord(existing: Plan | undefined, input: PlanSave & { id: string }, now: string): Plan {
  if (!existing) {
    if (input.expectedVersion !== undefined) {
      throw conflict(`plan ${JSON.stringify(input.id)} does not exist, so it is not at version ${input.expectedVersion}`, {
        expectedVersion: input.expectedVersion,
        actualVersion: null,
      });
    }
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

export const summarizePlan = ({ body: _body, ...rest }: Plan): PlanSummary => rest;

/** Plans sort newest createdAt first, ties by id descending; the cursor is that key. */
export const planSortKey = (p: { createdAt: string; id: string }): [string, string] => [p.createdAt, p.id];
export const comparePlansDesc = (a: PlanSummary, b: PlanSummary): number =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1;
