/** ledger summary (token and cost sums as a table, or the method's result with --json), ledger query (the turns). */
import { GROUP_FIELDS, GROUP_KEYS, type GroupKey, type StoredTurn, type SummaryResult, type SummaryTotals } from "../../../domain/ledger.js";
import { UsageError, type CliContext, type Command } from "../context.js";
import { cell, emit, formatTable, moreLine } from "../output.js";
import { displayWidth } from "../width.js";
import { fetchPages, PAGE_OPTIONS, pageRequest } from "../paging.js";

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
    s.groupBy.length > 0 ? s.groupBy.map((k) => (row[GROUP_FIELDS[k]] === null ? "(none)" : cell(row[GROUP_FIELDS[k]]))) : [""];
  const body = s.groupBy.length > 0 ? s.rows.map((r) => [...keyCells(r), ...METRICS.map((m) => m.value(r))]) : [];
  const total = ["TOTAL", ...keyHeaders.slice(1).map(() => ""), ...METRICS.map((m) => m.value(s.totals))];
  const header = [...keyHeaders, ...METRICS.map((m) => m.header)];
  const all = [header, ...body, total];
  const widths = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i]))));
  const keys = keyHeaders.length;
  const pad = (c: string, w: number, left: boolean) => (left ? c + " ".repeat(w - displayWidth(c)) : " ".repeat(w - displayWidth(c)) + c);
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i], i < keys)).join("  ").trimEnd();
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
  {
    words: ["ledger", "query"],
    usage:
      "agentstate ledger query [--since TIME] [--until TIME] [--session ID] [--project P] [--model M] [--source S] [--host H] [--limit N] [--cursor C] [--all] [--json]",
    summary: "The turns in the usage ledger, oldest first; since inclusive, until exclusive (a bare date is midnight UTC).",
    options: {
      since: { type: "string" }, until: { type: "string" }, session: { type: "string" }, project: { type: "string" },
      model: { type: "string" }, source: { type: "string" }, host: { type: "string" }, ...PAGE_OPTIONS,
    },
    async run(ctx) {
      const req = pageRequest(ctx);
      const filter = {
        since: timeOption(ctx, "since"), until: timeOption(ctx, "until"), sessionId: stringOption(ctx, "session"), project: stringOption(ctx, "project"),
        model: stringOption(ctx, "model"), source: stringOption(ctx, "source"), host: stringOption(ctx, "host"),
      };
      const client = await ctx.client();
      const page = await fetchPages(ctx, req, (p) => client.ledger.query({ ...filter, ...p }));
      emit(ctx.out, page, () =>
        formatTable<StoredTurn>(page.items, [
          { header: "ts", value: (t) => t.ts },
          { header: "source", value: (t) => t.source },
          { header: "model", value: (t) => t.model, max: 30 },
          { header: "session", value: (t) => t.sessionId, max: 30 },
          { header: "input", value: (t) => t.usage.input },
          { header: "output", value: (t) => t.usage.output },
          { header: "cost usd", value: (t) => (t.costUsd === undefined ? "" : t.costUsd.toFixed(4)) },
        ]) + moreLine(page.nextCursor));
    },
  },
];
