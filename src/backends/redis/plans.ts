/**
 * Plans on Redis (layout in keys.ts). The record without its body lives under `p:<id>` and the
 * body under `pb:<id>`, so lists (which return no bodies) read only small records, and a save that
 * does not change the body does not send it again. Every write of a plan rewrites `p:<id>` (its
 * version moves), so that record's guard covers the body too. Lists walk one lexicographic index
 * of `<createdAt>\0<id>` backwards: per session, per status, or all plans.
 */
import type { Plan, PlanSummary } from "../../domain/plans.js";
import type { PlanFilter, PlanKey, PlansReadPort, PlansWritePort } from "../contract.js";
import type { Command } from "./client.js";
import { lexId, lexMember } from "./keys.js";
import { RedisPort } from "./port.js";

const summary = ({ body: _body, ...rest }: Plan): PlanSummary => rest;

export class RedisPlansPort extends RedisPort implements PlansReadPort, PlansWritePort {
  async plan(id: string) {
    const key = this.k.plan(id);
    const raw = await this.get(key);
    if (raw === null) return undefined;
    const body = await this.client.call((r) => r.get(this.k.planBody(id)));
    return { ...(JSON.parse(raw) as PlanSummary), body: body === null ? "" : (JSON.parse(body) as string) };
  }

  /**
   * Walks the narrowest index the filter names (session, else status, else all plans) from `after`
   * backwards; with both filters the status is checked on the records read, so the walk is bounded
   * by the session's plans.
   */
  async listPlans(filter: PlanFilter, after: PlanKey | undefined, limit: number) {
    const k = this.k;
    const index = filter.sessionId !== undefined ? k.plansBySession(filter.sessionId) : filter.status !== undefined ? k.plansByStatus(filter.status) : k.plans();
    let max = after === undefined ? "+" : "(" + lexMember(after[0], after[1]);
    const batch = filter.sessionId !== undefined && filter.status !== undefined ? Math.max(limit, 100) : limit;
    const items: PlanSummary[] = [];
    while (items.length < limit) {
      const members = await this.client.call((r) => r.zrevrangebylex(index, max, "-", "LIMIT", 0, batch));
      if (members.length === 0) break;
      const raws = await this.client.call((r) => r.mget(...members.map((m) => k.plan(lexId(m)))));
      for (const raw of raws) {
        if (raw === null) continue; // deleted between the two reads
        const p = JSON.parse(raw) as PlanSummary;
        if ((filter.status !== undefined && p.status !== filter.status) || (filter.sessionId !== undefined && p.sessionId !== filter.sessionId)) continue;
        if (items.length < limit) items.push(p);
      }
      if (members.length < batch) break;
      max = "(" + members[members.length - 1];
    }
    return items;
  }

  /** Moves the plan's index entries from `old` to `next` (either may be absent). */
  private index(old: PlanSummary | undefined, next: PlanSummary | undefined): Command[] {
    const k = this.k;
    const entries = (p: PlanSummary) => [k.plans(), k.plansByStatus(p.status), ...(p.sessionId === undefined ? [] : [k.plansBySession(p.sessionId)])];
    const member = (p: PlanSummary) => lexMember(p.createdAt, p.id);
    const before = new Set(old ? entries(old) : []);
    const after = new Set(next ? entries(next) : []);
    const moved = old !== undefined && next !== undefined && member(old) !== member(next);
    const cmds: Command[] = [];
    for (const key of before) if (old && (moved || !after.has(key))) cmds.push(["ZREM", key, member(old)]);
    for (const key of after) if (next && (moved || !before.has(key))) cmds.push(["ZADD", key, 0, member(next)]);
    return cmds;
  }

  putPlan(next: Plan, prev: Plan | undefined): void {
    const commands: Command[] = [["SET", this.k.plan(next.id), JSON.stringify(summary(next))]];
    if (!prev || prev.body !== next.body) commands.push(["SET", this.k.planBody(next.id), JSON.stringify(next.body)]);
    commands.push(...this.index(prev && summary(prev), summary(next)));
    this.writes.command(...commands);
  }

  deletePlan(plan: Plan): void {
    this.writes.command(["DEL", this.k.plan(plan.id), this.k.planBody(plan.id)], ...this.index(summary(plan), undefined));
  }
}
