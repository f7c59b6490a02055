/**
 * Changesets and tool invocations on SQL: `changesets` (the record as JSON, plus plan_id,
 * created_at and the last_seq counter), `changeset_entries` keyed by (changeset_id, seq), and
 * `tool_invocations` (JSON plus plan_id and started_at). Tables and indexes: 004-changesets.ts
 * (text columns in binary collation, so ORDER BY is code point order).
 */
import type { ChangeEntry, ToolInvocation } from "../../domain/changesets.js";
import type { ChangesetsReadPort, ChangesetsWritePort, PlanItemKey, StoredChangeset } from "../contract.js";
import type { Param, Sql } from "./db.js";
import type { SqlWrites } from "./writes.js";

/** Rows per multi-row entry INSERT: few round trips for a large record call, few distinct statements to cache. */
const ENTRY_CHUNK = 50;
const entryValues = (n: number) => Array.from({ length: n }, () => "(?, ?, ?)").join(", ");

const stored = (r: { data: string; last_seq: number }): StoredChangeset => ({ ...(JSON.parse(r.data) as StoredChangeset), lastSeq: Number(r.last_seq) });
const parseInvocation = (r: { data: string }): ToolInvocation => JSON.parse(r.data) as ToolInvocation;
/** The changeset's JSON column holds the public record; last_seq has its own column. */
const changesetData = ({ lastSeq: _seq, ...cs }: StoredChangeset) => JSON.stringify(cs);

export class SqlChangesetsPort implements ChangesetsReadPort, ChangesetsWritePort {
  /** `lock` is the dialect's FOR UPDATE inside a unit of work, "" for plain reads. */
  constructor(
    private readonly q: Sql,
    private readonly lock: string,
    private readonly w: SqlWrites,
  ) {}

  async changeset(id: string) {
    const row = await this.q.get<{ data: string; last_seq: number }>(`SELECT data, last_seq FROM changesets WHERE id = ?${this.lock}`, [id]);
    return row && stored(row);
  }

  /** One statement, so one snapshot: the changeset and exactly the entries committed with it. */
  async changesetWithEntries(id: string) {
    const rows = await this.q.all<{ cs: string; last_seq: number; entry: string | null }>(
      "SELECT c.data AS cs, c.last_seq AS last_seq, e.data AS entry FROM changesets c LEFT JOIN changeset_entries e ON e.changeset_id = c.id WHERE c.id = ? ORDER BY e.seq",
      [id],
    );
    if (rows.length === 0) return undefined;
    return {
      changeset: stored({ data: rows[0].cs, last_seq: rows[0].last_seq }),
      entries: rows.flatMap((r) => (r.entry === null ? [] : [JSON.parse(r.entry) as ChangeEntry])),
    };
  }

  /** `table` and `time` are constants of this module, never caller input. */
  private planRows<R>(table: "changesets" | "tool_invocations", time: "created_at" | "started_at", columns: string, planId: string, after: PlanItemKey | undefined, limit: number) {
    const params: Param[] = [planId];
    let cond = "";
    if (after !== undefined) {
      cond = ` AND (${time}, id) > (?, ?)`;
      params.push(after[0], after[1]);
    }
    return this.q.all<R>(`SELECT ${columns} FROM ${table} WHERE plan_id = ?${cond} ORDER BY ${time}, id LIMIT ?${this.lock}`, [...params, limit]);
  }

  async changesetsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number) {
    return (await this.planRows<{ data: string; last_seq: number }>("changesets", "created_at", "data, last_seq", planId, after, limit)).map(stored);
  }

  async invocation(id: string) {
    const row = await this.q.get<{ data: string }>(`SELECT data FROM tool_invocations WHERE id = ?${this.lock}`, [id]);
    return row && parseInvocation(row);
  }

  async invocationsOfPlan(planId: string, after: PlanItemKey | undefined, limit: number) {
    return (await this.planRows<{ data: string }>("tool_invocations", "started_at", "data", planId, after, limit)).map(parseInvocation);
  }

  putChangeset(next: StoredChangeset, prev: StoredChangeset | undefined): void {
    const params: Param[] = [next.planId, next.createdAt, next.lastSeq, changesetData(next), next.id];
    if (prev === undefined) this.w.run("INSERT INTO changesets (plan_id, created_at, last_seq, data, id) VALUES (?, ?, ?, ?, ?)", params);
    else this.w.run("UPDATE changesets SET plan_id = ?, created_at = ?, last_seq = ?, data = ? WHERE id = ?", params);
  }

  insertEntries(changeset: StoredChangeset, entries: ChangeEntry[]): void {
    for (let i = 0; i < entries.length; i += ENTRY_CHUNK) {
      const chunk = entries.slice(i, i + ENTRY_CHUNK);
      this.w.run(
        `INSERT INTO changeset_entries (changeset_id, seq, data) VALUES ${entryValues(chunk.length)}`,
        chunk.flatMap((e) => [changeset.id, e.seq, JSON.stringify(e)]),
      );
    }
  }

  deleteChangeset(changeset: StoredChangeset): void {
    this.w.run("DELETE FROM changeset_entries WHERE changeset_id = ?", [changeset.id]);
    this.w.run("DELETE FROM changesets WHERE id = ?", [changeset.id]);
  }

  putInvocation(next: ToolInvocation, prev: ToolInvocation | undefined): void {
    const params: Param[] = [next.planId, next.startedAt, JSON.stringify(next), next.id];
    if (prev === undefined) this.w.run("INSERT INTO tool_invocations (plan_id, started_at, data, id) VALUES (?, ?, ?, ?)", params);
    else this.w.run("UPDATE tool_invocations SET plan_id = ?, started_at = ?, data = ? WHERE id = ?", params);
  }

  deleteInvocation(invocation: ToolInvocation): void {
    this.w.run("DELETE FROM tool_invocations WHERE id = ?", [invocation.id]);
  }
}
