/**
 * Plans on SQL: `plans` holds the plan without its body as JSON (what lists return, so a list never
 * reads a body) and the body as a JSON string literal; created_at, session_id and status are columns
 * for the newest-first keyset list and its filters. Creates race on the primary key; the loser's
 * unit runs again.
 */
import type { Plan, PlanSummary } from "../../domain/plans.js";
import type { PlanFilter, PlanKey, PlansReadPort, PlansWritePort } from "../contract.js";
import type { Param, Sql } from "./db.js";
import type { SqlWrites } from "./writes.js";

interface PlanRow {
  data: string;
  body: string;
}

const parse = (r: PlanRow): Plan => ({ ...(JSON.parse(r.data) as PlanSummary), body: JSON.parse(r.body) as string });
const parseSummary = (r: { data: string }): PlanSummary => JSON.parse(r.data) as PlanSummary;
const summary = ({ body: _body, ...rest }: Plan): PlanSummary => rest;

export class SqlPlansPort implements PlansReadPort, PlansWritePort {
  /** `lock` is the dialect's FOR UPDATE inside a unit of work, "" for plain reads. */
  constructor(
    private readonly q: Sql,
    private readonly lock: string,
    private readonly w: SqlWrites,
  ) {}

  async plan(id: string) {
    const row = await this.q.get<PlanRow>(`SELECT data, body FROM plans WHERE id = ?${this.lock}`, [id]);
    return row && parse(row);
  }

  async listPlans(filter: PlanFilter, after: PlanKey | undefined, limit: number) {
    const where: string[] = [];
    const params: Param[] = [];
    if (filter.sessionId !== undefined) {
      where.push("session_id = ?");
      params.push(filter.sessionId);
    }
    if (filter.status !== undefined) {
      where.push("status = ?");
      params.push(filter.status);
    }
    if (after !== undefined) {
      // A row comparison, not the equivalent OR: both engines seek the index to it (the OR scans from the top).
      where.push("(created_at, id) < (?, ?)");
      params.push(after[0], after[1]);
    }
    const sql = `SELECT data FROM plans ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (await this.q.all<{ data: string }>(sql, [...params, limit])).map(parseSummary);
  }

  putPlan(next: Plan, prev: Plan | undefined): void {
    const columns: Param[] = [next.createdAt, next.sessionId ?? null, next.status, JSON.stringify(summary(next)), JSON.stringify(next.body), next.id];
    if (prev === undefined) this.w.run("INSERT INTO plans (created_at, session_id, status, data, body, id) VALUES (?, ?, ?, ?, ?, ?)", columns);
    else this.w.run("UPDATE plans SET created_at = ?, session_id = ?, status = ?, data = ?, body = ? WHERE id = ?", columns);
  }

  deletePlan(plan: Plan): void {
    this.w.run("DELETE FROM plans WHERE id = ?", [plan.id]);
  }
}
