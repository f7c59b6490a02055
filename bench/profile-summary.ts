/**
 * The top of a V8 CPU profile as markdown: self time by category (JSON, validation, socket writes,
 * file writes, SQLite, fsync, GC, idle, …) and by function.
 *
 *   node dist/bench/profile-summary.js [--top N] FILE.cpuprofile…
 *   node dist/bench/profile-summary.js --compare FILE.cpuprofile…   one table, a column per profile
 *
 * Profiles come from `node dist/bench/run.js --only P2 --cpu-prof DIR` (every bench daemon writes
 * one). When the bench left FILE.window.json beside it, only samples inside the timed window count
 * (start-up and shutdown are left out) and each category is also given in µs per append.
 *
 * Native functions (syscall wrappers such as writeUtf8String, better-sqlite3's statements) appear
 * with their own name; their category comes from the JS frame that called them. Time a thread-pool
 * thread spends in fdatasync is not on the main thread: the main thread shows it as idle. SQLite's
 * COMMIT runs on the main thread, so its fsync is inside "sqlite exec".
 */
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Window {
  fromUs: number;
  toUs: number;
  appends?: number;
  /** fsync/fdatasync calls in the window and the seconds spent in them, counted by the shim. */
  syncs?: number;
  secondsInSync?: number;
}

/** Categories, in the order the rules are tried: first match wins. */
type Category =
  | "idle" | "GC" | "VM (unattributed)" | "JSON parse/stringify" | "validation (TypeBox, depth, size)"
  | "socket write" | "socket read + framing" | "file I/O (fs)" | "sqlite exec (BEGIN/SAVEPOINT/COMMIT + fsync)"
  | "sqlite statements" | "logging" | "rpc dispatch" | "jsonl engine" | "sql store" | "domain/common"
  | "daemon" | "promises, ticks, timers" | "module loading" | "node other" | "other";

const shortUrl = (url: string) => url.replace(/^file:\/\//, "").replace(/.*\/(dist|node_modules)\//, "$1/");

function byUrl(frame: CallFrame): Category | undefined {
  const u = frame.url;
  if (u === "") return undefined;
  if (u.includes("better-sqlite3")) return "sqlite exec (BEGIN/SAVEPOINT/COMMIT + fsync)";
  if (u.includes("/backends/sqlite/")) return "sqlite statements";
  if (u.includes("typebox") || u.includes("/rpc/depth.") || u.includes("/daemon/limits.")) return "validation (TypeBox, depth, size)";
  if (u.includes("winston") || u.includes("logform") || u.includes("/daemon/logger.")) return "logging";
  if (u.includes("/rpc/framing.")) return "socket read + framing";
  if (u.includes("/rpc/")) return "rpc dispatch";
  if (u.includes("/backends/jsonl/")) return "jsonl engine";
  if (u.includes("/backends/sql/") || u.includes("/backends/postgres/")) return "sql store";
  if (u.includes("/backends/") || u.includes("/domain/") || u.includes("/core/")) return "domain/common";
  if (u.includes("/daemon/")) return "daemon";
  if (/^node:(net|internal\/stream_base_commons|internal\/streams\/writable)/.test(u)) return "socket write";
  if (/^node:internal\/streams\/(readable|add-abort|end-of-stream)|^node:stream/.test(u)) return "socket read + framing";
  if (/^node:(fs|internal\/fs)/.test(u)) return "file I/O (fs)";
  if (/^node:internal\/(process\/task_queues|timers|async_hooks|process\/promises)|^node:timers/.test(u)) return "promises, ticks, timers";
  if (/^node:internal\/(modules|bootstrap)|^node:internal\/vm/.test(u)) return "module loading";
  if (u.startsWith("node:")) return "node other";
  return "other";
}

/** The category of a sample whose leaf is `leaf`, given the chain of its callers. */
function categorize(stack: CallFrame[]): Category {
  const leaf = stack[0];
  const name = leaf.functionName;
  if (name === "(idle)") return "idle";
  if (name === "(garbage collector)") return "GC";
  if (name === "(program)" || name === "(root)") return "VM (unattributed)";
  const caller = stack.find((f) => f.url !== "");
  if (leaf.url === "") {
    if ((name === "parse" || name === "stringify") && !caller?.url.startsWith("node:internal/url")) return "JSON parse/stringify";
    // Code compiled at run time (TypeBox's validators are built with new Function) has a line.
    if (leaf.lineNumber >= 0) return "validation (TypeBox, depth, size)";
    if (name === "writeUtf8String" || name === "writeBuffer" || name === "writev" || name === "writeLatin1String") {
      if (caller && /stream_base_commons|node:net/.test(caller.url)) return "socket write";
    }
    if (name === "decode" || name === "encodeInto" || name === "utf8Slice") return "JSON parse/stringify";
  }
  for (const f of stack) {
    const c = byUrl(f);
    if (c) return c;
  }
  return "other";
}

export interface Summary {
  file: string;
  profiledSeconds: number;
  windowSeconds: number;
  appends?: number;
  syncs?: number;
  secondsInSync?: number;
  categories: Array<{ category: string; ms: number; share: number; usPerAppend?: number }>;
  functions: Array<{ name: string; where: string; category: string; ms: number; share: number }>;
}

export function summarize(profile: CpuProfile, file: string, window?: Window, top = 20): Summary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let counted = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
    counted += dt;
  }
  const stackOf = (id: number): CallFrame[] => {
    const out: CallFrame[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = nodes.get(cur);
      if (n) out.push(n.callFrame);
    }
    return out;
  };
  const cats = new Map<string, number>();
  const fns = new Map<string, { name: string; where: string; category: string; us: number }>();
  for (const [id, us] of selfUs) {
    const stack = stackOf(id);
    const category = categorize(stack);
    cats.set(category, (cats.get(category) ?? 0) + us);
    const f = stack[0];
    const caller = f.url === "" ? stack.find((s) => s.url !== "") : undefined;
    const where = f.url !== "" ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : caller ? `native, from ${caller.functionName || "(anonymous)"} ${shortUrl(caller.url)}` : "native";
    const key = `${f.functionName}|${where}`;
    const e = fns.get(key) ?? { name: f.functionName || "(anonymous)", where, category, us: 0 };
    e.us += us;
    fns.set(key, e);
  }
  const appends = window?.appends;
  return {
    file: basename(file),
    profiledSeconds: (profile.endTime - profile.startTime) / 1e6,
    windowSeconds: counted / 1e6,
    appends,
    syncs: window?.syncs,
    secondsInSync: window?.secondsInSync,
    categories: [...cats]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, ms: us / 1000, share: us / counted, ...(appends ? { usPerAppend: us / appends } : {}) })),
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, category: e.category, ms: e.us / 1000, share: e.us / counted })),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function toMarkdown(s: Summary): string {
  const head = `#### ${s.file}\n\n${s.windowSeconds.toFixed(2)} s of samples${s.appends ? ` in the timed window (${s.appends.toLocaleString("en-US")} appends)` : ""}, of ${s.profiledSeconds.toFixed(2)} s profiled.\n`;
  const sync = s.syncs === undefined ? "" :
    `\nfsync/fdatasync in the window, counted by the shim on every thread: ${s.syncs.toLocaleString("en-US")} calls, ${(s.secondsInSync ?? 0).toFixed(2)} s` +
    `${s.appends ? ` (${(s.appends / Math.max(1, s.syncs)).toFixed(2)} appends per flush)` : ""}.\n`;
  const per = s.appends !== undefined;
  const cat = [
    `| category | self ms | share |${per ? " µs per append |" : ""}`,
    `|---|---:|---:|${per ? "---:|" : ""}`,
    ...s.categories.map((c) => `| ${c.category} | ${c.ms.toFixed(0)} | ${pct(c.share)} |${per ? ` ${(c.usPerAppend ?? 0).toFixed(1)} |` : ""}`),
  ].join("\n");
  const fn = [
    "| function | where | category | self ms | share |",
    "|---|---|---|---:|---:|",
    ...s.functions.map((f) => `| ${f.name} | ${f.where} | ${f.category} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
  ].join("\n");
  return `${head}${sync}\n${cat}\n\n${fn}\n`;
}

/** One table, a column per profile: each category's µs per append (or share, without a window). */
export function compareMarkdown(summaries: Summary[]): string {
  const perAppend = summaries.every((s) => s.appends !== undefined);
  const categories = [...new Set(summaries.flatMap((s) => s.categories.map((c) => c.category)))];
  const value = (s: Summary, category: string) => {
    const c = s.categories.find((x) => x.category === category);
    if (!c) return "—";
    return perAppend ? (c.usPerAppend ?? 0).toFixed(1) : pct(c.share);
  };
  const total = (s: Summary) => (perAppend ? ((s.windowSeconds * 1e6) / (s.appends ?? 1)).toFixed(1) : "100 %");
  const flushes = (s: Summary) => (s.syncs === undefined || !s.appends ? "—" : (s.appends / Math.max(1, s.syncs)).toFixed(2));
  return [
    `| ${perAppend ? "main-thread µs per append" : "share of samples"} | ${summaries.map((s) => s.file.replace(/\.cpuprofile$/, "")).join(" | ")} |`,
    `|---|${summaries.map(() => "---:").join("|")}|`,
    ...categories.map((c) => `| ${c} | ${summaries.map((s) => value(s, c)).join(" | ")} |`),
    `| **total (wall time of the main thread)** | ${summaries.map(total).join(" | ")} |`,
    `| appends per flush | ${summaries.map(flushes).join(" | ")} |`,
    "",
  ].join("\n");
}

function load(file: string, top: number): Summary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const windowFile = file.replace(/\.cpuprofile$/, "") + ".window.json";
  const window = existsSync(windowFile) ? (JSON.parse(readFileSync(windowFile, "utf8")) as Window) : undefined;
  return summarize(profile, file, window, top);
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: "string" }, compare: { type: "boolean" } }, allowPositionals: true });
  if (positionals.length === 0) {
    process.stderr.write("usage: profile-summary [--top N] [--compare] FILE.cpuprofile…\n");
    process.exit(2);
  }
  const summaries = positionals.map((f) => load(f, Number(values.top ?? 20)));
  if (values.compare) process.stdout.write(compareMarkdown(summaries));
  else for (const s of summaries) process.stdout.write(toMarkdown(s) + "\n");
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) main();
