/** sessions list|show|delete, messages tail. */
import type { Message, Session } from "../../../domain/conversations.js";
import { intOption, requireArg, type Command } from "../context.js";
import { emit, formatTable } from "../output.js";

const preview = (m: Message): string => {
  const c = (m as { content?: unknown }).content;
  return typeof c === "string" ? c : c === undefined ? "" : JSON.stringify(c);
};

export const conversationCommands: Command[] = [
  {
    words: ["sessions", "list"],
    usage: "agentstate sessions list [--group ID] [--tag TAG] [--limit N] [--json]",
    summary: "Sessions, most recently updated first.",
    options: { group: { type: "string" }, tag: { type: "string" }, limit: { type: "string" } },
    async run(ctx) {
      const client = await ctx.client();
      const page = await client.sessions.list({
        groupId: ctx.options.group as string | undefined,
        tag: ctx.options.tag as string | undefined,
        limit: intOption(ctx, "limit"),
      });
      emit(ctx.out, page, () =>
        formatTable<Session>(page.items, [
          { header: "id", value: (s) => s.id },
          { header: "title", value: (s) => s.title, max: 40 },
          { header: "messages", value: (s) => s.messageCount },
          { header: "updated", value: (s) => s.updatedAt },
          { header: "tags", value: (s) => s.tags.join(",") },
        ]));
    },
  },
  {
    words: ["sessions", "show"],
    usage: "agentstate sessions show <id> [--json]",
    summary: "One session's fields.",
    async run(ctx) {
      const client = await ctx.client();
      const s = await client.sessions.get({ id: requireArg(ctx, 0, "id") });
      emit(ctx.out, s, () =>
        Object.entries(s).map(([k, v]) => `${k.padEnd(19)} ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n") + "\n");
    },
  },
  {
    words: ["sessions", "delete"],
    usage: "agentstate sessions delete <id>",
    summary: "Delete a session and its messages.",
    async run(ctx) {
      const client = await ctx.client();
      const id = requireArg(ctx, 0, "id");
      const result = await client.sessions.delete({ id });
      emit(ctx.out, result, () => `deleted session ${id}\n`);
    },
  },
  {
    words: ["messages", "tail"],
    usage: "agentstate messages tail <sessionId> [-n N] [--json]",
    summary: "The last N visible messages of a session (default 20).",
    options: { n: { type: "string", short: "n" } },
    async run(ctx) {
      const client = await ctx.client();
      const page = await client.messages.list({ sessionId: requireArg(ctx, 0, "sessionId"), tail: intOption(ctx, "n") ?? 20 });
      emit(ctx.out, page.items, () =>
        formatTable<Message>(page.items, [
          { header: "seq", value: (m) => m.seq },
          { header: "role", value: (m) => m.role },
          { header: "at", value: (m) => m.createdAt },
          { header: "content", value: preview, max: 100 },
        ]));
    },
  },
];
