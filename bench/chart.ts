/**
 * Draws docs/benchmarks.svg from a results file: one bar per measurement with a target, its
 * ratio to the target (≥ 1 meets it) on a log scale, drawn from the target line — right and green
 * when met, left and red when missed.
 *
 *   node dist/bench/chart.js [results.json] [out.svg]
 *   (defaults: bench/results/latest.json → docs/benchmarks.svg)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, type BenchResult } from "./harness.js";

interface ResultsFile {
  at: string;
  node: string;
  cpus: number;
  cpuModel?: string;
  results: BenchResult[];
}

const [input = join(ROOT, "bench", "results", "latest.json"), output = join(ROOT, "docs", "benchmarks.svg")] = process.argv.slice(2);
const file = JSON.parse(readFileSync(input, "utf8")) as ResultsFile;
const rows = file.results.filter((r): r is BenchResult & { ratio: number } => r.ratio !== null);

const MIN_LOG = -2; // 0.01×
const MAX_LOG = 2; // 100×
const LABEL_W = 110;
const PLOT_W = 520;
const VALUE_W = 330;
const ROW_H = 26;
const TOP = 58;
const WIDTH = LABEL_W + PLOT_W + VALUE_W + 20;
const HEIGHT = TOP + rows.length * ROW_H + 50;

const x = (ratio: number) => {
  const l = Math.min(MAX_LOG, Math.max(MIN_LOG, Math.log10(ratio)));
  return LABEL_W + ((l - MIN_LOG) / (MAX_LOG - MIN_LOG)) * PLOT_W;
};
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const parts: string[] = [];
parts.push(
  `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
  `<rect width="100%" height="100%" fill="#ffffff"/>`,
  `<text x="10" y="22" font-size="15" font-weight="600">agentstate benchmarks (SPEC §10): ratio to target, ≥ 1× meets it (log scale)</text>`,
  `<text x="10" y="40" fill="#555">${esc(`${file.at.slice(0, 16).replace("T", " ")} UTC · Node ${file.node} · ${file.cpus} × ${file.cpuModel ?? "CPU"} · load average per row in docs/benchmarks.md`)}</text>`,
);
for (let l = MIN_LOG; l <= MAX_LOG; l++) {
  const gx = x(10 ** l);
  parts.push(
    `<line x1="${gx}" y1="${TOP - 6}" x2="${gx}" y2="${TOP + rows.length * ROW_H}" stroke="${l === 0 ? "#222" : "#ddd"}" stroke-width="${l === 0 ? 1.5 : 1}"/>`,
    `<text x="${gx}" y="${TOP + rows.length * ROW_H + 16}" text-anchor="middle" fill="#444">${10 ** l}×</text>`,
  );
}
parts.push(`<text x="${x(1)}" y="${TOP + rows.length * ROW_H + 32}" text-anchor="middle" fill="#222">target</text>`);
rows.forEach((r, i) => {
  const y = TOP + i * ROW_H;
  const x0 = x(1);
  const x1 = x(r.ratio);
  const met = r.pass === true;
  const clipped = Math.log10(r.ratio) < MIN_LOG || Math.log10(r.ratio) > MAX_LOG;
  parts.push(
    `<text x="${LABEL_W - 8}" y="${y + 16}" text-anchor="end" font-weight="600">${esc(r.side ? `${r.id} (${r.side})` : r.id)}</text>`,
    `<rect x="${Math.min(x0, x1)}" y="${y + 5}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${ROW_H - 10}" fill="${met ? "#2e9d57" : "#d64541"}"${clipped ? ' fill-opacity="0.6"' : ""}/>`,
    `<text x="${LABEL_W + PLOT_W + 8}" y="${y + 16}">${esc(`${r.ratio}× ${met ? "met" : "missed"} — ${shorten(r.measured.split(";")[0], 44)} (target ${r.target})`)}</text>`,
  );
});
parts.push("</svg>");
writeFileSync(output, parts.join("\n") + "\n");
process.stderr.write(`${rows.length} bars written to ${output}\n`);
