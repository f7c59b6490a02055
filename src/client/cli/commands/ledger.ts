/** ledger summary: token and cost sums as a table for people, or the method's result with --json. */
import { GROUP_FIELDS, GROUP_KEYS, type GroupKey, type SummaryResult, type SummaryTotals } from "../../../domain/ledger.js";
import { UsageError, type CliContext, type Command } from "../context.js";
import { emit } from "../output.js";

const HEADERS: Record<GroupKey, string> = { model: "MODEL", day: "DAY", session: "SESSION", project: "PROJECT", source: "SOURCE", host: "HOST" };

const METRICS: readonly { header: string; value: (t: SummaryTotals) => string }[] = [
  { header: "TURNS", value: (t) => count(t.turns) },
  { header: "INPUT", value: (t) => count(t.inputTokens) },
  { header: "OUTPUT", value: (t) => count(t.outputTokens) },
  { header: "REASONING", value: (t) => count(t.reasoningTokens) },
  { header: "CACHE READ", value: (t) => count(t.cacheReadTokens) },
  { header: "CACHE WRITE", value: (t) => count(t.cacheCreateTokens) },
  { header: "COST USD ", value: cost },
];

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * "-" when no turn was priced; a trailing "*" when only some were (the sum is a lower bound). The
 * others get a trailing space so that the digits line up with starred cells.
 */
function cost(t: SummaryTotals): string {
  return (t.pricedTurns === 0 ? "-" : t.costUsd.toFixed(4)) + (t.pricedTurns > 0 && t.pricedTurns < t.turns ? "*" : " ");
}

function groupByOption(ctx: CliContext): GroupKey[] {
  const raw = ctx.options.by;
  if (raw === undefined) return ["model"];
  if (typeof raw !== "string") throw new UsageError("--by takes a comma-separated list");
  const keys = raw.split(",").map((k) => k.trim()).filter((k) => k !== "");
  for (const k of keys) {
    if (!(GROUP_KEYS as readonly string[]).includes(k)) throw new UsageError(`--by: unknown dimension ${JSON.stringify(k)}; use ${GROUP_KEYS.join(", ")}`);
  }
  if (new Set(keys).size !== keys.length) throw new UsageError("--by names a dimension twice");
  return keys as GroupKey[];
}

/** A bare date means midnight UTC of that day. */
const timeOption = (ctx: CliContext, name: string): string | undefined => {
  const v = ctx.options[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new UsageError(`--${name} takes a time`);
  return /^\d{4}-\d\d-\d\d$/.test(v) ? `${v}T00:00:00.000Z` : v;
};

const stringOption = (ctx: CliContext, name: string): string | undefined => {
  const v = ctx.options[name];
  return typeof v === "string" ? v : undefined;
};

/** Key columns left-aligned, numbers right-aligned, a TOTAL row under a rule. */
export function renderSummary(s: SummaryResult): string {
  if (s.rows.length === 0) return "no turns match\n";
  const keyHeaders = s.groupBy.length > 0 ? s.groupBy.map((k) => HEADERS[k]) : [""];
  const keyCells = (row: Record<string, unknown>): string[] =>
    s.groupBy.length > 0 ? s.groupBy.map((k) => (row[GROUP_FIELDS[k]] === null ? "(none)" : String(row[GROUP_FIELDS[k]]))) : [""];
  const body = s.groupBy.length > 0 ? s.rows.map((r) => [...keyCells(r), ...METRICS.map((m) => m.value(r))]) : [];
  const total = ["TOTAL", ...keyHeaders.slice(1).map(() => ""), ...METRICS.map((m) => m.value(s.totals))];
  const header = [...keyHeaders, ...METRICS.map((m) => m.header)];
  const all = [header, ...body, total];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const keys = keyHeaders.length;
  const line = (cells: string[]) => cells.map((c, i) => (i < keys ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const notes = s.totals.pricedTurns < s.totals.turns && s.totals.pricedTurns > 0 ? ["* some turns carry no costUsd; the cost is a lower bound"] : [];
  const zone = s.groupBy.includes("day") && s.timezone !== "UTC" ? [`days in ${s.timezone}`] : [];
  return [line(header), ...body.map(line), ...(body.length > 0 ? [rule] : []), line(total), ...notes, ...zone].join("\n") + "\n";
}

export const ledgerCommands: Command[] = [
  {
    words: ["ledger", "summary"],
    usage:
      "agentstate ledger summary [--by model,day,session,project,source,host] [--since TIME] [--until TIME] [--tz ZONE] [--project P] [--model M] [--source S] [--host H] [--json]",
    summary: "Token and cost totals from the usage ledger, grouped (default --by model); since inclusive, until exclusive; days in UTC unless --tz.",
    options: {
      by: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      tz: { type: "string" },
      project: { type: "string" },
      model: { type: "string" },
      source: { type: "string" },
      host: { type: "string" },
    },
    async run(ctx) {
      const groupBy = groupByOption(ctx);
      const client = await ctx.client();
      const result = await client.ledger.summary({
        groupBy,
        since: timeOption(ctx, "since"),
        until: timeOption(ctx, "until"),
        timezone: stringOption(ctx, "tz"),
        project: stringOption(ctx, "project"),
        model: stringOption(ctx, "model"),
        source: stringOption(ctx, "source"),
        host: stringOption(ctx, "host"),
      });
      emit(ctx.out, result, () => renderSummary(result));
    },
  },
];
