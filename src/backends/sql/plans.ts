/**
 * Plans on SQL: `plans` holds the plan without its body as JSON (what lists return, so a list never
 * reads a body) and the body as a JSON string literal; created_at, session_id and status are columns
 * for the newest-first keyset list and its filters.
 */
import { notFound } from "../../domain/errors.js";
import type { ListPlansParams, Plan, PlanSave, PlanSummary } from "../../domain/plans.js";
import type { Page, PageQuery, PlanStore } from "../contract.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { planSortKey, savePlanRecord, summarizePlan } from "../common/plans.js";
import { checkVersion } from "../../core/sessions.js";
import { SqlStore } from "./store.js";
import type { Param, TxSql } from "./db.js";

interface PlanRow {
  data: string;
  body: string;
}

const parse = (r: PlanRow): Plan => ({ ...(JSON.parse(r.data) as PlanSummary), body: JSON.parse(r.body) as string });
const parseSummary = (r: { data: string }): PlanSummary => JSON.parse(r.data) as PlanSummary;

export class SqlPlans extends SqlStore implements PlanStore {
  private async load(q: TxSql, id: string): Promise<Plan | undefined> {
    const row = await q.get<PlanRow>(`SELECT data, body FROM plans WHERE id = ?${this.db.dialect.forUpdate}`, [id]);
    return row ? parse(row) : undefined;
  }

  savePlan(input: PlanSave & { id: string }): Promise<Plan> {
    return this.tx(async (q) => {
      const now = this.opts.now().toISOString();
      let existing = await this.load(q, input.id);
      let plan = savePlanRecord(existing, input, now);
      const columns = (p: Plan): Param[] => [p.createdAt, p.sessionId ?? null, p.status, JSON.stringify(summarizePlan(p)), JSON.stringify(p.body), p.id];
      if (!existing) {
        // Another daemon may create the same id concurrently: the primary key decides, and the loser
        // applies its save to the winner's plan instead.
        const inserted = await q.run(
          "INSERT INTO plans (created_at, session_id, status, data, body, id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
          columns(plan),
        );
        if (inserted === 0) {
          existing = await this.load(q, input.id);
          plan = savePlanRecord(existing, input, now);
        }
      }
      if (existing) await q.run("UPDATE plans SET created_at = ?, session_id = ?, status = ?, data = ?, body = ? WHERE id = ?", columns(plan));
      await this.change(q, { domain: "plans", type: "plan.saved", id: plan.id, version: plan.version, data: { status: plan.status } });
      return plan;
    });
  }

  async getPlan(id: string): Promise<Plan> {
    const row = await this.db.read.get<PlanRow>("SELECT data, body FROM plans WHERE id = ?", [id]);
    if (!row) throw notFound("plan", id);
    return parse(row);
  }

  async listPlans(q: Omit<ListPlansParams, "limit"> & PageQuery): Promise<Page<PlanSummary>> {
    const where: string[] = [];
    const params: Param[] = [];
    if (q.sessionId !== undefined) {
      where.push("session_id = ?");
      params.push(q.sessionId);
    }
    if (q.status !== undefined) {
      where.push("status = ?");
      params.push(q.status);
    }
    if (q.cursor !== undefined) {
      const [createdAt, id] = decodeCursor(q.cursor, 2).map(String);
      // A row comparison, not the equivalent OR: both engines seek the index to it (the OR scans from the top).
      where.push("(created_at, id) < (?, ?)");
      params.push(createdAt, id);
    }
    const sql = `SELECT data FROM plans ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = await this.db.read.all<{ data: string }>(sql, [...params, q.limit + 1]);
    const items = rows.slice(0, q.limit).map(parseSummary);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit && last ? encodeCursor(planSortKey(last)) : null };
  }

  deletePlan(id: string, expectedVersion?: number): Promise<void> {
    return this.tx(async (q) => {
      const current = await this.load(q, id);
      if (!current) throw notFound("plan", id);
      checkVersion("plan", current, expectedVersion);
      await q.run("DELETE FROM plans WHERE id = ?", [id]);
      await this.change(q, { domain: "plans", type: "plan.deleted", id, version: current.version });
    });
  }
}
