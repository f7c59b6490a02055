/**
 * P2 and P2c (SPEC §10), from the same runs. P2: durable `messages.append` (1 message, ~200 B) from
 * 8 writer processes, one request in flight each, against the daemon on jsonl and on sqlite; target
 * ≥ 5× the rate of 8 processes writing the same rows straight into one SQLite file with
 * synchronous=FULL, with zero errors. P2c: the daemon's CPU time (whole process, every thread, user
 * + system, from /proc) over the timed window ÷ acknowledged appends; target ≤ 40 µs.
 *
 * With a C compiler the fsync shim runs with no added delay on both sides, only to count flushes
 * (writes per flush shows how much group commit shares). Each case writes for 10 s (--seconds).
 *
 * P2.1 (no target): the same append from one writer process, sequentially. With 8 writers on this
 * 2-core VM the CPU is the limit and a flush's latency hides behind it; one writer waits for every
 * flush, so its rate shows what the durable write path costs end to end.
 *
 * P2.memory (no target): the same 8 writers against the daemon on the memory backend, which keeps
 * nothing on disk. It is what the socket, the RPC path and the writer processes allow on the machine
 * at hand, an upper bound for every durable backend: where it is below 5× direct, P2 cannot pass
 * there whatever the storage does. Each case also prints the writer processes' own CPU per write,
 * so the CPU a write costs end to end (writers + daemon) can be set against the machine's cores.
 */
import { settings, checkoutsFor, round, type BenchModule, type BenchResult } from "./harness.js";
import { FlushCounter, slowFlushShim } from "./slow-flush.js";
import { daemonCase, describeCase, directCase, type CaseResult } from "./writers.js";

const WRITERS = 8;
const TARGET_TIMES_DIRECT = 5;
const TARGET_CPU_US = 40;
const BACKENDS = ["jsonl", "sqlite"] as const;

/** A row with no target: the case's rate, for the record. */
const untargeted = (id: string, side: string, c: CaseResult): Omit<BenchResult, "what"> => ({
  id, side, target: "", measured: describeCase(c), ratio: null, pass: null, metric: { value: c.rate, unit: "appends/s", better: "higher" }, raw: { ...c },
});

export const p2: BenchModule = {
  id: "P2",
  aliases: ["P2C"],
  title: "durable messages.append from 8 processes vs direct SQLite; daemon CPU per append (P2c)",
  checkouts: "alternates",
  async run(r: number): Promise<BenchResult[]> {
    const durationMs = (settings.seconds ?? 10) * 1000;
    const shim = slowFlushShim();
    const counter = "library" in shim ? new FlushCounter(shim.library, 0) : undefined;
    try {
      const direct = await directCase({ writers: WRITERS, durationMs, counter });
      const out: BenchResult[] = [
        {
          id: "P2.direct",
          what: `baseline: ${WRITERS} processes inserting the same rows straight into one SQLite file (WAL, synchronous=FULL, busy_timeout 5 s, one transaction per row)`,
          target: "",
          measured: describeCase(direct),
          ratio: null,
          pass: null,
          metric: { value: direct.rate, unit: "appends/s", better: "higher" },
          raw: { ...direct, flushCounting: counter ? "shim, no delay" : shim },
        },
      ];
      const cpuRows: BenchResult[] = [];
      const oneRows: BenchResult[] = [];
      for (const checkout of checkoutsFor(r)) {
        const c = await daemonCase("memory", checkout, { writers: WRITERS, durationMs, profileName: `p2-memory-${checkout.label}` });
        out.push({
          ...untargeted("P2.memory", checkout.label, c),
          what: `the same load on the memory backend (nothing stored on disk): the most the RPC path and ${WRITERS} writer processes allow on this machine, a bound for every durable backend`,
          measured: `${describeCase(c)}; ${(c.rate / direct.rate).toFixed(2)}× direct`,
          raw: { ...c, timesDirect: round(c.rate / direct.rate, 2), directRate: direct.rate },
        });
      }
      for (const backend of BACKENDS) {
        for (const checkout of checkoutsFor(r)) {
          const c: CaseResult = await daemonCase(backend, checkout, { writers: WRITERS, durationMs, counter, profileName: `p2-${backend}-${checkout.label}` });
          const one = await daemonCase(backend, checkout, { writers: 1, durationMs, counter, profileName: `p2-1-${backend}-${checkout.label}` });
          oneRows.push({
            ...untargeted(`P2.1.${backend}`, checkout.label, one),
            what: `durable messages.append from 1 process, sequential (each append waits for its flush), daemon on ${backend}`,
          });
          const times = c.rate / direct.rate;
          out.push({
            id: `P2.${backend}`,
            side: checkout.label,
            what: `durable messages.append (1 message, ~200 B) from ${WRITERS} processes, 1 in flight each, daemon on ${backend}`,
            target: `≥ ${TARGET_TIMES_DIRECT}× direct, 0 errors`,
            measured: `${describeCase(c)}; ${times.toFixed(2)}× direct`,
            ratio: round(times / TARGET_TIMES_DIRECT, 2),
            pass: times >= TARGET_TIMES_DIRECT && c.errors === 0,
            metric: { value: c.rate, unit: "appends/s", better: "higher" },
            raw: { ...c, timesDirect: round(times, 2), directRate: direct.rate },
          });
          const cpu = c.daemon?.cpuPerWriteUs;
          cpuRows.push({
            id: `P2c.${backend}`,
            side: checkout.label,
            what: `daemon CPU per durable append under the P2 load (user+sys of the whole process ÷ acknowledged appends), ${backend}`,
            target: `≤ ${TARGET_CPU_US} µs`,
            measured: cpu === undefined
              ? "no /proc here"
              : `${cpu} µs/append (${c.daemon?.userSeconds} s user + ${c.daemon?.systemSeconds} s sys for ${c.writes.toLocaleString("en-US")} appends; ${c.errors} errors)`,
            ratio: cpu === undefined ? null : round(TARGET_CPU_US / cpu, 2),
            pass: cpu === undefined ? null : cpu <= TARGET_CPU_US && c.errors === 0,
            metric: cpu === undefined ? undefined : { value: cpu, unit: "µs/append", better: "lower" },
            raw: { daemon: c.daemon, writes: c.writes, errors: c.errors },
          });
        }
      }
      return [...out, ...cpuRows, ...oneRows];
    } finally {
      counter?.remove();
    }
  },
};
