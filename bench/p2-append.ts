/**
 * P2 (SPEC §10): durable `messages.append` (1 message, ~200 B) from 8 client processes, each its own
 * connection with one request in flight (like agents), against the daemon on jsonl and on sqlite;
 * target ≥ 5× the rate of 8 processes writing the same rows straight into one SQLite file with
 * synchronous=FULL, with zero errors. Each case runs DURATION_MS after all 8 processes are set up.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { round, runWorkers, startBenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import type { LatencySummary } from "./stats.js";

const PROCESSES = 8;
const DURATION_MS = 10_000;
const TARGET_RATIO = 5;

interface Outcome {
  writes: number;
  errors: number;
  busy: number;
  seconds: number;
  latency: LatencySummary;
  errorSamples: string[];
}

interface Case {
  rate: number;
  writes: number;
  errors: number;
  busy: number;
  seconds: number;
  /** Per-write latency of the first process (µs), as one agent sees it. */
  latencyOfOne: LatencySummary;
  perProcess: number[];
  errorSamples: string[];
}

function combine(outcomes: Outcome[]): Case {
  const writes = outcomes.reduce((n, o) => n + o.writes, 0);
  const seconds = Math.max(...outcomes.map((o) => o.seconds));
  return {
    rate: Math.round(writes / seconds),
    writes,
    errors: outcomes.reduce((n, o) => n + o.errors, 0),
    busy: outcomes.reduce((n, o) => n + o.busy, 0),
    seconds: round(seconds, 2),
    latencyOfOne: outcomes[0].latency,
    perProcess: outcomes.map((o) => o.writes),
    errorSamples: outcomes.flatMap((o) => o.errorSamples).slice(0, 5),
  };
}

const sessions = (prefix: string) => Array.from({ length: PROCESSES }, (_, i) => `${prefix}-${i}`);

async function daemonCase(backend: "jsonl" | "sqlite"): Promise<Case> {
  const daemon = await startBenchDaemon(["--backend", backend]);
  try {
    const outcomes = await runWorkers<Outcome>(
      "append-client.js",
      sessions(`p2-${backend}`).map((id) => ["daemon", daemon.socket, id, String(DURATION_MS)]),
      DURATION_MS + 60_000,
    );
    return combine(outcomes);
  } finally {
    await daemon.stop();
  }
}

async function baselineCase(): Promise<Case> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-p2-"));
  const file = join(dir, "baseline.sqlite");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE messages (session_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (session_id, seq))");
  db.close();
  try {
    const outcomes = await runWorkers<Outcome>(
      "append-client.js",
      sessions("p2-direct").map((id) => ["sqlite", file, id, String(DURATION_MS)]),
      DURATION_MS + 60_000,
    );
    return combine(outcomes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const describe = (c: Case) =>
  `${c.rate.toLocaleString("en-US")} appends/s (${c.writes.toLocaleString("en-US")} in ${c.seconds} s; one agent p50 ${(c.latencyOfOne.p50 / 1000).toFixed(2)} ms, p99 ${(c.latencyOfOne.p99 / 1000).toFixed(2)} ms)`;

export const p2: BenchModule = {
  id: "P2",
  title: "durable messages.append from 8 processes vs direct SQLite",
  async run(): Promise<BenchResult[]> {
    const baseline = await baselineCase();
    const out: BenchResult[] = [
      {
        id: "P2.direct",
        what: `baseline: ${PROCESSES} processes inserting the same rows straight into one SQLite file (WAL, synchronous=FULL, busy_timeout 5 s, one transaction per row), ${DURATION_MS / 1000} s`,
        target: "",
        measured: `${describe(baseline)}; SQLITE_BUSY ${baseline.busy}, other errors ${baseline.errors}`,
        ratio: null,
        pass: null,
        raw: { ...baseline },
      },
    ];
    for (const backend of ["jsonl", "sqlite"] as const) {
      const c = await daemonCase(backend);
      const times = c.rate / baseline.rate;
      out.push({
        id: `P2.${backend}`,
        what: `durable messages.append (1 message, ~200 B) from ${PROCESSES} processes, 1 in flight each, daemon on ${backend}, ${DURATION_MS / 1000} s`,
        target: `≥ ${TARGET_RATIO}× direct SQLite, 0 errors`,
        measured: `${describe(c)}; ${times.toFixed(2)}× direct; ${c.errors} errors`,
        ratio: round(times / TARGET_RATIO, 2),
        pass: times >= TARGET_RATIO && c.errors === 0,
        raw: { ...c, timesBaseline: round(times, 2), baselineRate: baseline.rate },
      });
    }
    return out;
  },
};
