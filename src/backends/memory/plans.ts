/** Plans held in process, bodies included. The jsonl port extends this model and keeps each in a Markdown file. */
import { compareKeys } from "../../domain/order.js";
import type { Plan, PlanSummary } from "../../domain/plans.js";
import type { PlanFilter, PlanKey, PlansReadPort, PlansWritePort } from "../contract.js";
import { clone } from "../../domain/clone.js";

export const PLAN_WRITES: ReadonlySet<string> = new Set<keyof PlansWritePort>(["putPlan", "deletePlan"]);

const key = (p: PlanSummary): PlanKey => [p.createdAt, p.id];
const summary = ({ body: _body, ...rest }: Plan): PlanSummary => rest;

export class MemoryPlansPort implements PlansReadPort, PlansWritePort {
  protected readonly plans = new Map<string, Plan>();

  async plan(id: string) {
    const p = this.plans.get(id);
    return p && clone(p);
  }

  async listPlans(filter: PlanFilter, after: PlanKey | undefined, limit: number) {
    const rows = [...this.plans.values()]
      .filter((p) => (filter.sessionId === undefined || p.sessionId === filter.sessionId) && (filter.status === undefined || p.status === filter.status))
      .map(summary)
      .filter((p) => after === undefined || compareKeys(key(p), after) < 0)
      .sort((a, b) => compareKeys(key(b), key(a)));
    return clone(rows.slice(0, limit));
  }

  putPlan(next: Plan, _prev: Plan | undefined, _source?: string): void {
    this.plans.set(next.id, clone(next));
  }

  deletePlan(plan: Plan): void {
    this.plans.delete(plan.id);
  }
}
