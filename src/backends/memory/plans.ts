/** In-memory plans. Each write checks, then mutates and records synchronously: that makes it atomic. */
import { notFound } from "../../domain/errors.js";
import type { ListPlansParams, Plan, PlanSave, PlanSummary } from "../../domain/plans.js";
import type { BackendOptions, Page, PageQuery, PlanStore } from "../contract.js";
import { decodeCursor, firstPage } from "../../core/paging.js";
import { comparePlansDesc, planSortKey, savePlanRecord, summarizePlan } from "../common/plans.js";
import { checkVersion } from "../../core/sessions.js";
import type { MemoryChangeLog } from "./changes.js";

export class MemoryPlans implements PlanStore {
  private readonly plans = new Map<string, Plan>();

  constructor(
    protected readonly opts: BackendOptions,
    protected readonly changes: MemoryChangeLog,
  ) {}

  private plan(id: string): Plan {
    const p = this.plans.get(id);
    if (!p) throw notFound("plan", id);
    return p;
  }

  async savePlan(input: PlanSave & { id: string }) {
    const plan = savePlanRecord(this.plans.get(input.id), input, this.opts.now().toISOString());
    this.plans.set(plan.id, structuredClone(plan));
    this.changes.record({ domain: "plans", type: "plan.saved", id: plan.id, version: plan.version, data: { status: plan.status } });
    return plan;
  }

  async getPlan(id: string) {
    return structuredClone(this.plan(id));
  }

  async listPlans(q: Omit<ListPlansParams, "limit"> & PageQuery): Promise<Page<PlanSummary>> {
    const after = q.cursor === undefined ? undefined : (decodeCursor(q.cursor, 2) as [string, string]);
    const all = [...this.plans.values()]
      .filter((p) => (q.sessionId === undefined || p.sessionId === q.sessionId) && (q.status === undefined || p.status === q.status))
      .map(summarizePlan)
      .sort(comparePlansDesc)
      .filter((p) => after === undefined || p.createdAt < after[0] || (p.createdAt === after[0] && p.id < after[1]));
    return structuredClone(firstPage(all, q.limit, planSortKey));
  }

  async deletePlan(id: string, expectedVersion?: number) {
    const p = this.plan(id);
    checkVersion("plan", p, expectedVersion);
    this.plans.delete(id);
    this.changes.record({ domain: "plans", type: "plan.deleted", id, version: p.version });
  }
}
