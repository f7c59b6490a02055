/**
 * Changesets and invocations held in process: records by id, entries per changeset in seq order,
 * and per plan an index of (time, id). The jsonl port extends this model and keeps entries and
 * invocation bodies in files instead.
 */
import type { ChangeEntry, ToolInvocation } from "../../domain/changesets.js";
import { compareKeys } from "../../domain/order.js";
import type { ChangesetsReadPort, ChangesetsWritePort, PlanItemKey, StoredChangeset } from "../contract.js";
import { clone } from "../../domain/clone.js";

export const CHANGESET_WRITES: ReadonlySet<string> = new Set<keyof ChangesetsWritePort>([
  "putChangeset", "insertEntries", "deleteChangeset", "putInvocation", "deleteInvocation",
]);

/** Per plan: record id → the time it is listed by. */
export class PlanIndex {
  private readonly plans = new Map<string, Map<string, string>>();

  set(planId: string, id: string, time: string): void {
    let ids = this.plans.get(planId);
    if (!ids) this.plans.set(planId, (ids = new Map()));
    ids.set(id, time);
  }

  delete(planId: string, id: string): void {
    const ids = this.plans.get(planId);
    if (ids?.delete(id) && ids.size === 0) this.plans.delete(planId);
  }

  clear(): void {
    this.plans.clear();
  }

  /** Ids of the plan ascending by (time, id), after `after`, at most `limit`. */
  page(planId: string, after: PlanItemKey | undefined, limit: number): string[] {
    const keys = [...(this.plans.get(planId) ?? [])]
      .map(([id, time]): PlanItemKey => [time, id])
      .filter((k) => after === undefined || compareKeys(k, after) > 0)
      .sort(compareKeys);
    return keys.slice(0, limit).map(([, id]) => id);
  }
}

export class MemoryChangesetsPort implements ChangesetsReadPort, ChangesetsWritePort {
  protected readonly changesets = new Map<string, StoredChangeset>();
  protected readonly changesetsByPlan = new PlanIndex();
  protected readonly invocationsByPlan = new PlanIndex();
  private readonly entries = new Map<string, ChangeEntry[]>();
  private readonly invocations = new Map<string, ToolInvocation>();

  async changeset(id: string) {
    const cs = this.changesets.get(id);
    return cs && { ...cs };
  }

  async changesetWithEntries(id: string) {
    const cs = this.changesets.get(id);
    return cs && { changeset: { ...cs }, entries: clone((this.entries.get(id) ?? []).slice(0, cs.lastSeq)) };
  }

  async changesetsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number) {
    return this.changesetsByPlan.page(planId, after, limit).map((id) => ({ ...(this.changesets.get(id) as StoredChangeset) }));
  }

  async invocation(id: string) {
    const inv = this.invocations.get(id);
    return inv && clone(inv);
  }

  async invocationsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number): Promise<ToolInvocation[]> {
    return clone(this.invocationsByPlan.page(planId, after, limit).map((id) => this.invocations.get(id) as ToolInvocation));
  }

  putChangeset(next: StoredChangeset, prev: StoredChangeset | undefined): void {
    if (prev) this.changesetsByPlan.delete(prev.planId, prev.id);
    this.changesets.set(next.id, { ...next });
    this.changesetsByPlan.set(next.planId, next.id, next.createdAt);
  }

  insertEntries(changeset: StoredChangeset, entries: ChangeEntry[]): void {
    const list = this.entries.get(changeset.id);
    if (list) list.push(...clone(entries));
    else this.entries.set(changeset.id, clone(entries));
  }

  deleteChangeset(changeset: StoredChangeset): void {
    this.changesets.delete(changeset.id);
    this.entries.delete(changeset.id);
    this.changesetsByPlan.delete(changeset.planId, changeset.id);
  }

  putInvocation(next: ToolInvocation, prev: ToolInvocation | undefined): void {
    if (prev) this.invocationsByPlan.delete(prev.planId, prev.id);
    this.invocations.set(next.id, clone(next));
    this.invocationsByPlan.set(next.planId, next.id, next.startedAt);
  }

  deleteInvocation(invocation: ToolInvocation): void {
    this.invocations.delete(invocation.id);
    this.invocationsByPlan.delete(invocation.planId, invocation.id);
  }
}
