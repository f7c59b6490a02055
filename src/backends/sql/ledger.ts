/**
 * The usage ledger on SQL: `ledger_turns`, keyed by idHash, the turn as JSON in `data` plus real
 * columns for filters, keyset paging, grouping and sums (005-ledger.ts). Dedup is the primary key:
 * INSERT … ON CONFLICT (id_hash) DO NOTHING RETURNING id_hash tells exactly which rows this
 * transaction stored, whichever daemon raced it. See docs/decisions/sql-ledger.md.
 */
import { dayFunction, emptyTotals, GROUP_FIELDS, idHash, type GroupKey, type IngestResult, type StoredTurn, type SummaryRow, type SummaryTotals, type Turn } from "../../domain/ledger.js";
import type { LedgerFilter, LedgerQuery, LedgerStore, LedgerSummaryQuery, Page } from "../contract.js";
import { invalidParams } from "../../domain/errors.js";
import { compareKeys } from "../common/ledger.js";
import { decodeCursor, encodeCursor } from "../../core/paging.js";
import { SqlStore } from "./store.js";
import type { Param, TxSql } from "./db.js";

const COLUMNS = [
  "id_hash", "ts", "day", "model", "session_id", "project", "source", "host",
  "input_tokens", "output_tokens", "reasoning_tokens", "cache_read_tokens", "cache_create_tokens", "cost_usd", "data",
] as const;
/** Rows per INSERT; a smaller remainder goes in power-of-two pieces, so few distinct statements exist. */
const CHUNK = 256;

/** The column each group key reads. */
const GROUP_COLUMNS: Record<GroupKey, string> = {
  model: "model",
  day: "day",
  session: "session_id",
  project: "project",
  source: "source",
  host: "host",
};

interface SumRow {
  turns: number;
  input: number;
  output: number;
  reasoning: number;
  cache_read: number;
  cache_create: number;
  cost: number;
  priced: number;
  [column: string]: unknown;
}

const rowParams = (t: StoredTurn): Param[] => [
  t.idHash, t.ts, t.ts.slice(0, 10), t.model, t.sessionId, t.project ?? null, t.source, t.host ?? null,
  t.usage.input, t.usage.output, t.usage.reasoning ?? 0, t.usage.cacheRead ?? 0, t.usage.cacheCreate ?? 0,
  t.costUsd ?? null, JSON.stringify(t),
];

const insertSql = (rows: number) =>
  `INSERT INTO ledger_turns (${COLUMNS.join(", ")}) VALUES ` +
  Array.from({ length: rows }, () => `(${COLUMNS.map(() => "?").join(", ")})`).join(", ") +
  " ON CONFLICT (id_hash) DO NOTHING RETURNING id_hash";

/** Splits n into CHUNK-sized pieces and then powers of two. */
function chunkSizes(n: number): number[] {
  const sizes: number[] = [];
  for (; n >= CHUNK; n -= CHUNK) sizes.push(CHUNK);
  for (let p = CHUNK / 2; p >= 1; p /= 2) {
    if (n < p) continue;
    sizes.push(p);
    n -= p;
  }
  return sizes;
}

export class SqlLedger extends SqlStore implements LedgerStore {
  async ingest(turns: Turn[]): Promise<IngestResult> {
    const fresh = new Map<string, StoredTurn>();
    for (const t of turns) {
      const key = idHash(t.source, t.sessionId, t.messageId);
      if (!fresh.has(key)) fresh.set(key, { ...t, idHash: key });
    }
    if (fresh.size === 0) return { inserted: 0, duplicates: turns.length };
    // Inserting in key order makes concurrent ingests on Postgres wait on each other's keys in one
    // order, so overlapping batches queue instead of deadlocking.
    const sorted = [...fresh.values()].sort((a, b) => (a.idHash < b.idHash ? -1 : 1));
    const result = await this.db.tx(async (q) => {
      const inserted = new Set<string>();
      let at = 0;
      for (const size of chunkSizes(sorted.length)) {
        const params = sorted.slice(at, at + size).flatMap(rowParams);
        at += size;
        for (const r of await q.all<{ id_hash: string }>(insertSql(size), params)) inserted.add(r.id_hash);
      }
      const result = { inserted: inserted.size, duplicates: turns.length - inserted.size };
      if (inserted.size > 0) await this.recordIngest(q, [...fresh.values()].filter((t) => inserted.has(t.idHash)), result);
      return result;
    });
    if (result.inserted > 0) this.committed();
    return result;
  }

  /** The ledger.ingested change: `stored` is the inserted turns in batch order. */
  private recordIngest(q: TxSql, stored: StoredTurn[], result: IngestResult): Promise<void> {
    let minTs = stored[0].ts;
    let maxTs = minTs;
    for (const t of stored) {
      if (t.ts < minTs) minTs = t.ts;
      if (t.ts > maxTs) maxTs = t.ts;
    }
    return this.change(q, { domain: "ledger", type: "ledger.ingested", id: stored[0].idHash, data: { ...result, minTs, maxTs } });
  }

  async query(q: LedgerQuery): Promise<Page<StoredTurn>> {
    const { where, params } = filterSql(q, false);
    if (q.cursor !== undefined) {
      const [ts, key] = decodeCursor(q.cursor, 2);
      if (typeof ts !== "string" || typeof key !== "string") throw invalidParams("cursor is not one this server issued", "/cursor");
      where.push("(ts, id_hash) > (?, ?)");
      params.push(ts, key);
    }
    const rows = await this.db.read.all<{ data: string }>(
      `SELECT data FROM ledger_turns${clause(where)} ORDER BY ts, id_hash LIMIT ?`,
      [...params, q.limit + 1],
    );
    const items = rows.slice(0, q.limit).map((r) => JSON.parse(r.data) as StoredTurn);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > q.limit ? encodeCursor([last.ts, last.idHash]) : null };
  }

  async summary(q: LedgerSummaryQuery): Promise<SummaryRow[]> {
    const { where, params } = filterSql(q, true);
    const b = this.db.dialect.bigint;
    const sums =
      `COUNT(*) AS turns, CAST(SUM(input_tokens) AS ${b}) AS input, CAST(SUM(output_tokens) AS ${b}) AS output, ` +
      `CAST(SUM(reasoning_tokens) AS ${b}) AS reasoning, CAST(SUM(cache_read_tokens) AS ${b}) AS cache_read, ` +
      `CAST(SUM(cache_create_tokens) AS ${b}) AS cache_create, COALESCE(SUM(cost_usd), 0) AS cost, COUNT(cost_usd) AS priced`;
    const zoned = q.timezone !== "UTC" && q.groupBy.includes("day");
    const keys = q.groupBy.filter((k) => !(zoned && k === "day")).map((k) => GROUP_COLUMNS[k]);
    if (zoned) {
      // Days in another zone: group by UTC quarter hour (every local midnight falls on one since
      // 1972) and let dayFunction name each quarter's day from its earliest turn, as the scan does.
      const group = [...keys, "substr(ts, 1, 13)", "CAST(substr(ts, 15, 2) AS INTEGER) / 15"];
      const rows = await this.db.read.all<SumRow>(
        `SELECT ${[...keys, "MIN(ts) AS first_ts"].join(", ")}, ${sums} FROM ledger_turns${clause(where)} GROUP BY ${group.join(", ")}`,
        params,
      );
      return zonedRows(q, rows);
    }
    const order = keys.map((k) => `${k} NULLS FIRST`).join(", ");
    const rows = await this.db.read.all<SumRow>(
      `SELECT ${[...keys, sums].join(", ")} FROM ledger_turns${clause(where)}` +
        (keys.length ? ` GROUP BY ${keys.join(", ")} ORDER BY ${order}` : ""),
      params,
    );
    return rows.filter((r) => Number(r.turns) > 0).map((r) => toRow(q.groupBy, q.groupBy.map((k) => r[GROUP_COLUMNS[k]] as string | null), totals(r)));
  }
}

const clause = (where: string[]) => (where.length ? ` WHERE ${where.join(" AND ")}` : "");

/**
 * WHERE terms for a filter. With `byDay`, a range also bounds the stored UTC day, which the
 * summary index leads with; the ts terms keep it exact.
 */
function filterSql(f: LedgerFilter, byDay: boolean): { where: string[]; params: Param[] } {
  const where: string[] = [];
  const params: Param[] = [];
  if (f.since !== undefined) {
    where.push(byDay ? "day >= ? AND ts >= ?" : "ts >= ?");
    params.push(...(byDay ? [f.since.slice(0, 10)] : []), f.since);
  }
  if (f.until !== undefined) {
    where.push(byDay ? "day <= ? AND ts < ?" : "ts < ?");
    params.push(...(byDay ? [f.until.slice(0, 10)] : []), f.until);
  }
  const eq: [string | undefined, string][] = [[f.sessionId, "session_id"], [f.project, "project"], [f.model, "model"], [f.source, "source"], [f.host, "host"]];
  for (const [value, column] of eq) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  return { where, params };
}

function totals(r: SumRow): SummaryTotals {
  return {
    turns: Number(r.turns),
    inputTokens: Number(r.input),
    outputTokens: Number(r.output),
    reasoningTokens: Number(r.reasoning),
    cacheReadTokens: Number(r.cache_read),
    cacheCreateTokens: Number(r.cache_create),
    costUsd: Number(r.cost),
    pricedTurns: Number(r.priced),
  };
}

function toRow(groupBy: GroupKey[], key: (string | null)[], sums: SummaryTotals): SummaryRow {
  const row: Record<string, unknown> = {};
  groupBy.forEach((k, i) => (row[GROUP_FIELDS[k]] = key[i]));
  return { ...row, ...sums };
}

/** Merges quarter-hour rows into rows per zoned day and the other keys, sorted as the contract says. */
function zonedRows(q: LedgerSummaryQuery, rows: SumRow[]): SummaryRow[] {
  const day = dayFunction(q.timezone);
  rows.sort((a, b) => ((a.first_ts as string) < (b.first_ts as string) ? -1 : 1));
  const groups = new Map<string, { key: (string | null)[]; sums: SummaryTotals }>();
  for (const r of rows) {
    const key = q.groupBy.map((k) => (k === "day" ? day(r.first_ts as string) : (r[GROUP_COLUMNS[k]] as string | null)));
    const id = JSON.stringify(key);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, sums: emptyTotals() }));
    const add = totals(r);
    for (const f of Object.keys(add) as (keyof SummaryTotals)[]) g.sums[f] += add[f];
  }
  const sorted = [...groups.values()].sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const c = compareKeys(a.key[i], b.key[i]);
      if (c !== 0) return c;
    }
    return 0;
  });
  return sorted.map((g) => toRow(q.groupBy, g.key, g.sums));
}
