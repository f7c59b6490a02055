/**
 * P1 (SPEC §10): `daemon.ping` round trip from another process, sequential; target p50 ≤ 100 µs.
 * Also, for comparison, the same through the typed client, and pipelined throughput on one
 * connection, each with the daemon's write syscalls per reply.
 */
import { checkoutsFor, runChild, settings, startBenchDaemon, startEchoServer, type BenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import { delta, sampleProcess } from "./proc.js";
import type { LatencySummary } from "./stats.js";

const TARGET_P50_US = 100;
const WARMUP = 2_000;
const COUNT = 20_000;
const PIPELINED = 100_000;
const WINDOW = 256;

const us = (s: LatencySummary) => `p50 ${s.p50} µs, p90 ${s.p90} µs, p99 ${s.p99} µs`;

interface Piped {
  perSecond: number;
  seconds: number;
  count: number;
  window: number;
}

/**
 * Every checkout's daemon is started first and kept up, and each measurement (raw, typed client,
 * pipelined) runs on them one right after the other, so drift on a busy machine hits both alike.
 */
export const p1: BenchModule = {
  id: "P1",
  title: "daemon.ping round trip",
  checkouts: "alternates",
  async run(r: number): Promise<BenchResult[]> {
    const echo = await startEchoServer();
    let floor: LatencySummary;
    try {
      floor = await runChild<LatencySummary>("ping-client.js", [echo.socket, "raw", String(WARMUP), String(COUNT)]);
    } finally {
      await echo.stop();
    }
    const order = checkoutsFor(r);
    const daemons = new Map<string, BenchDaemon>();
    try {
      for (const c of order) daemons.set(c.label, await startBenchDaemon([], { root: c.root }));
      // The daemon's write(2)-family calls per reply: how many syscalls a reply costs.
      const counted = async <T>(daemon: BenchDaemon, requests: number, run: () => Promise<T>): Promise<[T, number | undefined]> => {
        const before = sampleProcess(daemon.pid);
        const result = await run();
        const d = delta(before, sampleProcess(daemon.pid));
        return [result, d && Math.round((d.writeCalls / requests) * 1000) / 1000];
      };
      const each = async <T>(measure: (d: BenchDaemon) => Promise<T>): Promise<Map<string, T>> => {
        const out = new Map<string, T>();
        for (const c of order) out.set(c.label, await measure(daemons.get(c.label) as BenchDaemon));
        return out;
      };
      const raws = await each((d) => counted(d, WARMUP + COUNT, () => runChild<LatencySummary>("ping-client.js", [d.socket, "raw", String(WARMUP), String(COUNT)])));
      const typeds = await each((d) => runChild<LatencySummary>("ping-client.js", [d.socket, "client", String(WARMUP), String(COUNT)]));
      const pipeds = await each((d) => counted(d, PIPELINED, () => runChild<Piped>("ping-client.js", [d.socket, "pipelined", String(PIPELINED), String(WINDOW)])));
      const perReply = (n: number | undefined) => (n === undefined ? "" : `; daemon ${n} write syscalls per reply`);
      const sided = settings.checkouts.length > 1;
      const rows: BenchResult[] = [
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
      ];
      for (const c of settings.checkouts) {
        const [raw, rawWrites] = raws.get(c.label) as [LatencySummary, number | undefined];
        const typed = typeds.get(c.label) as LatencySummary;
        const [piped, pipedWrites] = pipeds.get(c.label) as [Piped, number | undefined];
        const side = sided ? c.label : undefined;
        rows.unshift({
          id: "P1",
          side,
          what: `daemon.ping from another process, sequential, raw NDJSON (${COUNT} after ${WARMUP} warm-up)`,
          target: `p50 ≤ ${TARGET_P50_US} µs`,
          measured: us(raw) + perReply(rawWrites),
          ratio: Math.round((TARGET_P50_US / raw.p50) * 100) / 100,
          pass: raw.p50 <= TARGET_P50_US,
          metric: { value: raw.p50, unit: "µs p50", better: "lower" },
          raw: { ...raw, writeCallsPerReply: rawWrites },
        });
        rows.push(
          {
            id: "P1.client",
            side,
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
            side,
            what: `pipelined pings on one connection (${PIPELINED}, window ${WINDOW}) (comparison)`,
            target: "",
            measured: `${piped.perSecond.toLocaleString("en-US")} req/s${perReply(pipedWrites)}`,
            ratio: null,
            pass: null,
            metric: { value: piped.perSecond, unit: "req/s", better: "higher" },
            raw: { ...piped, writeCallsPerReply: pipedWrites },
          },
        );
      }
      return rows;
    } finally {
      for (const d of daemons.values()) await d.stop();
    }
  },
};
