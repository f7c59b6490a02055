/**
 * P10 (SPEC §10): LangGraph checkpointer `put` + `getTuple` round trips through agentstate/langgraph
 * from 8 processes on one thread set, against LangGraph's own SqliteSaver used by the same 8
 * processes on one file; target ≥ 3× SqliteSaver with zero SQLITE_BUSY. The adapter runs against the
 * daemon on jsonl and on sqlite. A daemon that does not store checkpoints (a checkout from before
 * issue 18's phase 2, under --baseline) gives a FAIL row that says so rather than a figure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { connect } from "../src/client/index.js";
import { RpcCallError } from "../src/client/errors.js";
import { round, runWorkers, startBenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import type { LatencySummary } from "./stats.js";

const PROCESSES = 8;
const THREADS = 8;
const DURATION_MS = 10_000;
const TARGET_RATIO = 3;

interface Outcome {
  steps: number;
  busy: number;
  errors: number;
  seconds: number;
  latency: LatencySummary;
  errorSamples: string[];
}

interface Case {
  rate: number;
  steps: number;
  busy: number;
  errors: number;
  seconds: number;
  latencyOfOne: LatencySummary;
  perProcess: number[];
  errorSamples: string[];
}

function combine(outcomes: Outcome[]): Case {
  const steps = outcomes.reduce((n, o) => n + o.steps, 0);
  const seconds = Math.max(...outcomes.map((o) => o.seconds));
  return {
    rate: Math.round(steps / seconds),
    steps,
    busy: outcomes.reduce((n, o) => n + o.busy, 0),
    errors: outcomes.reduce((n, o) => n + o.errors, 0),
    seconds: round(seconds, 2),
    latencyOfOne: outcomes[0].latency,
    perProcess: outcomes.map((o) => o.steps),
    errorSamples: outcomes.flatMap((o) => o.errorSamples).slice(0, 5),
  };
}

const workers = (mode: string, target: string) =>
  Array.from({ length: PROCESSES }, (_, w) => [mode, target, String(w), String(THREADS), String(DURATION_MS)]);

async function sqliteSaverCase(): Promise<Case & { synchronous: unknown; journalMode: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-p10-"));
  const file = join(dir, "checkpoints.sqlite");
  // Tables first, from one process: the comparison is the steady state, not 8 racing CREATE TABLEs.
  const setup = SqliteSaver.fromConnString(file);
  await setup.getTuple({ configurable: { thread_id: "p10-setup" } }); // its first call creates the tables
  // What SqliteSaver leaves as is, recorded with the figure: durability is the driver's default.
  const synchronous = setup.db.pragma("synchronous", { simple: true });
  const journalMode = setup.db.pragma("journal_mode", { simple: true });
  setup.db.close();
  try {
    const c = combine(await runWorkers<Outcome>("checkpoint-client.js", workers("sqlite", file), DURATION_MS + 60_000));
    return { ...c, synchronous, journalMode };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why the daemon cannot serve checkpoints (UNSUPPORTED before issue 18's phase 2), or undefined when it can. */
async function unsupported(socket: string): Promise<string | undefined> {
  const client = await connect({ socket });
  try {
    await client.checkpoints.get({ scope: "p10", threadId: "probe" });
    return undefined;
  } catch (e) {
    if (e instanceof RpcCallError && e.code === "UNSUPPORTED") return e.message;
    throw e;
  } finally {
    client.close();
  }
}

const describe = (c: Case) =>
  `${c.rate.toLocaleString("en-US")} put+getTuple/s (${c.steps.toLocaleString("en-US")} in ${c.seconds} s; one process p50 ${(c.latencyOfOne.p50 / 1000).toFixed(2)} ms, p99 ${(c.latencyOfOne.p99 / 1000).toFixed(2)} ms)`;

export const p10: BenchModule = {
  id: "P10",
  title: "LangGraph put + getTuple from 8 processes: agentstate/langgraph vs SqliteSaver",
  async run(): Promise<BenchResult[]> {
    const baseline = await sqliteSaverCase();
    const out: BenchResult[] = [
      {
        id: "P10.sqlitesaver",
        what: `baseline: LangGraph's SqliteSaver (as shipped: WAL, 5 s busy timeout) from ${PROCESSES} processes on one file, ${THREADS} shared threads, ${DURATION_MS / 1000} s`,
        target: "",
        measured: `${describe(baseline)}; SQLITE_BUSY ${baseline.busy}, other errors ${baseline.errors}; synchronous=${String(baseline.synchronous)}`,
        ratio: null,
        pass: null,
        raw: { ...baseline },
      },
    ];
    for (const backend of ["jsonl", "sqlite"] as const) {
      const what = `put + getTuple through agentstate/langgraph from ${PROCESSES} processes, ${THREADS} shared threads, daemon on ${backend}, ${DURATION_MS / 1000} s`;
      const target = `≥ ${TARGET_RATIO}× SqliteSaver, 0 SQLITE_BUSY`;
      const daemon = await startBenchDaemon(["--backend", backend]);
      try {
        const why = await unsupported(daemon.socket);
        if (why !== undefined) {
          out.push({ id: `P10.${backend}`, what, target, measured: `not runnable yet: ${why}`, ratio: 0, pass: false, raw: { unsupported: why, baselineRate: baseline.rate } });
          continue;
        }
        const c = combine(await runWorkers<Outcome>("checkpoint-client.js", workers("adapter", daemon.socket), DURATION_MS + 60_000));
        const times = c.rate / baseline.rate;
        out.push({
          id: `P10.${backend}`,
          what,
          target,
          measured: `${describe(c)}; ${times.toFixed(2)}× SqliteSaver; SQLITE_BUSY ${c.busy}, other errors ${c.errors}`,
          ratio: round(times / TARGET_RATIO, 2),
          pass: times >= TARGET_RATIO && c.busy === 0 && c.errors === 0,
          raw: { ...c, timesBaseline: round(times, 2), baselineRate: baseline.rate },
        });
      } finally {
        await daemon.stop();
      }
    }
    return out;
  },
};
