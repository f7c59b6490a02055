/**
 * P1 (SPEC §10): `daemon.ping` round trip from another process, sequential; target p50 ≤ 100 µs.
 * Also, for comparison, the same through the typed client, and pipelined throughput on one
 * connection.
 */
import { runChild, startBenchDaemon, startEchoServer, type BenchModule, type BenchResult } from "./harness.js";
import { delta, sampleProcess } from "./proc.js";
import type { LatencySummary } from "./stats.js";

const TARGET_P50_US = 100;
const WARMUP = 2_000;
const COUNT = 20_000;
const PIPELINED = 100_000;
const WINDOW = 256;

const us = (s: LatencySummary) => `p50 ${s.p50} µs, p90 ${s.p90} µs, p99 ${s.p99} µs`;

export const p1: BenchModule = {
  id: "P1",
  title: "daemon.ping round trip",
  async run(): Promise<BenchResult[]> {
    const echo = await startEchoServer();
    let floor: LatencySummary;
    try {
      floor = await runChild<LatencySummary>("ping-client.js", [echo.socket, "raw", String(WARMUP), String(COUNT)]);
    } finally {
      await echo.stop();
    }
    const daemon = await startBenchDaemon();
    try {
      // The daemon's write(2)-family calls per reply: how many syscalls a reply costs.
      const counted = async <T>(requests: number, run: () => Promise<T>): Promise<[T, number | undefined]> => {
        const before = sampleProcess(daemon.pid);
        const result = await run();
        const d = delta(before, sampleProcess(daemon.pid));
        return [result, d && Math.round((d.writeCalls / requests) * 1000) / 1000];
      };
      const [raw, rawWrites] = await counted(WARMUP + COUNT, () => runChild<LatencySummary>("ping-client.js", [daemon.socket, "raw", String(WARMUP), String(COUNT)]));
      const typed = await runChild<LatencySummary>("ping-client.js", [daemon.socket, "client", String(WARMUP), String(COUNT)]);
      const [piped, pipedWrites] = await counted(PIPELINED, () => runChild<{ perSecond: number; seconds: number; count: number; window: number }>(
        "ping-client.js", [daemon.socket, "pipelined", String(PIPELINED), String(WINDOW)]));
      const perReply = (n: number | undefined) => (n === undefined ? "" : `; daemon ${n} write syscalls per reply`);
      return [
        {
          id: "P1",
          what: `daemon.ping from another process, sequential, raw NDJSON (${COUNT} after ${WARMUP} warm-up)`,
          target: `p50 ≤ ${TARGET_P50_US} µs`,
          measured: us(raw) + perReply(rawWrites),
          ratio: Math.round((TARGET_P50_US / raw.p50) * 100) / 100,
          pass: raw.p50 <= TARGET_P50_US,
          metric: { value: raw.p50, unit: "µs p50", better: "lower" },
          raw: { ...raw, writeCallsPerReply: rawWrites },
        },
        {
          id: "P1.floor",
          what: "same against a bare Node NDJSON echo server: the machine's floor (comparison)",
          target: "",
          measured: us(floor),
          ratio: null,
          pass: null,
          metric: { value: floor.p50, unit: "µs p50", better: "lower" },
          raw: { ...floor },
        },
        {
          id: "P1.client",
          what: "same, through the typed client (comparison)",
          target: "",
          measured: us(typed),
          ratio: null,
          pass: null,
          metric: { value: typed.p50, unit: "µs p50", better: "lower" },
          raw: { ...typed },
        },
        {
          id: "P1.pipelined",
          what: `pipelined pings on one connection (${PIPELINED}, window ${WINDOW}) (comparison)`,
          target: "",
          measured: `${piped.perSecond.toLocaleString("en-US")} req/s${perReply(pipedWrites)}`,
          ratio: null,
          pass: null,
          metric: { value: piped.perSecond, unit: "req/s", better: "higher" },
          raw: { ...piped, writeCallsPerReply: pipedWrites },
        },
      ];
    } finally {
      await daemon.stop();
    }
  },
};
