/**
 * P3 (SPEC §10): one write fanned out to 1,000 subscribers on 10 connections, p99 delivery ≤ 50 ms,
 * measured from the write being sent to each subscriber's event being read by another process.
 * P4 when AGENTSTATE_BENCH_POSTGRES_URL is set: a write on daemon A seen by a subscriber of daemon B
 * on one Postgres schema, p99 ≤ 100 ms.
 */
import { runChild, startBenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import type { LatencySummary } from "./stats.js";

const CONNECTIONS = 10;
const SUBS_PER_CONNECTION = 100;
const WRITES = 200;
const P3_TARGET_MS = 50;
const P4_TARGET_MS = 100;

const ms = (s: LatencySummary) => `p50 ${(s.p50 / 1000).toFixed(2)} ms, p99 ${(s.p99 / 1000).toFixed(2)} ms, max ${(s.max / 1000).toFixed(2)} ms`;

export const p3: BenchModule = {
  id: "P3",
  title: "event fan-out (and P4, cross-daemon on Postgres)",
  async run(): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    const daemon = await startBenchDaemon();
    try {
      const r = await runChild<LatencySummary>("fanout-client.js", [daemon.socket, String(CONNECTIONS), String(SUBS_PER_CONNECTION), String(WRITES)]);
      out.push({
        id: "P3",
        what: `one write to ${CONNECTIONS * SUBS_PER_CONNECTION} subscribers on ${CONNECTIONS} connections, ${WRITES} writes (memory backend)`,
        target: `p99 ≤ ${P3_TARGET_MS} ms`,
        measured: ms(r),
        ratio: Math.round(((P3_TARGET_MS * 1000) / r.p99) * 100) / 100,
        pass: r.p99 <= P3_TARGET_MS * 1000,
        raw: { ...r },
      });
    } finally {
      await daemon.stop();
    }
    const url = process.env.AGENTSTATE_BENCH_POSTGRES_URL;
    if (url) {
      const schema = `bench_p4_${process.pid}`;
      const args = ["--backend", "postgres", "--url", url, "--pg-schema", schema];
      const a = await startBenchDaemon(args);
      const b = await startBenchDaemon(args);
      try {
        const r = await runChild<LatencySummary>("fanout-client.js", [b.socket, "1", "1", String(WRITES), a.socket]);
        out.push({
          id: "P4",
          what: `a write on daemon A seen by a subscriber of daemon B, one Postgres schema, ${WRITES} writes`,
          target: `p99 ≤ ${P4_TARGET_MS} ms`,
          measured: ms(r),
          ratio: Math.round(((P4_TARGET_MS * 1000) / r.p99) * 100) / 100,
          pass: r.p99 <= P4_TARGET_MS * 1000,
          raw: { ...r },
        });
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    }
    return out;
  },
};
