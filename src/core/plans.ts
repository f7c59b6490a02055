/**
 * Plans (SPEC §3.4), written once over the storage primitives (src/backends/contract/ports/plans.ts).
 * Hand edits of layouts that keep plans as files (jsonl) come through here too (`edited`,
 * `removed`): the layout says what a file now holds, the core decides what record it becomes.
 */
import { notFound } from "../domain/errors.js";
import { planUri, type ListPlansParams, type Plan, type PlanSave, type PlanSummary } from "../domain/plans.js";
import type { Page, PageQuery, PlanEdit, PlanStore, Storage, UnitOfWork } from "../backends/contract.js";
import { checkRestoredVersion } from "./group-records.js";
import { decodeCursor, pageOf } from "./paging.js";
import { editedPlanRecord, planSortKey, savePlanRecord } from "./plan-records.js";
import { checkVersion } from "./sessions.js";
import { clone } from "../domain/clone.js";

function saved(u: UnitOfWork, plan: Plan, prev: Plan | undefined, data: Record<string, unknown>, source?: string): Plan {
  u.plans.putPlan(plan, prev, source);
  u.change({ domain: "plans", type: "plan.saved", id: plan.id, version: plan.version, data });
  return plan;
}

export class CorePlans implements PlanStore {
  constructor(private readonly storage: Storage) {}

  async savePlan(input: PlanSave & { id: string }): Promise<Plan> {
    return this.storage.write(async (u) => {
      const existing = await u.plans.plan(input.id);
      const plan = savePlanRecord(existing, clone(input), u.now);
      return saved(u, plan, existing, { status: plan.status });
    });
  }

  async getPlan(id: string): Promise<Plan> {
    return this.storage.read(async (r) => {
      const p = await r.plans.plan(id);
      if (!p) throw notFound("plan", id);
      return p;
    });
  }

  async listPlans(q: Omit<ListPlansParams, "limit"> & PageQuery): Promise<Page<PlanSummary>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2, ["string", "string"]) as [string, string]);
    const filter = { sessionId: q.sessionId, status: q.status };
    return this.storage.read(async (r) => pageOf(await r.plans.listPlans(filter, after, q.limit + 1), q.limit, planSortKey));
  }

  async deletePlan(id: string, expectedVersion?: number): Promise<void> {
    return this.storage.write(async (u) => {
      const p = await u.plans.plan(id);
      if (!p) throw notFound("plan", id);
      checkVersion("plan", p, expectedVersion);
      u.plans.deletePlan(p);
      u.change({ domain: "plans", type: "plan.deleted", id, version: p.version });
    });
  }

  /**
   * A person edited or added the file of plan `id`, which now says `edit` (its text: `source`).
   * `current`, checked inside the unit, says the layout's view of the file still holds (no write of
   * the store's own reached it since it was read); when it does not, nothing happens.
   */
  async edited(id: string, edit: PlanEdit, source: string, current: () => boolean = () => true): Promise<Plan | undefined> {
    return this.storage.write(async (u) => {
      if (!current()) return undefined;
      const existing = await u.plans.plan(id);
      const plan = editedPlanRecord(existing, id, edit, u.now);
      return saved(u, plan, existing, { status: plan.status }, source);
    });
  }

  /** A person deleted the file of plan `id`: the plan goes, as a deletion would (nothing if it is unknown). `current` as for `edited`. */
  async removed(id: string, current: () => boolean = () => true): Promise<void> {
    return this.storage.write(async (u) => {
      if (!current()) return;
      const p = await u.plans.plan(id);
      if (!p) return;
      u.plans.deletePlan(p);
      u.change({ domain: "plans", type: "plan.deleted", id, version: p.version });
    });
  }

  /** The restore path for plans (RestoreStore.plan): the record as given (uri recomputed), replacing a stored one. */
  async restore(plan: Plan): Promise<void> {
    checkRestoredVersion("plan", plan);
    return this.storage.write(async (u) => {
      const stored = await u.plans.plan(plan.id);
      saved(u, { ...clone(plan), uri: planUri(plan.id) }, stored, { status: plan.status, restored: true });
    });
  }
}
