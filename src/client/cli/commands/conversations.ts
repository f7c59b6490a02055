/** sessions list|show|create|truncate|fork|delete, messages tail|list|append. */
import type { Message, MessageInput, Session } from "../../../domain/conversations.js";
import { intOption, requireArg, UsageError, type CliContext, type Command } from "../context.js";
import { emit, formatFields, formatTable, moreLine, type Column } from "../output.js";
import { fetchPages, MAX_PAGE, PAGE_OPTIONS, pageRequest } from "../paging.js";
import { jsonOption, readStdin, stringOption } from "./input.js";

const preview = (m: Message): string => {
  const c = (m as { content?: unknown }).content;
  return typeof c === "string" ? c : c === undefined ? "" : JSON.stringify(c);
};

const MESSAGE_COLUMNS: Column<Message>[] = [
  { header: "seq", value: (m) => m.seq },
  { header: "role", value: (m) => m.role },
  { header: "at", value: (m) => m.createdAt },
  { header: "content", value: preview, max: 100 },
];

const showSession = (ctx: CliContext, s: Session) => emit(ctx.out, s, () => formatFields(s, 19));

/** The last `n` visible messages: one `tail` call up to a page, else every page forward keeping the last n. */
async function lastMessages(ctx: CliContext, sessionId: string, n: number): Promise<Message[]> {
  const client = await ctx.client();
  if (n <= MAX_PAGE) return (await client.messages.list({ sessionId, tail: n })).items;
  const kept: Message[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.messages.list({ sessionId, limit: MAX_PAGE, ...(cursor ? { cursor } : {}) });
    kept.push(...page.items);
    if (kept.length > n) kept.splice(0, kept.length - n);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return kept;
}

/** The messages to append: --message JSON (an object or an array of them), else TEXT or `-` (stdin) as --role's content. */
async function messagesToAppend(ctx: CliContext): Promise<MessageInput[]> {
  const given = jsonOption(ctx, "message");
  const text = ctx.args[1];
  if (given !== undefined) {
    if (text !== undefined) throw new UsageError("give either --message JSON or TEXT, not both");
    const list = Array.isArray(given) ? given : [given];
    for (const m of list) {
      if (typeof m !== "object" || m === null || typeof (m as { role?: unknown }).role !== "string") {
        throw new UsageError('--message takes a JSON object with a string "role" (or an array of them)');
      }
    }
    return list as MessageInput[];
  }
  if (text === undefined) throw new UsageError("missing the message: give TEXT, - to read it from stdin, or --message JSON");
  const content = text === "-" ? await readStdin() : text;
  return [{ role: stringOption(ctx, "role") ?? "user", content }];
}

export const conversationCommands: Command[] = [
  {
    words: ["sessions", "list"],
    usage: "agentstate sessions list [--group ID] [--tag TAG] [--limit N] [--cursor C] [--all] [--json]",
    summary: "Sessions, most recently updated first.",
    options: { group: { type: "string" }, tag: { type: "string" }, ...PAGE_OPTIONS },
    async run(ctx) {
      const req = pageRequest(ctx);
      const client = await ctx.client();
      const filter = { groupId: stringOption(ctx, "group"), tag: stringOption(ctx, "tag") };
      const page = await fetchPages(ctx, req, (p) => client.sessions.list({ ...filter, ...p }));
      emit(ctx.out, page, () =>
        formatTable<Session>(page.items, [
          { header: "id", value: (s) => s.id },
          { header: "title", value: (s) => s.title, max: 40 },
          { header: "messages", value: (s) => s.messageCount },
          { header: "updated", value: (s) => s.updatedAt },
          { header: "tags", value: (s) => s.tags.join(",") },
        ]) + moreLine(page.nextCursor));
    },
  },
  {
    words: ["sessions", "show"],
    usage: "agentstate sessions show <id> [--json]",
    summary: "One session's fields.",
    async run(ctx) {
      const client = await ctx.client();
      showSession(ctx, await client.sessions.get({ id: requireArg(ctx, 0, "id") }));
    },
  },
  {
    words: ["sessions", "create"],
    usage: "agentstate sessions create [--id ID] [--title T] [--group ID] [--model M] [--tag TAG]... [--metadata JSON] [--json]",
    summary: "Create a session (the id is generated unless given).",
    options: {
      id: { type: "string" }, title: { type: "string" }, group: { type: "string" }, model: { type: "string" },
      tag: { type: "string", multiple: true }, metadata: { type: "string" },
    },
    async run(ctx) {
      const metadata = jsonOption(ctx, "metadata");
      if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) throw new UsageError("--metadata takes a JSON object");
      const tags = ctx.options.tag;
      const client = await ctx.client();
      const s = await client.sessions.create({
        id: stringOption(ctx, "id"), title: stringOption(ctx, "title"), groupId: stringOption(ctx, "group"), model: stringOption(ctx, "model"),
        ...(Array.isArray(tags) ? { tags: tags.map(String) } : {}),
        ...(metadata !== undefined ? { metadata: metadata as Record<string, unknown> } : {}),
      });
      emit(ctx.out, s, () => `created session ${s.id}\n`);
    },
  },
  {
    words: ["sessions", "truncate"],
    usage: "agentstate sessions truncate <id> --keep-last N [--json]",
    summary: "Hide all but the last N visible messages (they stay stored until compaction).",
    options: { "keep-last": { type: "string" } },
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const keepLast = intOption(ctx, "keep-last");
      if (keepLast === undefined) throw new UsageError("--keep-last N is required (0 hides every message)");
      const client = await ctx.client();
      const s = await client.sessions.truncate({ id, keepLast });
      emit(ctx.out, s, () => `session ${s.id}: ${s.messageCount} visible messages\n`);
    },
  },
  {
    words: ["sessions", "fork"],
    usage: "agentstate sessions fork <id> [--new-id ID] [--upto SEQ] [--title T] [--json]",
    summary: "A new session holding a copy of the visible history (up to --upto), renumbered from 1.",
    options: { "new-id": { type: "string" }, upto: { type: "string" }, title: { type: "string" } },
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const uptoSeq = intOption(ctx, "upto");
      const client = await ctx.client();
      const s = await client.sessions.fork({ id, newId: stringOption(ctx, "new-id"), uptoSeq, title: stringOption(ctx, "title") });
      emit(ctx.out, s, () => `forked ${id} into session ${s.id} (${s.messageCount} messages)\n`);
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
    summary: "The last N visible messages of a session (default 20; any N, fetched a page at a time).",
    options: { n: { type: "string", short: "n" } },
    async run(ctx) {
      const sessionId = requireArg(ctx, 0, "sessionId");
      const n = intOption(ctx, "n") ?? 20;
      if (n < 1) throw new UsageError("-n must be at least 1");
      const items = await lastMessages(ctx, sessionId, n);
      emit(ctx.out, items, () => formatTable<Message>(items, MESSAGE_COLUMNS));
    },
  },
  {
    words: ["messages", "list"],
    usage: "agentstate messages list <sessionId> [--after SEQ] [--hidden] [--limit N] [--cursor C] [--all] [--json]",
    summary: "Visible messages in seq order from the start (or after --after); --hidden adds truncated ones.",
    options: { after: { type: "string" }, hidden: { type: "boolean" }, ...PAGE_OPTIONS },
    async run(ctx) {
      const sessionId = requireArg(ctx, 0, "sessionId");
      const req = pageRequest(ctx);
      const afterSeq = intOption(ctx, "after");
      const client = await ctx.client();
      const page = await fetchPages(ctx, req, (p) =>
        client.messages.list({ sessionId, ...p, ...(p.cursor === undefined && afterSeq !== undefined ? { afterSeq } : {}), includeHidden: ctx.options.hidden === true || undefined }));
      emit(ctx.out, page, () => formatTable<Message>(page.items, MESSAGE_COLUMNS) + moreLine(page.nextCursor));
    },
  },
  {
    words: ["messages", "append"],
    usage: "agentstate messages append <sessionId> [TEXT | -] [--role ROLE] [--message JSON] [--create] [--json]",
    summary: "Append a message: TEXT (or stdin with -) as --role's content (default user), or whole messages with --message.",
    options: { role: { type: "string" }, message: { type: "string" }, create: { type: "boolean" } },
    maxArgs: 2,
    async run(ctx) {
      const sessionId = requireArg(ctx, 0, "sessionId");
      const messages = await messagesToAppend(ctx);
      const client = await ctx.client();
      const r = await client.messages.append({ sessionId, messages, ...(ctx.options.create === true ? { createSession: true } : {}) });
      emit(ctx.out, r, () => `appended to ${sessionId}: seq ${r.firstSeq === r.lastSeq ? r.firstSeq : `${r.firstSeq}–${r.lastSeq}`}\n`);
    },
  },
];
