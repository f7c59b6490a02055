/** plans list|show. */
import type { PlanStatus, PlanSummary } from "../../../domain/plans.js";
import { PLAN_STATUSES, PLAN_URI_PREFIX } from "../../../domain/plans.js";
import { UsageError, intOption, requireArg, type Command } from "../context.js";
import { emit, formatTable } from "../output.js";

function statusOption(v: unknown): PlanStatus | undefined {
  if (v === undefined) return undefined;
  if ((PLAN_STATUSES as readonly unknown[]).includes(v)) return v as PlanStatus;
  throw new UsageError(`--status must be one of ${PLAN_STATUSES.join(", ")}; got ${JSON.stringify(v)}`);
}

export const plansCommands: Command[] = [
  {
    words: ["plans", "list"],
    usage: "agentstate plans list [--session ID] [--status draft|pending|approved|rejected] [--limit N] [--cursor C] [--json]",
    summary: "Plans, newest first.",
    options: { session: { type: "string" }, status: { type: "string" }, limit: { type: "string" }, cursor: { type: "string" } },
    async run(ctx) {
      const status = statusOption(ctx.options.status);
      const client = await ctx.client();
      const page = await client.plans.list({
        sessionId: ctx.options.session as string | undefined,
        status,
        limit: intOption(ctx, "limit"),
        cursor: ctx.options.cursor as string | undefined,
      });
      emit(ctx.out, page, () =>
        formatTable<PlanSummary>(page.items, [
          { header: "id", value: (p) => p.id },
          { header: "status", value: (p) => p.status },
          { header: "title", value: (p) => p.title, max: 50 },
          { header: "session", value: (p) => p.sessionId },
          { header: "created", value: (p) => p.createdAt },
        ]) + (page.nextCursor ? `(more: --cursor ${page.nextCursor})\n` : ""));
    },
  },
  {
    words: ["plans", "show"],
    usage: "agentstate plans show <id|agentstate://plans/ID> [--json]",
    summary: "A plan's Markdown body as written (--json: the whole record).",
    async run(ctx) {
      const ref = requireArg(ctx, 0, "id|uri");
      const client = await ctx.client();
      const plan = await client.plans.get(ref.startsWith(PLAN_URI_PREFIX) ? { uri: ref } : { id: ref });
      emit(ctx.out, plan, () => (plan.body === "" || plan.body.endsWith("\n") ? plan.body : plan.body + "\n"));
    },
  },
];
