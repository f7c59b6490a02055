/**
 * `npm run bench`: runs every bench module (SPEC §10, P1–P10), prints one table — id, what, target,
 * measured, the ratio to the target with PASS/FAIL, and the machine's load average (1 min) when the
 * module started and ended — and writes the same, with the raw figures, to bench/results/latest.json.
 *
 *   node dist/bench/run.js                  every module → bench/results/latest.json
 *   node dist/bench/run.js --only P2,P5     only those (also: node dist/bench/run.js P2 P5)
 *                                           → bench/results/only-P2-P5.json, latest.json untouched
 *   node dist/bench/run.js --out FILE       write the results to FILE instead
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { load, ROOT, type BenchModule, type BenchResult } from "./harness.js";
import { p1 } from "./p1-ping.js";
import { p2 } from "./p2-append.js";
import { p3 } from "./p3-fanout.js";
import { p4 } from "./p4-cross-daemon.js";
import { p5 } from "./p5-tail.js";
import { p6 } from "./p6-ledger.js";
import { p7 } from "./p7-memory.js";
import { p8 } from "./p8-pg-connections.js";
import { p9 } from "./p9-pg-scale.js";
import { p10 } from "./p10-langgraph.js";

const MODULES: BenchModule[] = [p1, p2, p3, p4, p5, p6, p7, p8, p9, p10];

const loadText = (r: BenchResult) => (r.load ? `${r.load.start[0].toFixed(2)}→${r.load.end[0].toFixed(2)}` : "—");

function table(rows: BenchResult[]): string {
  const cells = rows.map((r) => [
    r.id,
    r.what,
    r.target || "—",
    r.measured,
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}× ${r.pass ? "PASS" : "FAIL"}`,
    loadText(r),
  ]);
  const header = ["id", "what", "target", "measured", "ratio", "load 1m"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

const { values, positionals } = parseArgs({
  options: { only: { type: "string" }, out: { type: "string" } },
  allowPositionals: true,
});
const only = [...(values.only?.split(",") ?? []), ...positionals].map((s) => s.trim().toUpperCase()).filter(Boolean);
const unknown = only.filter((id) => !MODULES.some((m) => m.id === id));
if (unknown.length) {
  process.stderr.write(`unknown module(s) ${unknown.join(", ")}; known: ${MODULES.map((m) => m.id).join(", ")}\n`);
  process.exit(2);
}
const selected = only.length ? MODULES.filter((m) => only.includes(m.id)) : MODULES;
const file = values.out
  ? resolve(values.out)
  : join(ROOT, "bench", "results", only.length ? `only-${selected.map((m) => m.id).join("-")}.json` : "latest.json");

const results: BenchResult[] = [];
const errors: { id: string; error: string }[] = [];
const started = performance.now();
for (const m of selected) {
  const start = load();
  const t0 = performance.now();
  process.stderr.write(`running ${m.id} (${m.title}); load ${start.join(" ")}…\n`);
  try {
    const rows = await m.run();
    const end = load();
    for (const r of rows) results.push({ ...r, load: { start, end } });
  } catch (err) {
    errors.push({ id: m.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.stderr.write(`${m.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.stderr.write(`${m.id} took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
const seconds = Math.round((performance.now() - started) / 100) / 10;
process.stdout.write(table(results) + "\n");
process.stdout.write(`${results.filter((r) => r.pass === true).length} passed, ${results.filter((r) => r.pass === false).length} failed, ${errors.length} modules errored; ${seconds} s\n`);
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
      errors,
      results,
    },
    null,
    2,
  ) + "\n",
);
process.stderr.write(`results written to ${file}\n`);
process.exitCode = errors.length ? 1 : 0;
