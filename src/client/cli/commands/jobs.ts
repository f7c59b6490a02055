/** jobs list|show|rm, runs list. */
import { RUN_STATUSES, type Job, type Run, type RunStatus } from "../../../domain/jobs.js";
import { intOption, requireArg, UsageError, type Command } from "../context.js";
import { emit, formatTable } from "../output.js";

const scheduleText = (j: Job): string => ("cron" in j.schedule ? j.schedule.cron : `at ${j.schedule.at}`);

const statusOption = (v: unknown): RunStatus | undefined => {
  if (v === undefined) return undefined;
  if (!RUN_STATUSES.includes(v as RunStatus)) throw new UsageError(`--status must be one of ${RUN_STATUSES.join(", ")}; got ${JSON.stringify(v)}`);
  return v as RunStatus;
};

export const jobsCommands: Command[] = [
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
      emit(ctx.out, j, () =>
        Object.entries(j).map(([k, v]) => `${k.padEnd(15)} ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n") + "\n");
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
];
