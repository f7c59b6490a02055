/**
 * P5 (SPEC §10): `messages.list { tail: 50 }` on a 100,000-message session, p50 ≤ 5 ms on jsonl,
 * sqlite and postgres (redis reported too). For each backend a fresh daemon; the session is loaded
 * through the daemon with sequential `messages.append` calls of BATCH messages (~200 B each; the
 * load time is reported), then TIMED sequential `messages.list { tail: 50 }` calls (after WARMUP)
 * are timed from this process over the socket with the typed client, each checked to return
 * seq 99,951…100,000. A slow backend is cut short: warm-up stops after WARMUP_MAX_MS and the timed
 * calls after TIMED_MAX_MS (at least MIN_TIMED calls), so the module stays within minutes.
 */
import { connect } from "../src/client/index.js";
import { benchMessages, load, round, startBenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import { benchPostgres, benchRedis, isolationTag } from "./servers.js";
import { summarize, type LatencySummary } from "./stats.js";

const MESSAGES = 100_000;
const BATCH = 500;
const TAIL = 50;
const WARMUP = 50;
const TIMED = 1_000;
const WARMUP_MAX_MS = 3_000;
const TIMED_MAX_MS = 10_000;
const MIN_TIMED = 20;
const TARGET_MS = 5;

type Engine = "jsonl" | "sqlite" | "postgres" | "redis";

async function measure(engine: Engine, args: string[]): Promise<BenchResult> {
  const daemon = await startBenchDaemon(args);
  const client = await connect({ socket: daemon.socket, timeoutMs: 120_000 });
  try {
    // Unique per run: with --baseline both sides share one throwaway Postgres and Redis.
    const sessionId = `p5-${engine}-${Date.now().toString(36)}`;
    const loadStart = performance.now();
    for (let i = 0; i < MESSAGES; i += BATCH) {
      await client.messages.append({ sessionId, messages: benchMessages(i, BATCH), createSession: i === 0 });
    }
    const loadSeconds = round((performance.now() - loadStart) / 1000, 2);
    const loadAfterLoad = load();
    const tail = async () => {
      const t0 = performance.now();
      const page = await client.messages.list({ sessionId, tail: TAIL });
      const us = (performance.now() - t0) * 1000;
      const items = page.items;
      if (items.length !== TAIL || items[0].seq !== MESSAGES - TAIL + 1 || items[TAIL - 1].seq !== MESSAGES) {
        throw new Error(`${engine}: tail returned ${items.length} items, seq ${items[0]?.seq}…${items[items.length - 1]?.seq}`);
      }
      return us;
    };
    const warmupEnd = performance.now() + WARMUP_MAX_MS;
    for (let i = 0; i < WARMUP && performance.now() < warmupEnd; i++) await tail();
    const samples = new Float64Array(TIMED);
    const timedEnd = performance.now() + TIMED_MAX_MS;
    let n = 0;
    while (n < TIMED && (n < MIN_TIMED || performance.now() < timedEnd)) samples[n++] = await tail();
    const s: LatencySummary = summarize(samples.subarray(0, n));
    const inScope = engine !== "redis";
    return {
      id: `P5.${engine}`,
      what: `messages.list { tail: ${TAIL} } on a ${MESSAGES.toLocaleString("en-US")}-message session, ${engine}, ${n} sequential calls${inScope ? "" : " (not in SPEC's list; same target shown)"}`,
      target: `p50 ≤ ${TARGET_MS} ms`,
      measured: `p50 ${(s.p50 / 1000).toFixed(2)} ms, p99 ${(s.p99 / 1000).toFixed(2)} ms; load ${MESSAGES.toLocaleString("en-US")} in ${loadSeconds} s (${Math.round(MESSAGES / loadSeconds).toLocaleString("en-US")} msg/s, ${BATCH} per append)`,
      ratio: round((TARGET_MS * 1000) / s.p50, 2),
      pass: s.p50 <= TARGET_MS * 1000,
      raw: { ...s, unit: "µs", loadSeconds, batch: BATCH, messages: MESSAGES, loadAvgAfterLoad: loadAfterLoad },
    };
  } finally {
    client.close();
    await daemon.stop();
  }
}

export const p5: BenchModule = {
  id: "P5",
  title: "messages.list tail 50 on a 100,000-message session",
  async run(): Promise<BenchResult[]> {
    const pgUrl = await benchPostgres();
    const redisUrl = await benchRedis();
    const run = isolationTag();
    return [
      await measure("jsonl", ["--backend", "jsonl"]),
      await measure("sqlite", ["--backend", "sqlite"]),
      await measure("postgres", ["--backend", "postgres", "--url", pgUrl, "--pg-schema", `bench_p5_${run}`]),
      await measure("redis", ["--backend", "redis", "--url", redisUrl, "--redis-prefix", `bench:p5:${run}:`]),
    ];
  },
};
