/**
 * One P2/P2s case: `writers` simulated agents, each with one durable write in flight, for a fixed
 * time, against the daemon or straight into SQLite; and what the kernel and the fsync shim counted
 * meanwhile (daemon CPU, write calls, flushes).
 *
 * What a writer is: one connection (daemon) or one SQLite connection on its own thread (direct),
 * with exactly one write in flight and its own session. Writers are spread over min(writers, 8)
 * host processes (bench/writer-host.ts) so that 128 of them fit on 2 cores: a Node process per
 * agent would cost ~40 MB and its own start-up, and its scheduling would take CPU from the daemon
 * that the clients of a real host would not. The daemon cannot tell the difference — it sees
 * `writers` independent sockets, each with one request outstanding — and on the direct side each
 * writer keeps its own connection and thread, so SQLite's locking (one WAL writer, busy handler
 * sleeping) is what it would be between processes. With 8 writers every host holds one: exactly
 * P2 as first defined, 8 processes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { monotonicUs, round, runWorkers, settings, startBenchDaemon, writeProfileWindow, type Checkout } from "./harness.js";
import { startPerf, type PerfRecording } from "./perf-record.js";
import { delta, sampleProcess, type ProcSample } from "./proc.js";
import type { FlushCounter } from "./slow-flush.js";
import { summarize, type LatencySummary } from "./stats.js";

export const MAX_HOSTS = 8;
export const WARMUP_MS = 2000;

interface HostOutcome {
  writes: number;
  errors: number;
  busy: number;
  seconds: number;
  latencyUs: number[];
  perWriter: number[];
  errorSamples: string[];
  cpu: { user: number; system: number };
}

export interface CaseResult {
  writers: number;
  hosts: number;
  /** Acknowledged writes per second: all writes ÷ the longest writer's time. */
  rate: number;
  writes: number;
  errors: number;
  busy: number;
  seconds: number;
  /** Per-write latency (µs) over every writer, as an agent sees it. */
  latency: LatencySummary;
  /** Slowest and fastest writer's count: a writer starved by the others shows here. */
  writerMin: number;
  writerMax: number;
  errorSamples: string[];
  /** CPU seconds of all writer hosts together, over the counted window. */
  clientCpu: number;
  /** The daemon's process, over the timed window (daemon cases only). */
  daemon?: {
    cpuSeconds: number;
    userSeconds: number;
    systemSeconds: number;
    /** Daemon CPU per acknowledged write (P2c). */
    cpuPerWriteUs: number;
    /** write(2)-family and read(2)-family calls per acknowledged write (socket and files). */
    writeCallsPerWrite: number;
    readCallsPerWrite: number;
  };
  /** fsync/fdatasync calls counted by the shim over the timed window, all processes of the side. */
  flushes?: { syncs: number; writesPerSync: number; secondsInSync: number };
}

export interface CaseOptions {
  writers: number;
  /** Written before the counted window (default WARMUP_MS), so a fresh daemon's JIT is warm. */
  warmupMs?: number;
  durationMs: number;
  /** The shim's counter (and slow flush, if its flushUs > 0); none without a C compiler. */
  counter?: FlushCounter;
}

const warmup = (opts: CaseOptions) => opts.warmupMs ?? WARMUP_MS;

/** Runs `start` when the writers' warm-up ends and their counted window begins. */
const afterWarmup = (opts: CaseOptions, start: () => void): Promise<void> =>
  new Promise((resolve) =>
    setTimeout(() => {
      start();
      resolve();
    }, warmup(opts)),
  );

function hostsFor(writers: number): { hosts: number; perHost: number } {
  const hosts = Math.min(MAX_HOSTS, writers);
  if (writers % hosts !== 0) throw new Error(`${writers} writers do not divide over ${hosts} hosts`);
  return { hosts, perHost: writers / hosts };
}

function combine(opts: CaseOptions, hosts: number, outcomes: HostOutcome[]): CaseResult {
  const writes = outcomes.reduce((n, o) => n + o.writes, 0);
  const seconds = Math.max(...outcomes.map((o) => o.seconds));
  const perWriter = outcomes.flatMap((o) => o.perWriter);
  return {
    writers: opts.writers,
    hosts,
    rate: Math.round(writes / seconds),
    writes,
    errors: outcomes.reduce((n, o) => n + o.errors, 0),
    busy: outcomes.reduce((n, o) => n + o.busy, 0),
    seconds: round(seconds, 2),
    latency: summarize(Float64Array.from(outcomes.flatMap((o) => o.latencyUs))),
    writerMin: Math.min(...perWriter),
    writerMax: Math.max(...perWriter),
    errorSamples: outcomes.flatMap((o) => o.errorSamples).slice(0, 5),
    clientCpu: round(outcomes.reduce((n, o) => n + o.cpu.user + o.cpu.system, 0), 2),
  };
}

function flushesOf(counter: FlushCounter | undefined, before: { syncs: number; seconds: number } | undefined, writes: number): CaseResult["flushes"] {
  if (!counter || !before) return undefined;
  const after = counter.read();
  const syncs = after.syncs - before.syncs;
  return { syncs, writesPerSync: syncs > 0 ? round(writes / syncs, 2) : 0, secondsInSync: round(after.seconds - before.seconds, 2) };
}

/** The baseline: writers inserting straight into one SQLite file, WAL, synchronous=FULL. */
export async function directCase(opts: CaseOptions): Promise<CaseResult> {
  const { hosts, perHost } = hostsFor(opts.writers);
  const dir = mkdtempSync(join(tmpdir(), "agentstate-p2-"));
  const file = join(dir, "baseline.sqlite");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec("CREATE TABLE messages (session_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (session_id, seq))");
  db.close();
  let before: { syncs: number; seconds: number } | undefined;
  try {
    const outcomes = await runWorkers<HostOutcome>(
      "writer-host.js",
      Array.from({ length: hosts }, (_, h) => ["sqlite", file, `direct-${h}`, String(perHost), String(warmup(opts)), String(opts.durationMs)]),
      warmup(opts) + opts.durationMs + 120_000,
      { env: opts.counter?.env(), onGo: () => void afterWarmup(opts, () => (before = opts.counter?.read())) },
    );
    const c = combine(opts, hosts, outcomes);
    return { ...c, flushes: flushesOf(opts.counter, before, c.writes) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The daemon of `checkout` on `backend`, writers appending through it. */
export async function daemonCase(backend: string, checkout: Checkout, opts: CaseOptions & { profileName: string }): Promise<CaseResult> {
  const { hosts, perHost } = hostsFor(opts.writers);
  const daemon = await startBenchDaemon(["--backend", backend], { root: checkout.root, env: opts.counter?.env(), profileName: opts.profileName });
  let cpu0: ProcSample | undefined;
  let before: { syncs: number; seconds: number } | undefined;
  let fromUs = 0;
  let perf: PerfRecording | undefined;
  try {
    const outcomes = await runWorkers<HostOutcome>(
      "writer-host.js",
      Array.from({ length: hosts }, (_, h) => ["daemon", daemon.socket, `${backend}-${h}`, String(perHost), String(warmup(opts)), String(opts.durationMs)]),
      warmup(opts) + opts.durationMs + 120_000,
      {
        onGo: () =>
          void afterWarmup(opts, () => {
            before = opts.counter?.read();
            cpu0 = sampleProcess(daemon.pid);
            fromUs = monotonicUs();
            if (settings.perfDir) perf = startPerf(settings.perfDir, `${opts.profileName}-${daemon.pid}`, daemon.pid);
          }),
      },
    );
    await perf?.stop();
    const used = delta(cpu0, sampleProcess(daemon.pid));
    const toUs = monotonicUs();
    const c = combine(opts, hosts, outcomes);
    const flushes = flushesOf(opts.counter, before, c.writes);
    writeProfileWindow(daemon, { fromUs, toUs, appends: c.writes, syncs: flushes?.syncs, secondsInSync: flushes?.secondsInSync });
    if (perf && settings.perfDir) writeFileSync(join(settings.perfDir, `${opts.profileName}-${daemon.pid}.perf.json`), JSON.stringify({ appends: c.writes }) + "\n");
    const per = (n: number) => (c.writes > 0 ? n / c.writes : 0);
    return {
      ...c,
      flushes,
      daemon: used && {
        cpuSeconds: round(used.user + used.system, 2),
        userSeconds: round(used.user, 2),
        systemSeconds: round(used.system, 2),
        cpuPerWriteUs: round(per(used.user + used.system) * 1e6, 1),
        writeCallsPerWrite: round(per(used.writeCalls), 2),
        readCallsPerWrite: round(per(used.readCalls), 2),
      },
    };
  } finally {
    await perf?.stop();
    await daemon.stop();
  }
}

/** One line for the table: rate, count, latency, errors, and what was counted. */
export function describeCase(c: CaseResult): string {
  const parts = [
    `${c.rate.toLocaleString("en-US")}/s (${c.writes.toLocaleString("en-US")} in ${c.seconds} s; p50 ${(c.latency.p50 / 1000).toFixed(2)} ms, p99 ${(c.latency.p99 / 1000).toFixed(2)} ms)`,
    `errors ${c.errors}${c.busy ? `, SQLITE_BUSY ${c.busy} (retried)` : ""}`,
  ];
  if (c.writes > 0) parts.push(`writers' CPU ${round((c.clientCpu / c.writes) * 1e6, 1)} µs/write`);
  if (c.daemon) parts.push(`daemon CPU ${c.daemon.cpuPerWriteUs} µs/write, ${c.daemon.writeCallsPerWrite} write + ${c.daemon.readCallsPerWrite} read syscalls/write`);
  if (c.flushes) parts.push(`${c.flushes.writesPerSync} writes/flush`);
  return parts.join("; ");
}
