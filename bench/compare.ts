/**
 * Rounds and checkouts side by side: for every row id, the median headline figure of each checkout
 * over the rounds, its ratio to the target, and after ÷ before.
 */
import type { BenchResult, Metric } from "./harness.js";

export interface SideSummary {
  /** Median of the rows' metric values, and every value in round order. */
  median: number;
  values: number[];
  unit: string;
  better: Metric["better"];
  /** Median ratio to the target (null for comparison rows) and whether it passes. */
  ratio: number | null;
  pass: boolean | null;
}

export interface IdSummary {
  id: string;
  target: string;
  /** By checkout label; "—" for rows measured once for all checkouts (e.g. the direct baseline). */
  sides: Record<string, SideSummary>;
  /** this ÷ base, in the metric's own direction (> 1 = better), when both were measured. */
  change?: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function summarizeRuns(rows: BenchResult[], labels: string[]): IdSummary[] {
  const ids = [...new Set(rows.map((r) => r.id))];
  return ids.flatMap((id) => {
    const of = rows.filter((r) => r.id === id && r.metric);
    if (of.length === 0) return [];
    const sides: Record<string, SideSummary> = {};
    for (const side of [...new Set(of.map((r) => r.side ?? "—"))]) {
      const mine = of.filter((r) => (r.side ?? "—") === side);
      const metric = mine[0].metric as Metric;
      const ratios = mine.map((r) => r.ratio).filter((x): x is number => x !== null);
      const ratio = ratios.length ? median(ratios) : null;
      sides[side] = {
        median: median(mine.map((r) => (r.metric as Metric).value)),
        values: mine.map((r) => (r.metric as Metric).value),
        unit: metric.unit,
        better: metric.better,
        ratio,
        // The median must pass, and no round may have had an error (targets ask for zero errors).
        pass: ratio === null ? null : ratio >= 1 && mine.every((r) => !(typeof r.raw.errors === "number" && r.raw.errors > 0)),
      };
    }
    const [base, after] = labels;
    const b = base === undefined ? undefined : sides[base];
    const a = after === undefined ? undefined : sides[after];
    const change = a && b && b.median > 0 && a.median > 0 ? (a.better === "higher" ? a.median / b.median : b.median / a.median) : undefined;
    return [{ id, target: of[0].target, sides, change }];
  });
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : String(Math.round(v * 100) / 100));

function sideText(s: SideSummary | undefined): string {
  if (!s) return "—";
  const values = s.values.length > 1 ? ` [${s.values.map(fmt).join(", ")}]` : "";
  const verdict = s.ratio === null ? "" : ` ${s.ratio.toFixed(2)}× ${s.pass ? "PASS" : "FAIL"}`;
  return `${fmt(s.median)} ${s.unit}${values}${verdict}`;
}

export function summaryTable(summary: IdSummary[], labels: string[]): string {
  const header = ["id", "target", ...labels, ...(labels.length > 1 ? ["change"] : [])];
  const cells = summary.map((s) => {
    const shared = s.sides["—"];
    return [
      s.id,
      s.target || "—",
      ...labels.map((l) => sideText(s.sides[l] ?? shared)),
      ...(labels.length > 1 ? [s.change === undefined ? "—" : `${s.change.toFixed(2)}× ${s.change >= 1 ? "better" : "worse"}`] : []),
    ];
  });
  return formatTable(header, cells);
}

export function formatTable(header: string[], cells: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
