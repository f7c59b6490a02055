/**
 * P6 (SPEC §10): `ledger.summary` grouped by model and day over 1,000,000 turns, ≤ 1 s on sqlite
 * and postgres. The turns go in through the backends' own `ledger.ingest` (batches of 10,000), so
 * the schema and indexes are the real ones; the summary is then timed in-process, straight on the
 * store (median of 5 after one untimed run), without the socket: the figure is the database's.
 *
 * The data: 20 models, one year of turns in time order with jitter, 1,000 sessions, 40 projects
 * (a tenth of the turns without one), 4 hosts, 3 sources, 9 in 10 turns priced. Deterministic.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../src/backends/contract.js";
import { PostgresBackend } from "../src/backends/postgres/index.js";
import { SqliteBackend } from "../src/backends/sqlite/index.js";
import type { Turn } from "../src/domain/ledger.js";
import { startThrowawayPostgres } from "../test/helpers/postgres.js";
import type { BenchModule, BenchResult } from "./harness.js";

const TURNS = 1_000_000;
const BATCH = 10_000;
const RUNS = 5;
const TARGET_MS = 1000;
const YEAR_START = Date.UTC(2025, 0, 1);
const YEAR_MS = 365 * 86_400_000;

/** mulberry32: a small seeded generator, so every run loads the same turns. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function batch(rand: () => number, from: number, count: number): Turn[] {
  return Array.from({ length: count }, (_, j): Turn => {
    const i = from + j;
    const ts = new Date(YEAR_START + Math.floor(((i + rand()) / TURNS) * YEAR_MS)).toISOString();
    const input = Math.floor(rand() * 20_000);
    const turn: Turn = {
      source: ["claude", "codex", "gemini"][Math.floor(rand() * 3)],
      sessionId: `session-${Math.floor(rand() * 1000)}`,
      messageId: `msg-${i}`,
      turnIndex: i % 200,
      ts,
      model: `model-${Math.floor(rand() ** 2 * 20)}`,
      host: `host-${Math.floor(rand() * 4)}`,
      usage: { input, output: Math.floor(rand() * 4000), cacheRead: Math.floor(rand() * 100_000), ...(rand() < 0.3 ? { reasoning: Math.floor(rand() * 2000) } : {}) },
      toolCalls: Math.floor(rand() * 5),
    };
    if (rand() < 0.9) turn.project = `/home/dev/project-${Math.floor(rand() * 40)}`;
    if (rand() < 0.9) turn.costUsd = Math.round(input * 0.3) / 100_000;
    return turn;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (ms: number) => Math.round(ms * 10) / 10;

async function timeSummary(b: Backend): Promise<{ first: number; runs: number[]; rows: number; turns: number }> {
  const go = async () => {
    const t0 = performance.now();
    const rows = await b.ledger.summary({ groupBy: ["model", "day"], timezone: "UTC" });
    return { ms: performance.now() - t0, rows };
  };
  const first = await go();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push((await go()).ms);
  return { first: round(first.ms), runs: runs.map(round), rows: first.rows.length, turns: first.rows.reduce((n, r) => n + r.turns, 0) };
}

async function load(b: Backend, engine: string): Promise<number> {
  const rand = random(6);
  const t0 = performance.now();
  for (let i = 0; i < TURNS; i += BATCH) {
    const r = await b.ledger.ingest(batch(rand, i, BATCH));
    if (r.inserted !== BATCH) throw new Error(`batch at ${i} inserted ${r.inserted} of ${BATCH}`);
    if ((i + BATCH) % 200_000 === 0) process.stderr.write(`  P6 ${engine}: ${(i + BATCH).toLocaleString("en-US")} turns loaded\n`);
  }
  return Math.round((performance.now() - t0) / 100) / 10;
}

function result(engine: string, loadSeconds: number, t: Awaited<ReturnType<typeof timeSummary>>, extra: Record<string, unknown> = {}): BenchResult {
  if (t.turns !== TURNS) throw new Error(`${engine} summary counted ${t.turns} turns, not ${TURNS}`);
  const ms = median(t.runs);
  return {
    id: `P6.${engine}`,
    what: `ledger.summary by model and day over ${TURNS.toLocaleString("en-US")} turns, ${engine} (median of ${RUNS}, in-process)`,
    target: `≤ ${TARGET_MS} ms`,
    measured: `${ms} ms (${t.rows} rows; first run ${t.first} ms)`,
    ratio: Math.round((TARGET_MS / ms) * 100) / 100,
    pass: ms <= TARGET_MS,
    raw: { medianMs: ms, runsMs: t.runs, firstMs: t.first, rows: t.rows, loadSeconds, ...extra },
  };
}

const ctx = { origin: "bench", now: () => new Date() };

/** P6 on SQLite alone. */
export async function p6Sqlite(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-p6-"));
  const b = new SqliteBackend({ ...ctx, path: join(dir, "p6.sqlite") });
  try {
    await b.open();
    const loadSeconds = await load(b, "sqlite");
    return result("sqlite", loadSeconds, await timeSummary(b));
  } finally {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** P6 on a throwaway Postgres alone. */
export async function p6Postgres(): Promise<BenchResult> {
  const server = await startThrowawayPostgres();
  const b = new PostgresBackend({ ...ctx, url: server.url, schema: "p6" });
  try {
    await b.open();
    const loadSeconds = await load(b, "postgres");
    // As autovacuum would have by now: the visibility map lets the summary read its index alone.
    const before = await timeSummary(b);
    await b.db.read.run("VACUUM (ANALYZE) ledger_turns");
    return result("postgres", loadSeconds, await timeSummary(b), { beforeVacuumMedianMs: median(before.runs) });
  } finally {
    // The server goes with this process (the helper's exit hook): its child is unref'd, so awaiting
    // stop() here, with nothing else left to run, would end the process before the result is printed.
    await b.close();
  }
}

export const p6: BenchModule = {
  id: "P6",
  title: "ledger.summary by model and day over 1,000,000 turns",
  checkouts: "this-only",
  async run(): Promise<BenchResult[]> {
    return [await p6Sqlite(), await p6Postgres()];
  },
};
