/**
 * P3 (SPEC §10): one write fanned out to 1,000 subscribers on 10 connections, p99 delivery ≤ 50 ms,
 * measured from the write being sent to each subscriber's event being read by another process.
 * (P4, the cross-daemon case, is p4-cross-daemon.ts.)
 */
import { runChild, startBenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import { delta, sampleProcess } from "./proc.js";
import type { LatencySummary } from "./stats.js";

const CONNECTIONS = 10;
const SUBS_PER_CONNECTION = 100;
const WRITES = 200;
const P3_TARGET_MS = 50;

const ms = (s: LatencySummary) => `p50 ${(s.p50 / 1000).toFixed(2)} ms, p99 ${(s.p99 / 1000).toFixed(2)} ms, max ${(s.max / 1000).toFixed(2)} ms`;

export const p3: BenchModule = {
  id: "P3",
  title: "event fan-out",
  async run(): Promise<BenchResult[]> {
    const out: BenchResult[] = [];
    const daemon = await startBenchDaemon();
    try {
      const before = sampleProcess(daemon.pid);
      const r = await runChild<LatencySummary>("fanout-client.js", [daemon.socket, String(CONNECTIONS), String(SUBS_PER_CONNECTION), String(WRITES)]);
      const used = delta(before, sampleProcess(daemon.pid));
      // Every event reaches CONNECTIONS × SUBS subscriptions; warm-up writes included (fanout-client's 10).
      const deliveries = (WRITES + 10) * CONNECTIONS * SUBS_PER_CONNECTION;
      const perEvent = used && Math.round((used.writeCalls / deliveries) * 1000) / 1000;
      out.push({
        id: "P3",
        what: `one write to ${CONNECTIONS * SUBS_PER_CONNECTION} subscribers on ${CONNECTIONS} connections, ${WRITES} writes (memory backend)`,
        target: `p99 ≤ ${P3_TARGET_MS} ms`,
        measured: `${ms(r)}${perEvent === undefined ? "" : `; daemon ${perEvent} write syscalls per notification, CPU ${used ? (used.user + used.system).toFixed(2) : "?"} s`}`,
        ratio: Math.round(((P3_TARGET_MS * 1000) / r.p99) * 100) / 100,
        pass: r.p99 <= P3_TARGET_MS * 1000,
        metric: { value: r.p99 / 1000, unit: "ms p99", better: "lower" },
        raw: { ...r, writeCallsPerNotification: perEvent, daemonCpuSeconds: used && used.user + used.system },
      });
    } finally {
      await daemon.stop();
    }
    return out;
  },
};
