/**
 * Plans on Redis (layout in keys.ts). The record without its body lives under `p:<id>` and the
 * body under `pb:<id>`, so lists (which return no bodies) read only small records, and a save that
 * does not change the body does not send it again. Every save bumps `version`, so the record string
 * alone is the write guard: the body never changes without it. Lists walk one lexicographic index
 * of `<createdAt>\0<id>` backwards: per session, per status, or all plans.
 */
import { notFound } from "../../domain/errors.js";
import type { ListPlansParams, Plan, PlanSave, PlanSummary } from "../../domain/plans.js";
import type { BackendOptions, Page, PageQuery, PlanStore } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { planSortKey, savePlanRecord, summarizePlan } from "../common/plans.js";
import { checkVersion } from "../../core/sessions.js";
import type { Command, RedisClient } from "./client.js";
import { lexId, lexMember, type Keys } from "./keys.js";
import type { WritePlan, Writer } from "./write.js";

interface Stored {
  raw: string | null;
  plan?: Plan;
}

export class RedisPlans implements PlanStore {
  constructor(
    protected readonly client: RedisClient,
    protected readonly keys: Keys,
    protected readonly writer: Writer,
    protected readonly opts: BackendOptions,
  ) {}

  private async read(id: string): Promise<Stored> {
    const [raw, body] = await this.client.call((r) => r.mget(this.keys.plan(id), this.keys.planBody(id)));
    if (raw === null) return { raw };
    return { raw, plan: { ...(JSON.parse(raw) as PlanSummary), body: body === null ? "" : (JSON.parse(body) as string) } };
  }

  /** Moves the plan's index entries from `old` to `next` (either may be absent). */
  private index(old: PlanSummary | undefined, next: PlanSummary | undefined): Command[] {
    const k = this.keys;
    const entries = (p: PlanSummary) => [k.plans(), k.plansByStatus(p.status), ...(p.sessionId === undefined ? [] : [k.plansBySession(p.sessionId)])];
    const before = new Set(old ? entries(old) : []);
    const after = new Set(next ? entries(next) : []);
    const cmds: Command[] = [];
    for (const key of before) if (!after.has(key)) cmds.push(["ZREM", key, lexMember((old as PlanSummary).createdAt, (old as PlanSummary).id)]);
    for (const key of after) if (!before.has(key)) cmds.push(["ZADD", key, 0, lexMember((next as PlanSummary).createdAt, (next as PlanSummary).id)]);
    return cmds;
  }

  savePlan(input: PlanSave & { id: string }) {
    return this.writer.write(async (): Promise<WritePlan<Plan>> => {
      const { raw, plan: existing } = await this.read(input.id);
      const plan = savePlanRecord(existing, input, this.opts.now().toISOString());
      const summary = summarizePlan(plan);
      const commands: Command[] = [["SET", this.keys.plan(plan.id), JSON.stringify(summary)]];
      if (!existing || input.body !== undefined) commands.push(["SET", this.keys.planBody(plan.id), JSON.stringify(plan.body)]);
      commands.push(...this.index(existing && summarizePlan(existing), summary));
      return {
        guards: [{ key: this.keys.plan(plan.id), expect: raw }],
        changes: [{ domain: "plans", type: "plan.saved", id: plan.id, version: plan.version, data: { status: plan.status } }],
        commands,
        result: plan,
      };
    });
  }

  async getPlan(id: string) {
    const { plan } = await this.read(id);
    if (!plan) throw notFound("plan", id);
    return plan;
  }

  /**
   * Walks the narrowest index the filters name (session, else status, else all plans) from the
   * cursor backwards; with both filters the status is checked on the records read, so the walk is
   * bounded by the session's plans.
   */
  async listPlans(q: Omit<ListPlansParams, "limit"> & PageQuery): Promise<Page<PlanSummary>> {
    const k = this.keys;
    const index = q.sessionId !== undefined ? k.plansBySession(q.sessionId) : q.status !== undefined ? k.plansByStatus(q.status) : k.plans();
    let max = q.cursor === undefined ? "+" : "(" + lexMember(...(decodeCursor(q.cursor, 2).map(String) as [string, string]));
    const batch = q.sessionId !== undefined && q.status !== undefined ? Math.max(q.limit + 1, 100) : q.limit + 1;
    const items: PlanSummary[] = [];
    let more = false;
    for (;;) {
      const members = await this.client.call((r) => r.zrevrangebylex(index, max, "-", "LIMIT", 0, batch));
      if (members.length === 0) break;
      const raws = await this.client.call((r) => r.mget(...members.map((m) => k.plan(lexId(m)))));
      for (const raw of raws) {
        if (raw === null) continue; // deleted between the two reads
        const p = JSON.parse(raw) as PlanSummary;
        if ((q.status !== undefined && p.status !== q.status) || (q.sessionId !== undefined && p.sessionId !== q.sessionId)) continue;
        if (items.length === q.limit) {
          more = true;
          break;
        }
        items.push(p);
      }
      if (more || members.length < batch) break;
      max = "(" + members[members.length - 1];
    }
    const last = items[items.length - 1];
    return { items, nextCursor: more && last ? encodeCursor(planSortKey(last)) : null };
  }

  async deletePlan(id: string, expectedVersion?: number) {
    await this.writer.write(async (): Promise<WritePlan<void>> => {
      const { raw, plan } = await this.read(id);
      if (!plan) throw notFound("plan", id);
      checkVersion("plan", plan, expectedVersion);
      return {
        guards: [{ key: this.keys.plan(id), expect: raw }],
        changes: [{ domain: "plans", type: "plan.deleted", id, version: plan.version }],
        commands: [["DEL", this.keys.plan(id), this.keys.planBody(id)], ...this.index(summarizePlan(plan), undefined)],
        result: undefined,
      };
    });
  }
}
