/** jobs add|list|show|rm|enable|disable|trigger (runs: runs.ts). */
import { MISFIRE, type Action, type Job, type Misfire } from "../../../domain/jobs.js";
import type { Client } from "../../index.js";
import type { CliContext } from "../context.js";
import { intOption, requireArg, UsageError, type Command } from "../context.js";
import { parseTimeIn } from "../local-time.js";
import { emit, formatFields, formatTable, moreLine } from "../output.js";
import { fetchPages, PAGE_OPTIONS, pageRequest } from "../paging.js";

const scheduleText = (j: Job): string => ("cron" in j.schedule ? j.schedule.cron : `at ${j.schedule.at}`);

const str = (ctx: CliContext, name: string): string | undefined => {
  const v = ctx.options[name];
  return typeof v === "string" ? v : undefined;
};

type SaveParams = Parameters<Client["jobs"]["save"]>[0];

/** jobs.save params from `jobs add` flags (the daemon validates the schedule and zone). */
function saveParams(ctx: CliContext): SaveParams {
  const kinds = (["cron", "every", "at"] as const).filter((k) => str(ctx, k) !== undefined);
  if (kinds.length !== 1) throw new UsageError("give exactly one of --cron EXPR, --every DURATION or --at TIME");
  const schedule =
    kinds[0] === "cron" ? { cron: str(ctx, "cron") as string } :
    kinds[0] === "every" ? { cron: `@every ${str(ctx, "every") as string}` } :
    { at: parseTimeIn(str(ctx, "at") as string, zone(ctx), "at") };
  const p: SaveParams = { schedule };
  const id = str(ctx, "id");
  if (id !== undefined) p.id = id;
  for (const key of ["name", "description"] as const) {
    const v = str(ctx, key);
    if (v !== undefined) p[key] = v;
  }
  const tz = str(ctx, "tz");
  if (tz !== undefined) p.timezone = tz;
  const anchor = str(ctx, "anchor");
  if (anchor !== undefined) p.anchorAt = parseTimeIn(anchor, zone(ctx), "anchor");
  const payload = str(ctx, "payload");
  if (payload !== undefined) {
    try {
      p.payload = JSON.parse(payload);
    } catch {
      throw new UsageError("--payload must be JSON, e.g. '{\"prompt\":\"hello\"}'");
    }
  }
  const misfire = str(ctx, "misfire");
  if (misfire !== undefined) {
    if (!MISFIRE.includes(misfire as Misfire)) throw new UsageError(`--misfire must be one of ${MISFIRE.join(", ")}`);
    p.misfire = misfire as Misfire;
  }
  if (ctx.options.overlap === true) p.noOverlap = false;
  if (ctx.options["delete-after-run"] === true) p.deleteAfterRun = true;
  if (ctx.options.disabled === true) p.enabled = false;
  p.action = action(ctx);
  return p;
}

/** The zone local --at/--anchor times are read in: --tz, else the default the daemon gives a job saved without one. */
const zone = (ctx: CliContext): string => str(ctx, "tz") ?? ctx.config.timezone;

/** Options that only mean something with --exec: given without it, they would be dropped silently. */
const EXEC_ONLY = ["cwd", "timeout", "env"] as const;

function action(ctx: CliContext): Action {
  if (ctx.options.exec !== true) {
    const stray = EXEC_ONLY.find((o) => ctx.options[o] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} belongs to an exec job: add --exec -- PROGRAM [ARG...]`);
    if (ctx.args.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(ctx.args[0])} (the program of an exec job follows --exec --)`);
    return { type: "event" };
  }
  if (ctx.args.length === 0) throw new UsageError("--exec needs the program and its arguments after --, e.g. --exec -- /usr/bin/backup --quick");
  const exec: Action = { type: "exec", argv: [...ctx.args] };
  const cwd = str(ctx, "cwd");
  if (cwd !== undefined) exec.cwd = cwd;
  const timeout = intOption(ctx, "timeout");
  if (timeout !== undefined) exec.timeoutMs = timeout;
  const env = ctx.options.env;
  if (Array.isArray(env)) {
    exec.env = {};
    for (const pair of env.map(String)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new UsageError(`--env takes NAME=VALUE; got ${JSON.stringify(pair)}`);
      exec.env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return exec;
}

/** Said (to a person: not with --json) whenever an event job is saved or triggered: its runs wait for a worker that may not exist. */
export const EVENT_JOB_NOTE =
  "note: an event job's runs wait as pending until a worker claims them (client.runs.claim, or 'agentstate runs claim --job ID -- PROGRAM');\n" +
  "      with noOverlap (the default) later slots are skipped while one waits. For a program the daemon runs itself, use --exec -- PROGRAM.\n";

/** Re-saves a job with enabled set, keeping every other field (expectedVersion guards a concurrent edit). */
async function setEnabled(ctx: CliContext, enabled: boolean): Promise<void> {
  const id = requireArg(ctx, 0, "id");
  const client = await ctx.client();
  const j = await client.jobs.get({ id });
  const p: SaveParams = {
    id, expectedVersion: j.version, schedule: j.schedule, timezone: j.timezone, enabled, deleteAfterRun: j.deleteAfterRun,
    action: j.action, payload: j.payload, misfire: j.misfire, noOverlap: j.noOverlap,
  };
  if (j.name !== undefined) p.name = j.name;
  if (j.description !== undefined) p.description = j.description;
  if (j.anchorAt !== undefined) p.anchorAt = j.anchorAt;
  const saved = await client.jobs.save(p);
  emit(ctx.out, saved, () => `${enabled ? "enabled" : "disabled"} job ${id}${saved.nextRunAt ? `; next run ${saved.nextRunAt}` : ""}\n`);
}

export const jobsCommands: Command[] = [
  {
    words: ["jobs", "add"],
    usage:
      "agentstate jobs add (--cron EXPR | --every DURATION | --at TIME) [--id ID] [--name N] [--description D] [--tz ZONE] " +
      "[--anchor TIME] [--payload JSON] [--misfire skip|once|all] [--overlap] [--delete-after-run] [--disabled] " +
      "[--exec [--cwd DIR] [--timeout MS] [--env NAME=VALUE]... -- PROGRAM [ARG...]] [--json]",
    summary: "Create (or replace, with --id) a scheduled job; an event job unless --exec names a program.",
    options: {
      id: { type: "string" }, name: { type: "string" }, description: { type: "string" },
      cron: { type: "string" }, every: { type: "string" }, at: { type: "string" }, tz: { type: "string" }, anchor: { type: "string" },
      payload: { type: "string" }, misfire: { type: "string" }, overlap: { type: "boolean" },
      "delete-after-run": { type: "boolean" }, disabled: { type: "boolean" },
      exec: { type: "boolean" }, cwd: { type: "string" }, timeout: { type: "string" }, env: { type: "string", multiple: true },
    },
    maxArgs: Infinity,
    async run(ctx) {
      const params = saveParams(ctx);
      const client = await ctx.client();
      const j = await client.jobs.save(params);
      emit(ctx.out, j, () => `saved job ${j.id}${j.nextRunAt ? `; next run ${j.nextRunAt}` : ""}\n`);
      if (j.action.type === "event" && !ctx.out.json) ctx.out.err(EVENT_JOB_NOTE);
    },
  },
  {
    words: ["jobs", "list"],
    usage: "agentstate jobs list [--enabled | --disabled] [--limit N] [--cursor C] [--all] [--json]",
    summary: "Scheduled jobs in id order, with their next and last runs.",
    options: { enabled: { type: "boolean" }, disabled: { type: "boolean" }, ...PAGE_OPTIONS },
    async run(ctx) {
      if (ctx.options.enabled && ctx.options.disabled) throw new UsageError("--enabled and --disabled exclude each other");
      const enabled = ctx.options.enabled ? true : ctx.options.disabled ? false : undefined;
      const req = pageRequest(ctx);
      const client = await ctx.client();
      const page = await fetchPages(ctx, req, (p) => client.jobs.list({ enabled, ...p }));
      emit(ctx.out, page, () =>
        formatTable<Job>(page.items, [
          { header: "id", value: (j) => j.id },
          { header: "name", value: (j) => j.name, max: 30 },
          { header: "schedule", value: scheduleText, max: 40 },
          { header: "zone", value: (j) => j.timezone },
          { header: "on", value: (j) => (j.enabled ? "yes" : "no") },
          { header: "next", value: (j) => j.nextRunAt },
          { header: "last", value: (j) => (j.lastRunAt ? `${j.lastRunAt} ${j.lastStatus ?? ""}` : "") },
        ]) + moreLine(page.nextCursor));
    },
  },
  {
    words: ["jobs", "show"],
    usage: "agentstate jobs show <id> [--json]",
    summary: "One job's fields.",
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const client = await ctx.client();
      const j = await client.jobs.get({ id });
      emit(ctx.out, j, () => formatFields(j));
    },
  },
  {
    words: ["jobs", "enable"],
    usage: "agentstate jobs enable <id> [--json]",
    summary: "Enable a job; its next run is computed from now.",
    run: (ctx) => setEnabled(ctx, true),
  },
  {
    words: ["jobs", "disable"],
    usage: "agentstate jobs disable <id> [--json]",
    summary: "Disable a job: no slots fire (and none count as missed) until it is enabled.",
    run: (ctx) => setEnabled(ctx, false),
  },
  {
    words: ["jobs", "trigger"],
    usage: "agentstate jobs trigger <id> [--json]",
    summary: "A run now, outside the schedule (skipped when noOverlap and a run is unfinished).",
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const client = await ctx.client();
      const r = await client.jobs.trigger({ id });
      emit(ctx.out, r, () => `run ${r.id} of job ${id}: ${r.status}\n`);
      if (!ctx.out.json && r.status === "pending" && (await client.jobs.get({ id })).action.type === "event") ctx.out.err(EVENT_JOB_NOTE);
    },
  },
  {
    words: ["jobs", "rm"],
    usage: "agentstate jobs rm <id>",
    summary: "Delete a job and its run history.",
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const client = await ctx.client();
      const result = await client.jobs.delete({ id });
      emit(ctx.out, result, () => `deleted job ${id}\n`);
    },
  },
];
