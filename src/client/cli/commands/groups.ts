/** groups list|show. */
import type { Group } from "../../../domain/groups.js";
import { intOption, requireArg, type Command } from "../context.js";
import { emit, formatTable } from "../output.js";

export const groupsCommands: Command[] = [
  {
    words: ["groups", "list"],
    usage: "agentstate groups list [--limit N] [--cursor C] [--json]",
    summary: "Session groups, in id order.",
    options: { limit: { type: "string" }, cursor: { type: "string" } },
    async run(ctx) {
      const client = await ctx.client();
      const page = await client.groups.list({ limit: intOption(ctx, "limit"), cursor: ctx.options.cursor as string | undefined });
      emit(ctx.out, page, () =>
        formatTable<Group>(page.items, [
          { header: "id", value: (g) => g.id },
          { header: "current", value: (g) => g.currentSessionId },
          { header: "earlier", value: (g) => g.history.length },
          { header: "rollover", value: (g) => g.lastRolloverAt },
          { header: "updated", value: (g) => g.updatedAt },
        ]) + (page.nextCursor ? `(more: --cursor ${page.nextCursor})\n` : ""));
    },
  },
  {
    words: ["groups", "show"],
    usage: "agentstate groups show <id> [--json]",
    summary: "One group: its current session and the earlier ones.",
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const client = await ctx.client();
      const g = await client.groups.get({ id });
      emit(ctx.out, g, () => {
        const { history, ...fields } = g;
        const lines = Object.entries(fields).map(([k, v]) => `${k.padEnd(16)} ${typeof v === "string" ? v : JSON.stringify(v)}`);
        lines.push(`${"history".padEnd(16)} ${history.length === 0 ? "(none)" : ""}`, ...history.map((id) => `  ${id}`));
        return lines.join("\n") + "\n";
      });
    },
  },
];
