/**
 * The usage ledger on SQL: `ledger_turns`, keyed by idHash, the turn as JSON in `data` plus real
 * columns for filters, keyset paging, grouping and sums (005-ledger.ts). Dedup is the primary key:
 * a key another transaction inserted after this one read it absent is a unique violation, and the
 * unit of work runs again (sql/storage.ts). See docs/decisions/sql-ledger.md.
 */
import type { StoredTurn, SummaryTotals } from "../../domain/ledger.js";
import type { AggregateDim, AggregateRow, LedgerFilter, LedgerReadPort, LedgerWritePort, TurnKey } from "../contract.js";
import type { Dialect, Param, Sql } from "./db.js";
import type { SqlWrites } from "./writes.js";

const COLUMNS = [
  "id_hash", "ts", "day", "model", "session_id", "project", "source", "host",
  "input_tokens", "output_tokens", "reasoning_tokens", "cache_read_tokens", "cache_create_tokens", "cost_usd", "data",
] as const;
/** Rows per statement; a smaller remainder goes in power-of-two pieces, so few distinct statements exist. */
const CHUNK = 256;

/** The expression each aggregate dimension groups by. */
const DIM_SQL: Record<AggregateDim, string> = {
  model: "model",
  session: "session_id",
  project: "project",
  source: "source",
  host: "host",
  utcDay: "day",
  quarter: "substr(ts, 1, 13) || '|' || CAST(CAST(substr(ts, 15, 2) AS INTEGER) / 15 AS TEXT)",
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

const placeholders = (n: number, width: number) => Array.from({ length: n }, () => `(${Array.from({ length: width }, () => "?").join(", ")})`).join(", ");

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

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const size of chunkSizes(items.length)) {
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
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

export class SqlLedgerPort implements LedgerReadPort, LedgerWritePort {
  constructor(
    private readonly q: Sql,
    private readonly dialect: Dialect,
    private readonly w: SqlWrites,
  ) {}

  async storedKeys(hashes: readonly string[]) {
    const found = new Set<string>();
    for (const chunk of chunks(hashes)) {
      const rows = await this.q.all<{ id_hash: string }>(`SELECT id_hash FROM ledger_turns WHERE id_hash IN (${chunk.map(() => "?").join(", ")})`, chunk);
      for (const r of rows) found.add(r.id_hash);
    }
    return found;
  }

  async turns(f: LedgerFilter, after: TurnKey | undefined, limit: number) {
    const { where, params } = filterSql(f, false);
    if (after !== undefined) {
      where.push("(ts, id_hash) > (?, ?)");
      params.push(after.ts, after.idHash);
    }
    const rows = await this.q.all<{ data: string }>(`SELECT data FROM ledger_turns${clause(where)} ORDER BY ts, id_hash LIMIT ?`, [...params, limit]);
    return rows.map((r) => JSON.parse(r.data) as StoredTurn);
  }

  async scan(f: LedgerFilter, visit: (t: StoredTurn) => void) {
    const { where, params } = filterSql(f, false);
    for (const r of await this.q.all<{ data: string }>(`SELECT data FROM ledger_turns${clause(where)}`, params)) visit(JSON.parse(r.data) as StoredTurn);
  }

  async aggregate(f: LedgerFilter, dims: readonly AggregateDim[]): Promise<AggregateRow[]> {
    const { where, params } = filterSql(f, true);
    const b = this.dialect.bigint;
    const keys = dims.map((d, i) => `${DIM_SQL[d]} AS k${i}`);
    const sums =
      `COUNT(*) AS turns, CAST(SUM(input_tokens) AS ${b}) AS input, CAST(SUM(output_tokens) AS ${b}) AS output, ` +
      `CAST(SUM(reasoning_tokens) AS ${b}) AS reasoning, CAST(SUM(cache_read_tokens) AS ${b}) AS cache_read, ` +
      `CAST(SUM(cache_create_tokens) AS ${b}) AS cache_create, COALESCE(SUM(cost_usd), 0) AS cost, COUNT(cost_usd) AS priced`;
    const group = dims.length ? ` GROUP BY ${dims.map((d) => DIM_SQL[d]).join(", ")}` : "";
    const rows = await this.q.all<SumRow>(`SELECT ${[...keys, sums].join(", ")} FROM ledger_turns${clause(where)}${group}`, params);
    return rows
      .filter((r) => Number(r.turns) > 0)
      .map((r) => ({ key: dims.map((_, i) => r[`k${i}`] as string | null), totals: totals(r) }));
  }

  /** In key order: concurrent ingests on Postgres then wait on each other's keys in one order and queue instead of deadlocking. */
  insertTurns(turns: StoredTurn[]): void {
    const sorted = [...turns].sort((a, b) => (a.idHash < b.idHash ? -1 : 1));
    for (const chunk of chunks(sorted)) {
      this.w.run(`INSERT INTO ledger_turns (${COLUMNS.join(", ")}) VALUES ${placeholders(chunk.length, COLUMNS.length)}`, chunk.flatMap(rowParams));
    }
  }
}
