/** plans list|show|save|edit. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PlanSave, PlanStatus, PlanSummary } from "../../../domain/plans.js";
import { PLAN_STATUSES, PLAN_URI_PREFIX } from "../../../domain/plans.js";
import { UsageError, requireArg, type CliContext, type Command } from "../context.js";
import { emit, escapeControls, formatTable, moreLine } from "../output.js";
import { fetchPages, PAGE_OPTIONS, pageRequest } from "../paging.js";
import { readStdin, stringOption } from "./input.js";

function statusOption(v: unknown): PlanStatus | undefined {
  if (v === undefined) return undefined;
  if ((PLAN_STATUSES as readonly unknown[]).includes(v)) return v as PlanStatus;
  throw new UsageError(`--status must be one of ${PLAN_STATUSES.join(", ")}; got ${JSON.stringify(v)}`);
}

const planRef = (ref: string) => (ref.startsWith(PLAN_URI_PREFIX) ? { uri: ref } : { id: ref });

/** The body from --body TEXT, --body-file FILE or --body-file - (stdin); undefined keeps the stored one. */
async function bodyOption(ctx: CliContext): Promise<string | undefined> {
  const text = stringOption(ctx, "body");
  const file = stringOption(ctx, "body-file");
  if (text !== undefined && file !== undefined) throw new UsageError("give --body or --body-file, not both");
  if (file === "-") return readStdin();
  if (file !== undefined) {
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      throw new UsageError(`--body-file: ${(err as Error).message}`);
    }
  }
  return text;
}

/** Runs $VISUAL/$EDITOR (else vi) on the text and returns what was saved. */
function editText(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "agentstate-plan-"));
  const file = join(dir, "plan.md");
  try {
    writeFileSync(file, text, { mode: 0o600 });
    const editor = process.env.VISUAL || process.env.EDITOR || "vi";
    // Through the shell, as git does: EDITOR may carry arguments ("code --wait").
    const r = spawnSync("/bin/sh", ["-c", `${editor} "$1"`, "editor", file], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`the editor (${editor}) exited with ${r.status ?? r.signal}; nothing saved`);
    return readFileSync(file, "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const plansCommands: Command[] = [
  {
    words: ["plans", "list"],
    usage: "agentstate plans list [--session ID] [--status draft|pending|approved|rejected] [--limit N] [--cursor C] [--all] [--json]",
    summary: "Plans, newest first.",
    options: { session: { type: "string" }, status: { type: "string" }, ...PAGE_OPTIONS },
    async run(ctx) {
      const status = statusOption(ctx.options.status);
      const req = pageRequest(ctx);
      const client = await ctx.client();
      const page = await fetchPages(ctx, req, (p) => client.plans.list({ sessionId: stringOption(ctx, "session"), status, ...p }));
      emit(ctx.out, page, () =>
        formatTable<PlanSummary>(page.items, [
          { header: "id", value: (p) => p.id },
          { header: "status", value: (p) => p.status },
          { header: "title", value: (p) => p.title, max: 50 },
          { header: "session", value: (p) => p.sessionId },
          { header: "created", value: (p) => p.createdAt },
        ]) + moreLine(page.nextCursor));
    },
  },
  {
    words: ["plans", "show"],
    usage: "agentstate plans show <id|agentstate://plans/ID> [--json]",
    summary: "A plan's Markdown body as written, control characters escaped (--json: the whole record, exact).",
    async run(ctx) {
      const client = await ctx.client();
      const plan = await client.plans.get(planRef(requireArg(ctx, 0, "id|uri")));
      emit(ctx.out, plan, () => {
        const body = escapeControls(plan.body, true);
        return body === "" || body.endsWith("\n") ? body : body + "\n";
      });
    },
  },
  {
    words: ["plans", "save"],
    usage: "agentstate plans save [--id ID] [--title T] [--status S] [--session ID] [--body TEXT | --body-file FILE|-] [--json]",
    summary: "Create a plan (a title is needed), or change the given fields of plan --id.",
    options: {
      id: { type: "string" }, title: { type: "string" }, status: { type: "string" }, session: { type: "string" },
      body: { type: "string" }, "body-file": { type: "string" },
    },
    async run(ctx) {
      const status = statusOption(ctx.options.status);
      const body = await bodyOption(ctx);
      const p: PlanSave = {};
      const id = stringOption(ctx, "id");
      const title = stringOption(ctx, "title");
      const session = stringOption(ctx, "session");
      if (id !== undefined) p.id = id;
      if (title !== undefined) p.title = title;
      if (status !== undefined) p.status = status;
      if (session !== undefined) p.sessionId = session;
      if (body !== undefined) p.body = body;
      const client = await ctx.client();
      const plan = await client.plans.save(p);
      emit(ctx.out, plan, () => `saved plan ${plan.id} (${plan.status}) ${plan.uri}\n`);
    },
  },
  {
    words: ["plans", "edit"],
    usage: "agentstate plans edit <id|agentstate://plans/ID> [--json]",
    summary: "Edit a plan's body in $VISUAL or $EDITOR; saved only if changed, and refused if the plan changed meanwhile.",
    async run(ctx) {
      const client = await ctx.client();
      const plan = await client.plans.get(planRef(requireArg(ctx, 0, "id|uri")));
      const body = editText(plan.body);
      if (body === plan.body) {
        ctx.out.err(`agentstate: plan ${plan.id} unchanged\n`);
        return 0;
      }
      const saved = await client.plans.save({ id: plan.id, expectedVersion: plan.version, body });
      emit(ctx.out, saved, () => `saved plan ${saved.id} (version ${saved.version})\n`);
      return 0;
    },
  },
];
