/**
 * Changesets and tool invocations on SQL: `changesets` (the record as JSON, plus plan_id,
 * created_at and the last_seq counter), `changeset_entries` keyed by (changeset_id, seq), and
 * `tool_invocations` (JSON plus plan_id and started_at). Tables and indexes: 004-changesets.ts.
 */
import type { ChangeEntry, ChangeSet, ChangeSetStatus, ChangeSetWithEntries, RecordResult, ToolInvocation } from "../../domain/changesets.js";
import { conflict, invalidParams, notFound } from "../../domain/errors.js";
import type { ChangeInput, ChangesetStore, InvocationInput, NewEntry, Page, PlanPageQuery } from "../contract.js";
import { buildInvocation, changesetKey, checkOpen, checkTransition, compareKeys, invocationKey, newChangeset, stampEntry } from "../common/changesets.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { SqlStore } from "./store.js";
import type { Param, Sql, TxSql } from "./db.js";

const parse = <T>(r: { data: string }): T => JSON.parse(r.data) as T;

/** Rows per multi-row entry INSERT: few round trips for a large record call, few distinct statements to cache. */
const ENTRY_CHUNK = 50;

const entryValues = (n: number) => Array.from({ length: n }, () => "(?, ?, ?)").join(", ");

async function insertEntries(q: TxSql, entries: readonly ChangeEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += ENTRY_CHUNK) {
    const chunk = entries.slice(i, i + ENTRY_CHUNK);
    const params: Param[] = chunk.flatMap((e) => [e.changesetId, e.seq, JSON.stringify(e)]);
    await q.run(`INSERT INTO changeset_entries (changeset_id, seq, data) VALUES ${entryValues(chunk.length)}`, params);
  }
}

/**
 * A keyset page of one plan's rows, ascending (time, id), through the (plan_id, time, id) index.
 * `table` and `time` are constants of this module's callers, never caller input.
 */
async function planPage<T>(
  read: Sql,
  table: "changesets" | "tool_invocations",
  time: "created_at" | "started_at",
  query: PlanPageQuery,
  parse: (row: { data: string }) => T,
  key: (item: T) => [string, string],
): Promise<Page<T>> {
  const params: Param[] = [query.planId];
  let after = "";
  if (query.cursor !== undefined) {
    const [at, id] = decodeCursor(query.cursor, 2);
    if (typeof at !== "string" || typeof id !== "string") throw invalidParams("cursor is not one this server issued", "/cursor");
    after = ` AND (${time}, id) > (?, ?)`;
    params.push(at, id);
  }
  const rows = await read.all<{ data: string }>(
    `SELECT data FROM ${table} WHERE plan_id = ?${after} ORDER BY ${time}, id LIMIT ?`,
    [...params, query.limit + 1],
  );
  const items = rows.slice(0, query.limit).map(parse);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > query.limit && last ? encodeCursor(key(last)) : null };
}

export class SqlChangesets extends SqlStore implements ChangesetStore {
  /**
   * The changeset row, locked until commit (Postgres): concurrent record and setStatus calls on one
   * changeset queue here, so each reads the last_seq and status the previous one committed.
   */
  private async lock(q: TxSql, id: string): Promise<{ cs: ChangeSet; lastSeq: number }> {
    const row = await q.get<{ data: string; last_seq: number }>(`SELECT data, last_seq FROM changesets WHERE id = ?${this.db.dialect.forUpdate}`, [id]);
    if (!row) throw notFound("changeset", id);
    return { cs: parse<ChangeSet>(row), lastSeq: Number(row.last_seq) };
  }

  start(input: { id: string; planId: string }): Promise<ChangeSet> {
    return this.tx(async (q) => {
      const cs = newChangeset(input, this.now());
      const inserted = await q.run(
        "INSERT INTO changesets (id, plan_id, created_at, last_seq, data) VALUES (?, ?, ?, 0, ?) ON CONFLICT (id) DO NOTHING",
        [cs.id, cs.planId, cs.createdAt, JSON.stringify(cs)],
      );
      if (inserted === 0) throw conflict(`changeset ${JSON.stringify(input.id)} already exists`, { id: input.id });
      await this.change(q, { domain: "changesets", type: "changeset.started", id: cs.id, data: { planId: cs.planId } });
      return cs;
    });
  }

  /** One statement, so one snapshot: the changeset and exactly the entries committed with it. */
  async get(id: string): Promise<ChangeSetWithEntries> {
    const rows = await this.db.read.all<{ cs: string; entry: string | null }>(
      "SELECT c.data AS cs, e.data AS entry FROM changesets c LEFT JOIN changeset_entries e ON e.changeset_id = c.id WHERE c.id = ? ORDER BY e.seq",
      [id],
    );
    if (rows.length === 0) throw notFound("changeset", id);
    const entries = rows.flatMap((r) => (r.entry === null ? [] : [JSON.parse(r.entry) as ChangeEntry]));
    return { ...(JSON.parse(rows[0].cs) as ChangeSet), entries };
  }

  record(changesetId: string, entries: NewEntry[]): Promise<RecordResult> {
    return this.tx(async (q) => {
      const { cs, lastSeq: prev } = await this.lock(q, changesetId);
      checkOpen(cs);
      const now = this.now();
      const firstSeq = prev + 1;
      const stamped = entries.map((e, i) => stampEntry(e, cs, firstSeq + i, now));
      await insertEntries(q, stamped);
      const lastSeq = prev + stamped.length;
      await q.run("UPDATE changesets SET last_seq = ?, data = ? WHERE id = ?", [lastSeq, JSON.stringify({ ...cs, updatedAt: now }), cs.id]);
      await this.change(q, { domain: "changesets", type: "changeset.recorded", id: cs.id, data: { planId: cs.planId, firstSeq, lastSeq } });
      return { changesetId: cs.id, firstSeq, lastSeq, entryIds: stamped.map((e) => e.id) };
    });
  }

  listForPlan(query: PlanPageQuery): Promise<Page<ChangeSet>> {
    return planPage(this.db.read, "changesets", "created_at", query, parse<ChangeSet>, changesetKey);
  }

  setStatus(id: string, status: ChangeSetStatus): Promise<ChangeSet> {
    return this.tx(async (q) => {
      const { cs } = await this.lock(q, id);
      if (!checkTransition(cs, status)) return cs;
      const next: ChangeSet = { ...cs, status, updatedAt: this.now() };
      await q.run("UPDATE changesets SET data = ? WHERE id = ?", [JSON.stringify(next), id]);
      await this.change(q, { domain: "changesets", type: "changeset.recorded", id, data: { planId: cs.planId, status, from: cs.status } });
      return next;
    });
  }

  /**
   * One DELETE … RETURNING decides which changesets go: on Postgres it waits for a record call that
   * holds a row's lock and then sees its entries, and a record call arriving later finds no row.
   */
  deleteForPlan(planId: string): Promise<{ changesets: number; entries: number }> {
    return this.tx(async (q) => {
      const gone = await q.all<{ id: string; created_at: string }>("DELETE FROM changesets WHERE plan_id = ? RETURNING id, created_at", [planId]);
      gone.sort((a, b) => compareKeys([a.created_at, a.id], [b.created_at, b.id]));
      let entries = 0;
      const changes: ChangeInput[] = [];
      for (const { id } of gone) {
        const n = await q.run("DELETE FROM changeset_entries WHERE changeset_id = ?", [id]);
        entries += n;
        changes.push({ domain: "changesets", type: "changeset.deleted", id, data: { planId, entries: n } });
      }
      if (changes.length > 0) await this.change(q, ...changes);
      return { changesets: gone.length, entries };
    });
  }

  saveInvocation(input: InvocationInput): Promise<ToolInvocation> {
    return this.tx(async (q) => {
      const now = this.now();
      const load = async () => {
        const row = await q.get<{ data: string }>(`SELECT data FROM tool_invocations WHERE id = ?${this.db.dialect.forUpdate}`, [input.id]);
        return row ? parse<ToolInvocation>(row) : undefined;
      };
      let existing = await load();
      let inv = buildInvocation(input, existing, now);
      if (existing === undefined) {
        const inserted = await q.run(
          "INSERT INTO tool_invocations (id, plan_id, started_at, data) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
          [inv.id, inv.planId, inv.startedAt, JSON.stringify(inv)],
        );
        if (inserted === 0) {
          // Another daemon created it after our read (Postgres); its row is committed and visible now.
          existing = await load();
          inv = buildInvocation(input, existing, now);
        }
      }
      if (existing !== undefined) {
        await q.run("UPDATE tool_invocations SET started_at = ?, data = ? WHERE id = ?", [inv.startedAt, JSON.stringify(inv), inv.id]);
      }
      await this.change(q, {
        domain: "changesets", type: "invocation.saved", id: inv.id, data: { planId: inv.planId, status: inv.status, created: existing === undefined },
      });
      return inv;
    });
  }

  async getInvocation(id: string): Promise<ToolInvocation> {
    const row = await this.db.read.get<{ data: string }>("SELECT data FROM tool_invocations WHERE id = ?", [id]);
    if (!row) throw notFound("invocation", id);
    return parse<ToolInvocation>(row);
  }

  listInvocationsForPlan(query: PlanPageQuery): Promise<Page<ToolInvocation>> {
    return planPage(this.db.read, "tool_invocations", "started_at", query, parse<ToolInvocation>, invocationKey);
  }

  deleteInvocationsForPlan(planId: string): Promise<{ invocations: number }> {
    return this.tx(async (q) => {
      const gone = await q.all<{ id: string; started_at: string }>("DELETE FROM tool_invocations WHERE plan_id = ? RETURNING id, started_at", [planId]);
      gone.sort((a, b) => compareKeys([a.started_at, a.id], [b.started_at, b.id]));
      if (gone.length > 0) {
        await this.change(q, ...gone.map(({ id }): ChangeInput => ({ domain: "changesets", type: "invocation.deleted", id, data: { planId } })));
      }
      return { invocations: gone.length };
    });
  }
}
