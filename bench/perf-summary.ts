/**
 * Where a daemon's CPU went, from a `perf record` of it (run.ts --perf DIR), as markdown: by
 * component (JIT-compiled JS, Node/V8, SQLite, libc, kernel), kernel time by system call, by thread,
 * and the top functions. Unlike a V8 CPU profile, which samples the main thread's wall time
 * (preemption and blocking included), these are on-CPU samples of every thread.
 *
 *   node dist/bench/perf-summary.js [--top N] FILE.perf.data…
 *   node dist/bench/perf-summary.js --compare FILE.perf.data…   one table, a column per recording
 *
 * Needs `perf` and the daemon's /tmp/perf-<pid>.map (written by --perf-basic-prof) for JS names.
 * With FILE.json beside it (the bench writes { appends }), figures are also given per append.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";

function report(file: string, args: string[]): string {
  const r = spawnSync("perf", ["report", "-i", file, "--stdio", "-g", "none", ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`perf report failed: ${r.stderr}`);
  return r.stdout;
}

const rows = (text: string) =>
  text
    .split("\n")
    .filter((l) => !l.startsWith("#") && l.trim() !== "")
    .map((l) => /^\s*([\d.]+)%\s+(?:([\d.]+)%\s+)?(.*?)\s*$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ share: Number(m[1]) / 100, self: m[2] === undefined ? undefined : Number(m[2]) / 100, name: m[3] }));

/** What a sampled function is part of, from its shared object and name. */
function component(dso: string, sym: string): string {
  if (dso.startsWith("[JIT]") || dso.startsWith("perf-")) return "JS (JIT-compiled code)";
  if (dso.includes("sqlite")) return "SQLite (better_sqlite3.node)";
  if (dso.includes("kernel")) return "kernel";
  if (dso.startsWith("libc") || dso.startsWith("libstdc++") || dso.startsWith("libm")) return "libc/libstdc++ (malloc, memcpy, …)";
  if (dso !== "node") return dso;
  if (sym.startsWith("Builtins_")) return "V8 interpreter and builtins (running JS)";
  if (/Json/.test(sym)) return "V8 JSON parse/stringify";
  if (/::compiler::|[Mm]aglev|turboshaft|Compile|Parser|Scanner|AstNode|BytecodeGenerator/.test(sym)) return "V8 compilers (JIT)";
  if (/Scaveng|Heap::|MarkCompact|Marking|Sweeper|Evacuat|GCTracer|MemoryAllocator|PagedSpace|NewSpace|WriteBarrier/.test(sym)) return "V8 GC";
  if (/^node::|^uv_|^uv__|^napi_/.test(sym)) return "Node bindings and libuv";
  return "V8 runtime (objects, strings, ICs, promises)";
}

export interface PerfSummary {
  file: string;
  cpuSeconds: number;
  appends?: number;
  components: Map<string, number>;
  syscalls: Array<{ name: string; share: number }>;
  threads: Array<{ name: string; share: number; main: boolean }>;
  symbols: Array<{ name: string; share: number }>;
}

export function summarizePerf(file: string, top = 25): PerfSummary {
  const header = report(file, ["--no-children", "--sort", "dso"]);
  const eventNs = Number(/Event count \(approx\.\): (\d+)/.exec(header)?.[1] ?? NaN);
  const sideFile = file.replace(/\.perf\.data$/, ".perf.json");
  const appends = existsSync(sideFile) ? (JSON.parse(readFileSync(sideFile, "utf8")) as { appends?: number }).appends : undefined;
  const bySymbol = rows(report(file, ["--no-children", "--sort", "dso,sym"]));
  const components = new Map<string, number>();
  for (const r of bySymbol) {
    const m = /^(.*?)\s+\[[.k]\]\s+(.*)$/.exec(r.name);
    const c = m ? component(m[1], m[2]) : component(r.name, "");
    components.set(c, (components.get(c) ?? 0) + r.share);
  }
  const pid = /-(\d+)\.perf\.data$/.exec(file)?.[1];
  return {
    file: basename(file),
    cpuSeconds: eventNs / 1e9,
    appends,
    components: new Map([...components].sort((a, b) => b[1] - a[1])),
    syscalls: rows(report(file, ["--children", "--sort", "sym"]))
      .filter((r) => /\[k\] __(x64|ia32)_sys_\w+$|\[k\] ksys_(read|write)$/.test(r.name) && r.share >= 0.002)
      .map((r) => ({ share: r.share, name: r.name.replace(/^\[k\] /, "") })),
    threads: rows(report(file, ["--no-children", "--sort", "pid"]))
      .map((t) => ({ name: t.name, share: t.share, main: pid !== undefined && t.name.startsWith(`${pid}:`) })),
    symbols: bySymbol.slice(0, top).map((r) => ({ name: r.name, share: r.share })),
  };
}

const perAppend = (s: PerfSummary, share: number) => (share * s.cpuSeconds * 1e6) / (s.appends ?? NaN);

export function perfMarkdown(s: PerfSummary): string {
  const per = (share: number) => (s.appends ? ` | ${perAppend(s, share).toFixed(1)}` : "");
  const perHead = s.appends ? " | µs per append" : "";
  const perRule = s.appends ? "|---:" : "";
  return [
    `#### ${s.file}`,
    "",
    `${s.cpuSeconds.toFixed(2)} s of CPU sampled${s.appends ? ` for ${s.appends.toLocaleString("en-US")} appends: ${((s.cpuSeconds * 1e6) / s.appends).toFixed(1)} µs per append` : ""}.`,
    "",
    `| component | share${perHead} |`,
    `|---|---:${perRule}|`,
    ...[...s.components].map(([name, share]) => `| ${name} | ${(share * 100).toFixed(1)} %${per(share)} |`),
    "",
    `| system call (kernel time inside it, children included) | share${perHead} |`,
    `|---|---:${perRule}|`,
    ...s.syscalls.map((x) => `| ${x.name} | ${(x.share * 100).toFixed(1)} %${per(x.share)} |`),
    "",
    `| thread | share${perHead} |`,
    `|---|---:${perRule}|`,
    ...s.threads.slice(0, 6).map((t) => `| ${t.name}${t.main ? " (main: the event loop)" : ""} | ${(t.share * 100).toFixed(1)} %${per(t.share)} |`),
    "",
    `| function (self) | share${perHead} |`,
    `|---|---:${perRule}|`,
    ...s.symbols.map((x) => `| ${x.name.replace(/\|/g, "\\|").replace(/\s+/g, " ").slice(0, 140)} | ${(x.share * 100).toFixed(1)} %${per(x.share)} |`),
    "",
  ].join("\n");
}

/** One table, a column per recording: CPU µs per append by component, system call and thread. */
export function perfCompareMarkdown(all: PerfSummary[]): string {
  const cell = (s: PerfSummary, share: number | undefined) => (share === undefined ? "—" : s.appends ? perAppend(s, share).toFixed(1) : `${(share * 100).toFixed(1)} %`);
  const components = [...new Set(all.flatMap((s) => [...s.components.keys()]))];
  const syscalls = [...new Set(all.flatMap((s) => s.syscalls.map((x) => x.name)))];
  const line = (label: string, f: (s: PerfSummary) => string) => `| ${label} | ${all.map(f).join(" | ")} |`;
  return [
    `| CPU µs per append | ${all.map((s) => s.file.replace(/-\d+\.perf\.data$/, "")).join(" | ")} |`,
    `|---|${all.map(() => "---:").join("|")}|`,
    ...components.map((c) => line(c, (s) => cell(s, s.components.get(c)))),
    line("**total (all threads)**", (s) => (s.appends ? ((s.cpuSeconds * 1e6) / s.appends).toFixed(1) : "—")),
    line("main thread (event loop)", (s) => cell(s, s.threads.find((t) => t.main)?.share)),
    line("other threads (libuv pool, V8 workers)", (s) => cell(s, s.threads.filter((t) => !t.main).reduce((n, t) => n + t.share, 0))),
    ...syscalls.map((c) => line(`kernel in ${c}`, (s) => cell(s, s.syscalls.find((x) => x.name === c)?.share))),
    "",
  ].join("\n");
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: "string" }, compare: { type: "boolean" } }, allowPositionals: true });
  if (positionals.length === 0) {
    process.stderr.write("usage: perf-summary [--top N] [--compare] FILE.perf.data…\n");
    process.exit(2);
  }
  const all = positionals.map((f) => summarizePerf(f, Number(values.top ?? 25)));
  if (values.compare) process.stdout.write(perfCompareMarkdown(all));
  else for (const s of all) process.stdout.write(perfMarkdown(s) + "\n");
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) main();
