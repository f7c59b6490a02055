/** jobs add|list|show|rm|enable|disable|trigger, runs list|show. */
import { MISFIRE, RUN_STATUSES, type Action, type Job, type Misfire, type Run, type RunStatus } from "../../../domain/jobs.js";
import type { Client } from "../../index.js";
import type { CliContext } from "../context.js";
import { intOption, requireArg, UsageError, type Command } from "../context.js";
import { emit, formatTable } from "../output.js";

const scheduleText = (j: Job): string => ("cron" in j.schedule ? j.schedule.cron : `at ${j.schedule.at}`);

const statusOption = (v: unknown): RunStatus | undefined => {
  if (v === undefined) return undefined;
  if (!RUN_STATUSES.includes(v as RunStatus)) throw new UsageError(`--status must be one of ${RUN_STATUSES.join(", ")}; got ${JSON.stringify(v)}`);
  return v as RunStatus;
};

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
    { at: atTime(str(ctx, "at") as string) };
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
  if (anchor !== undefined) p.anchorAt = atTime(anchor);
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

function atTime(text: string): string {
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`${JSON.stringify(text)} is not an ISO 8601 time (e.g. 2026-05-01T09:00:00Z)`);
  return new Date(t).toISOString();
}

function action(ctx: CliContext): Action {
  if (ctx.options.exec !== true) {
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

const showRecord = (r: Record<string, unknown>): string =>
  Object.entries(r).map(([k, v]) => `${k.padEnd(15)} ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n") + "\n";

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
    },
  },
  {
    words: ["jobs", "list"],
    usage: "agentstate jobs list [--enabled | --disabled] [--limit N] [--json]",
    summary: "Scheduled jobs in id order, with their next and last runs.",
    options: { enabled: { type: "boolean" }, disabled: { type: "boolean" }, limit: { type: "string" } },
    async run(ctx) {
      if (ctx.options.enabled && ctx.options.disabled) throw new UsageError("--enabled and --disabled exclude each other");
      const enabled = ctx.options.enabled ? true : ctx.options.disabled ? false : undefined;
      const limit = intOption(ctx, "limit");
      const client = await ctx.client();
      const page = await client.jobs.list({ enabled, limit });
      emit(ctx.out, page, () =>
        formatTable<Job>(page.items, [
          { header: "id", value: (j) => j.id },
          { header: "name", value: (j) => j.name, max: 30 },
          { header: "schedule", value: scheduleText, max: 40 },
          { header: "zone", value: (j) => j.timezone },
          { header: "on", value: (j) => (j.enabled ? "yes" : "no") },
          { header: "next", value: (j) => j.nextRunAt },
          { header: "last", value: (j) => (j.lastRunAt ? `${j.lastRunAt} ${j.lastStatus ?? ""}` : "") },
        ]));
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
      emit(ctx.out, j, () => showRecord(j));
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
  {
    words: ["runs", "list"],
    usage: "agentstate runs list [--job ID] [--status S] [--limit N] [--json]",
    summary: "Runs, newest first; filter by job and status.",
    options: { job: { type: "string" }, status: { type: "string" }, limit: { type: "string" } },
    async run(ctx) {
      const status = statusOption(ctx.options.status);
      const limit = intOption(ctx, "limit");
      const client = await ctx.client();
      const page = await client.runs.list({ jobId: ctx.options.job as string | undefined, status, limit });
      emit(ctx.out, page, () =>
        formatTable<Run>(page.items, [
          { header: "id", value: (r) => r.id },
          { header: "job", value: (r) => r.jobId, max: 30 },
          { header: "scheduled", value: (r) => r.scheduledFor },
          { header: "status", value: (r) => r.status },
          { header: "attempt", value: (r) => r.attempt },
          { header: "worker", value: (r) => r.claimedBy, max: 24 },
          { header: "finished", value: (r) => r.finishedAt },
          { header: "error", value: (r) => r.error, max: 60 },
        ]));
    },
  },
  {
    words: ["runs", "show"],
    usage: "agentstate runs show <id> [--json]",
    summary: "One run's fields, with its output.",
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const client = await ctx.client();
      const r = await client.runs.get({ id });
      emit(ctx.out, r, () => showRecord(r));
    },
  },
];
