/** history: the newest shell history entries, oldest first, like a shell's own `history`. */
import type { HistoryEntry } from "../../../domain/history.js";
import { intOption, type Command } from "../context.js";
import { emit, formatTable } from "../output.js";

export const historyCommands: Command[] = [
  {
    words: ["history"],
    usage: "agentstate history [--limit N] [--contains TEXT] [--before SEQ] [--json]",
    summary: "Shell history: the newest N entries (default 20), oldest first.",
    options: { limit: { type: "string" }, contains: { type: "string" }, before: { type: "string" } },
    async run(ctx) {
      const client = await ctx.client();
      const page = await client.history.list({
        limit: intOption(ctx, "limit") ?? 20,
        contains: ctx.options.contains as string | undefined,
        beforeSeq: intOption(ctx, "before"),
      });
      emit(ctx.out, page, () =>
        formatTable<HistoryEntry>(page.items, [
          { header: "seq", value: (e) => e.seq },
          { header: "at", value: (e) => e.createdAt },
          { header: "exit", value: (e) => e.exitCode },
          { header: "command", value: (e) => e.command },
        ]));
    },
  },
];
