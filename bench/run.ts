/**
 * `npm run bench`: runs every bench module (SPEC §10), prints one table — id, what, target,
 * measured, the ratio to the target with PASS/FAIL, and the machine's load average (1 min) when the
 * module started and ended — and writes the same, with the raw figures, to bench/results/latest.json.
 *
 *   node dist/bench/run.js                  every module → bench/results/latest.json
 *   node dist/bench/run.js --only P2,P5     only those (also: node dist/bench/run.js P2 P5)
 *                                           → bench/results/only-P2-P5.json, latest.json untouched
 *   node dist/bench/run.js --out FILE       write the results to FILE instead
 *   --baseline DIR     also run DIR's daemon (a built checkout), alternating with this one's, and
 *                      print the two side by side with after ÷ before
 *   --rounds N         run each module N times (with --baseline: base first, then this first, …)
 *                      and print medians
 *   --seconds N        how long each P2/P2s case writes (default 10)
 *   --writers 8,32     P2s's writer counts (default 8,32,128)
 *   --cpu-prof DIR     every bench daemon writes a V8 CPU profile into DIR
 *                      (summarise one with node dist/bench/profile-summary.js FILE)
 *   --perf DIR         perf record each P2/P2s daemon over its timed window into DIR
 *                      (summarise with node dist/bench/perf-summary.js FILE)
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { checkoutsFor, load, ROOT, settings, type BenchModule, type BenchResult } from "./harness.js";
import { p1 } from "./p1-ping.js";
import { p2 } from "./p2-append.js";
import { p2s } from "./p2s-slow-flush.js";
import { p3 } from "./p3-fanout.js";
import { p4 } from "./p4-cross-daemon.js";
import { p5 } from "./p5-tail.js";
import { p6 } from "./p6-ledger.js";
import { p7 } from "./p7-memory.js";
import { p8 } from "./p8-pg-connections.js";
import { p9 } from "./p9-pg-scale.js";
import { p10 } from "./p10-langgraph.js";
import { formatTable, summarizeRuns, summaryTable } from "./compare.js";

const MODULES: BenchModule[] = [p1, p2, p2s, p3, p4, p5, p6, p7, p8, p9, p10];

const loadText = (r: BenchResult) => (r.load ? `${r.load.start[0].toFixed(2)}→${r.load.end[0].toFixed(2)}` : "—");

function table(rows: BenchResult[], showSide: boolean, showRound: boolean): string {
  const cells = rows.map((r) => [
    r.id,
    ...(showSide ? [r.side ?? "—"] : []),
    ...(showRound ? [String((r.round ?? 0) + 1)] : []),
    r.what,
    r.target || "—",
    r.measured,
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}× ${r.pass ? "PASS" : "FAIL"}`,
    loadText(r),
  ]);
  const header = ["id", ...(showSide ? ["side"] : []), ...(showRound ? ["round"] : []), "what", "target", "measured", "ratio", "load 1m"];
  return formatTable(header, cells);
}

const { values, positionals } = parseArgs({
  options: {
    only: { type: "string" },
    out: { type: "string" },
    baseline: { type: "string" },
    rounds: { type: "string" },
    seconds: { type: "string" },
    writers: { type: "string" },
    "cpu-prof": { type: "string" },
    perf: { type: "string" },
  },
  allowPositionals: true,
});
const fail = (message: string): never => {
  process.stderr.write(message + "\n");
  process.exit(2);
};
const selectedBy = (id: string) => MODULES.find((m) => m.id === id || m.aliases?.includes(id));
const only = [...(values.only?.split(",") ?? []), ...positionals].map((s) => s.trim().toUpperCase()).filter(Boolean);
const unknown = only.filter((id) => !selectedBy(id));
if (unknown.length) fail(`unknown module(s) ${unknown.join(", ")}; known: ${MODULES.flatMap((m) => [m.id, ...(m.aliases ?? [])]).join(", ")}`);
const selected = only.length ? MODULES.filter((m) => only.some((id) => selectedBy(id) === m)) : MODULES;

if (values.baseline !== undefined) {
  const root = resolve(values.baseline);
  if (!existsSync(join(root, "dist", "src", "daemon", "main.js")) || !existsSync(join(root, "bin", "agentstated.js"))) {
    fail(`${root} is not a built checkout: run (cd ${root} && npx tsc -p tsconfig.json) first`);
  }
  settings.checkouts = [{ label: "base", root }, { label: "this", root: ROOT }];
}
const rounds = Number(values.rounds ?? 1);
if (!Number.isInteger(rounds) || rounds < 1) fail("--rounds takes a positive integer");
settings.rounds = rounds;
if (values.seconds !== undefined) {
  settings.seconds = Number(values.seconds);
  if (!(settings.seconds > 0)) fail("--seconds takes a positive number");
}
if (values.writers !== undefined) {
  settings.p2sWriters = values.writers.split(",").map(Number);
  if (settings.p2sWriters.some((n) => !Number.isInteger(n) || n < 1)) fail("--writers takes positive integers, e.g. 8,32,128");
}
if (values["cpu-prof"] !== undefined) {
  settings.cpuProfDir = resolve(values["cpu-prof"]);
  mkdirSync(settings.cpuProfDir, { recursive: true });
}
if (values.perf !== undefined) {
  settings.perfDir = resolve(values.perf);
  mkdirSync(settings.perfDir, { recursive: true });
}
const comparing = settings.checkouts.length > 1;

const file = values.out
  ? resolve(values.out)
  : join(ROOT, "bench", "results", only.length ? `only-${selected.map((m) => m.id).join("-")}.json` : "latest.json");

/** Runs a module once in `round`, over every checkout, and labels its rows. */
async function runModule(m: BenchModule, round: number): Promise<BenchResult[]> {
  if (!comparing || m.checkouts === "alternates") return m.run(round);
  if (m.checkouts === "this-only") {
    process.stderr.write(`${m.id} measures this checkout's code in-process; --baseline does not apply to it\n`);
    return (await m.run(round)).map((r) => ({ ...r, side: "this" }));
  }
  const rows: BenchResult[] = [];
  for (const checkout of checkoutsFor(round)) {
    settings.defaultRoot = checkout.root;
    try {
      rows.push(...(await m.run(round)).map((r) => ({ ...r, side: checkout.label })));
    } finally {
      settings.defaultRoot = ROOT;
    }
  }
  return rows;
}

const results: BenchResult[] = [];
const errors: { id: string; round: number; error: string }[] = [];
const started = performance.now();
for (let round = 0; round < rounds; round++) {
  for (const m of selected) {
    const start = load();
    const t0 = performance.now();
    process.stderr.write(`running ${m.id} (${m.title})${rounds > 1 ? `, round ${round + 1}/${rounds}` : ""}; load ${start.join(" ")}…\n`);
    try {
      const rows = await runModule(m, round);
      const end = load();
      for (const r of rows) results.push({ ...r, round, load: { start, end } });
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      errors.push({ id: m.id, round, error: text });
      process.stderr.write(`${m.id} failed: ${text}\n`);
    }
    process.stderr.write(`${m.id} took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}
const seconds = Math.round((performance.now() - started) / 100) / 10;
process.stdout.write(table(results, comparing, rounds > 1) + "\n");
const summary = comparing || rounds > 1 ? summarizeRuns(results, settings.checkouts.map((c) => c.label)) : undefined;
if (summary) {
  process.stdout.write(`\n${comparing ? `${settings.checkouts[0].root} (base) vs this checkout, ` : ""}median of ${rounds} round${rounds > 1 ? "s" : ""}:\n`);
  process.stdout.write(summaryTable(summary, settings.checkouts.map((c) => c.label)) + "\n");
}
const errorCount = results.reduce((n, r) => n + (typeof r.raw.errors === "number" ? r.raw.errors : 0), 0);
process.stdout.write(
  `${results.filter((r) => r.pass === true).length} passed, ${results.filter((r) => r.pass === false).length} failed, ` +
    `${errors.length} modules errored; ${errorCount} request errors counted over all runs; ${seconds} s; load now ${load().join(" ")}\n`,
);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(
  file,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryBytes: totalmem(),
      seconds,
      modules: selected.map((m) => m.id),
      checkouts: settings.checkouts,
      rounds,
      errors,
      requestErrors: errorCount,
      summary,
      results,
    },
    null,
    2,
  ) + "\n",
);
process.stderr.write(`results written to ${file}\n`);
process.exitCode = errors.length ? 1 : 0;
