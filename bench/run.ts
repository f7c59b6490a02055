/**
 * `npm run bench`: runs every bench module, prints one table with the raw figures and the ratio
 * to each target (SPEC §10), and writes the same as JSON to bench/results/latest.json.
 *
 *   node dist/bench/run.js [P1 …]     only the named modules
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT, type BenchModule, type BenchResult } from "./harness.js";
import { p1 } from "./p1-ping.js";
import { p3 } from "./p3-fanout.js";
import { p6 } from "./p6-ledger.js";

const MODULES: BenchModule[] = [p1, p6, p3];

function table(rows: BenchResult[]): string {
  const cells = rows.map((r) => [
    r.id,
    r.what,
    r.target || "—",
    r.measured,
    r.ratio === null ? "—" : `${r.ratio.toFixed(2)}× ${r.pass ? "PASS" : "FAIL"}`,
  ]);
  const header = ["id", "what", "target", "measured", "ratio"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

const only = process.argv.slice(2);
const selected = only.length ? MODULES.filter((m) => only.includes(m.id)) : MODULES;
const results: BenchResult[] = [];
let failed = false;
for (const m of selected) {
  process.stderr.write(`running ${m.id} (${m.title})…\n`);
  try {
    results.push(...(await m.run()));
  } catch (err) {
    failed = true;
    process.stderr.write(`${m.id} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  }
}
process.stdout.write(table(results) + "\n");
const dir = join(ROOT, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, "latest.json");
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
      results,
    },
    null,
    2,
  ) + "\n",
);
process.stderr.write(`results written to ${file}\n`);
process.exitCode = failed ? 1 : 0;
