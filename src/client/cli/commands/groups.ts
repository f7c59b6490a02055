/** groups list|show. */
import type { Group } from "../../../domain/groups.js";
import { requireArg, type Command } from "../context.js";
import { cell, emit, formatFields, formatTable, moreLine } from "../output.js";
import { fetchPages, PAGE_OPTIONS, pageRequest } from "../paging.js";

export const groupsCommands: Command[] = [
  {
    words: ["groups", "list"],
    usage: "agentstate groups list [--limit N] [--cursor C] [--all] [--json]",
    summary: "Session groups, in id order.",
    options: PAGE_OPTIONS,
    async run(ctx) {
      const req = pageRequest(ctx);
      const client = await ctx.client();
      const page = await fetchPages(ctx, req, (p) => client.groups.list(p));
      emit(ctx.out, page, () =>
        formatTable<Group>(page.items, [
          { header: "id", value: (g) => g.id },
          { header: "current", value: (g) => g.currentSessionId },
          { header: "earlier", value: (g) => g.history.length },
          { header: "rollover", value: (g) => g.lastRolloverAt },
          { header: "updated", value: (g) => g.updatedAt },
        ]) + moreLine(page.nextCursor));
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
        const lines = [`${"history".padEnd(16)} ${history.length === 0 ? "(none)" : ""}`.trimEnd(), ...history.map((id) => `  ${cell(id)}`)];
        return formatFields(fields, 16) + lines.join("\n") + "\n";
      });
    },
  },
];
