/**
 * P9 (SPEC §10): several daemons on one Postgres must add throughput, not queue behind one lock.
 * 8 writer processes (bench/writer-host.js, one writer each: durable `messages.append`, one in flight each, each its
 * own session) against one daemon, then 8 writers against each of 3 daemons sharing one schema;
 * target: the 3-daemon aggregate ≥ 2.5× the one-daemon rate, zero errors. Each case gets a fresh
 * schema on the run's throwaway Postgres; the daemons of a case start one after the other (the first
 * migrates).
 *
 * Each case also reports how busy the whole machine was (every core, /proc/stat) while it ran. Where
 * one daemon with its writers and Postgres already keeps the cores busy, three cannot add much; the
 * ratio is meant for a machine with cores to spare.
 */
import { cpus } from "node:os";
import { round, runWorkers, startBenchDaemon, type BenchDaemon, type BenchModule, type BenchResult } from "./harness.js";
import { benchPostgres, isolationTag } from "./servers.js";
import { machineBusy, sampleMachine, type MachineSample } from "./proc.js";
import { summarize } from "./stats.js";

const WRITERS = 8;
const DURATION_MS = 10_000;
const TARGET_RATIO = 2.5;

/** What bench/writer-host.js prints (one writer per process here). */
interface Outcome {
  writes: number;
  errors: number;
  seconds: number;
  latencyUs: number[];
  errorSamples: string[];
}

interface Case {
  daemons: number;
  rate: number;
  writes: number;
  errors: number;
  perDaemon: number[];
  p99ms: number;
  errorSamples: string[];
  /** The share of every core's time that was busy while the writers ran (undefined without /proc). */
  machineBusy?: number;
}

async function scaleCase(url: string, daemons: number, tag: string): Promise<Case> {
  const schema = `bench_p9_${tag}_${isolationTag()}`;
  const started: BenchDaemon[] = [];
  try {
    for (let d = 0; d < daemons; d++) started.push(await startBenchDaemon(["--backend", "postgres", "--url", url, "--pg-schema", schema]));
    const args = started.flatMap((daemon, d) =>
      Array.from({ length: WRITERS }, (_, w) => ["daemon", daemon.socket, `p9-${tag}-${d}-${w}`, "1", "0", String(DURATION_MS)]),
    );
    let machine0: MachineSample | undefined;
    const outcomes = await runWorkers<Outcome>("writer-host.js", args, DURATION_MS + 120_000, { onGo: () => (machine0 = sampleMachine()) });
    const busy = machineBusy(machine0, sampleMachine());
    const writes = outcomes.reduce((n, o) => n + o.writes, 0);
    const seconds = Math.max(...outcomes.map((o) => o.seconds));
    return {
      daemons,
      rate: Math.round(writes / seconds),
      writes,
      errors: outcomes.reduce((n, o) => n + o.errors, 0),
      perDaemon: started.map((_, d) => Math.round(outcomes.slice(d * WRITERS, (d + 1) * WRITERS).reduce((n, o) => n + o.writes, 0) / seconds)),
      p99ms: round(Math.max(...outcomes.map((o) => summarize(Float64Array.from(o.latencyUs)).p99)) / 1000, 2),
      errorSamples: outcomes.flatMap((o) => o.errorSamples).slice(0, 5),
      machineBusy: busy === undefined ? undefined : round(busy, 3),
    };
  } finally {
    await Promise.all(started.map((d) => d.stop()));
  }
}

const busyText = (c: Case) => (c.machineBusy === undefined ? "" : `; machine ${Math.round(c.machineBusy * 100)} % busy (${cpus().length} cores)`);

export const p9: BenchModule = {
  id: "P9",
  title: "3 daemons × 8 writers on one Postgres vs 1 daemon × 8 writers",
  async run(): Promise<BenchResult[]> {
    const url = await benchPostgres();
    const one = await scaleCase(url, 1, "one");
    const three = await scaleCase(url, 3, "three");
    const times = three.rate / one.rate;
    return [
      {
        id: "P9.one",
        what: `baseline: 1 daemon, ${WRITERS} writer processes, durable messages.append to distinct sessions, one shared Postgres, ${DURATION_MS / 1000} s`,
        target: "",
        measured: `${one.rate.toLocaleString("en-US")} appends/s; slowest writer p99 ${one.p99ms} ms; ${one.errors} errors${busyText(one)}`,
        ratio: null,
        pass: null,
        metric: { value: one.rate, unit: "appends/s", better: "higher" },
        raw: { ...one },
      },
      {
        id: "P9",
        what: `3 daemons × ${WRITERS} writer processes on one Postgres schema, durable appends to distinct sessions, ${DURATION_MS / 1000} s`,
        target: `aggregate ≥ ${TARGET_RATIO}× one daemon, 0 errors`,
        measured: `${three.rate.toLocaleString("en-US")} appends/s (per daemon ${three.perDaemon.join(" / ")}); ${times.toFixed(2)}× one daemon; slowest writer p99 ${three.p99ms} ms; ${three.errors} errors${busyText(three)}`,
        ratio: round(times / TARGET_RATIO, 2),
        pass: times >= TARGET_RATIO && three.errors === 0 && one.errors === 0,
        metric: { value: three.rate, unit: "appends/s", better: "higher" },
        raw: { ...three, timesOne: round(times, 2), oneRate: one.rate, errorSamples: [...one.errorSamples, ...three.errorSamples] },
      },
    ];
  },
};
