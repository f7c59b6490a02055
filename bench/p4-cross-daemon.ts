/**
 * P4 (SPEC §10): a write on daemon A seen by a subscriber of daemon B, both daemons on one shared
 * backend; p99 ≤ 100 ms. Once on a throwaway Postgres (one schema: B learns of A's write through
 * LISTEN/NOTIFY) and once on a throwaway Redis (one key prefix: B reads the change stream with
 * XREAD BLOCK). The measuring process (fanout-client.js) subscribes to `sessions` on B, then makes
 * WRITES sequential `sessions.create` calls on A and times each from the moment the request is
 * sent until B's `events.event` for it is read.
 */
import { round, runChild, startBenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import { benchPostgres, benchRedis, isolationTag } from "./servers.js";
import type { LatencySummary } from "./stats.js";

const WRITES = 300;
const TARGET_MS = 100;

const ms = (s: LatencySummary) => `p50 ${(s.p50 / 1000).toFixed(2)} ms, p99 ${(s.p99 / 1000).toFixed(2)} ms, max ${(s.max / 1000).toFixed(2)} ms`;

async function crossDaemon(engine: "postgres" | "redis", args: string[]): Promise<BenchResult> {
  // One after the other: the second finds the schema already migrated.
  const a = await startBenchDaemon(args);
  const b = await startBenchDaemon(args);
  try {
    const r = await runChild<LatencySummary>("fanout-client.js", [b.socket, "1", "1", String(WRITES), a.socket], 120_000);
    return {
      id: `P4.${engine}`,
      what: `a write (sessions.create) on daemon A seen by a subscriber of daemon B, one shared ${engine}, ${WRITES} sequential writes`,
      target: `p99 ≤ ${TARGET_MS} ms`,
      measured: ms(r),
      ratio: round((TARGET_MS * 1000) / r.p99, 2),
      pass: r.p99 <= TARGET_MS * 1000,
      raw: { ...r },
    };
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

export const p4: BenchModule = {
  id: "P4",
  title: "cross-daemon event delivery on shared postgres / redis",
  async run(): Promise<BenchResult[]> {
    const pgUrl = await benchPostgres();
    const redisUrl = await benchRedis();
    const run = isolationTag();
    return [
      await crossDaemon("postgres", ["--backend", "postgres", "--url", pgUrl, "--pg-schema", `bench_p4_${run}`]),
      await crossDaemon("redis", ["--backend", "redis", "--url", redisUrl, "--redis-prefix", `bench:p4:${run}:`]),
    ];
  },
};
