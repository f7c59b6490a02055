/** history (list, like a shell's own `history`), history add. */
import { hostname } from "node:os";
import type { HistoryEntry } from "../../../domain/history.js";
import { intOption, UsageError, type Command } from "../context.js";
import { emit, formatTable, moreLine } from "../output.js";
import { fetchPages, PAGE_OPTIONS, pageRequest } from "../paging.js";
import { readStdin, stringOption } from "./input.js";

export const historyCommands: Command[] = [
  {
    words: ["history"],
    usage: "agentstate history [--limit N] [--contains TEXT] [--before SEQ] [--cursor C] [--all] [--json]",
    summary: "Shell history: the newest N entries (default 20), oldest first; --cursor pages further back.",
    options: { contains: { type: "string" }, before: { type: "string" }, ...PAGE_OPTIONS },
    async run(ctx) {
      const req = pageRequest(ctx, ctx.options.all === true ? undefined : 20);
      const filter = { contains: stringOption(ctx, "contains"), beforeSeq: intOption(ctx, "before") };
      const client = await ctx.client();
      const page = await fetchPages(ctx, req, (p) => client.history.list({ ...filter, ...p }));
      // --all gathers pages newest first; each page is oldest first within itself.
      const items = ctx.options.all === true ? [...page.items].sort((a, b) => a.seq - b.seq) : page.items;
      emit(ctx.out, { ...page, items }, () =>
        formatTable<HistoryEntry>(items, [
          { header: "seq", value: (e) => e.seq },
          { header: "at", value: (e) => e.createdAt },
          { header: "exit", value: (e) => e.exitCode },
          { header: "command", value: (e) => e.command },
        ]) + moreLine(page.nextCursor));
    },
  },
  {
    words: ["history", "add"],
    usage: "agentstate history add <command> [--cwd DIR] [--exit CODE] [--session ID] [--json]",
    summary: "Append one command to the shell history (- reads it from stdin; the host is this one's).",
    options: { cwd: { type: "string" }, exit: { type: "string" }, session: { type: "string" } },
    maxArgs: 1,
    async run(ctx) {
      const given = ctx.args[0];
      const command = given === "-" ? (await readStdin()).replace(/\n$/, "") : given;
      if (command === undefined || command === "") throw new UsageError("missing <command>");
      const exit = stringOption(ctx, "exit");
      const exitCode = exit === undefined ? undefined : Number(exit);
      if (exitCode !== undefined && !Number.isInteger(exitCode)) throw new UsageError(`--exit must be an integer; got ${JSON.stringify(exit)}`);
      const client = await ctx.client();
      const r = await client.history.append({
        entries: [{ command, host: hostname(), cwd: stringOption(ctx, "cwd") ?? process.cwd(), exitCode, sessionId: stringOption(ctx, "session") }],
      });
      emit(ctx.out, r, () => `history entry ${r.firstSeq}\n`);
    },
  },
];
