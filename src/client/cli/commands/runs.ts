/**
 * runs list|show|claim|finish|cancel. A claim lives as long as the connection that made it (SPEC
 * §3.3), so the CLI never leaves one behind: `runs claim` runs a program while it holds the claim
 * and finishes the run by its exit code; `finish` and `cancel` claim a pending run and finish it on
 * the same connection. There is no "cancelled" status: a cancelled run is failed with the reason.
 */
import { spawn } from "node:child_process";
import { hostname, userInfo } from "node:os";
import { RUN_STATUSES, type Run, type RunStatus } from "../../../domain/jobs.js";
import type { Client } from "../../index.js";
import { requireArg, UsageError, type CliContext, type Command } from "../context.js";
import { emit, escapeControls, formatFields, formatTable, moreLine } from "../output.js";
import { fetchPages, PAGE_OPTIONS, pageRequest } from "../paging.js";
import { jsonOption, stringOption } from "./input.js";

/** What the daemon keeps of an exec run's output; the CLI worker keeps the same. */
const OUTPUT_BYTES = 64 * 1024;

const statusOption = (v: unknown): RunStatus | undefined => {
  if (v === undefined) return undefined;
  if (!RUN_STATUSES.includes(v as RunStatus)) throw new UsageError(`--status must be one of ${RUN_STATUSES.join(", ")}; got ${JSON.stringify(v)}`);
  return v as RunStatus;
};

const defaultWorker = (): string => `cli:${userInfo().username}@${hostname()}:${process.pid}`;
const worker = (ctx: CliContext): string => stringOption(ctx, "worker") ?? defaultWorker();

/** A run's fields, then its output: exec output (stdout/stderr) as text, other output as JSON. */
export function renderRun(r: Run): string {
  const { output, ...fields } = r;
  let text = formatFields(fields);
  if (output === undefined) return text;
  const o: Record<string, unknown> | undefined = output !== null && typeof output === "object" && !Array.isArray(output) ? (output as Record<string, unknown>) : undefined;
  if (o !== undefined && (typeof o.stdout === "string" || typeof o.stderr === "string")) {
    const { stdout, stderr, ...rest } = o;
    text += formatFields({ output: Object.keys(rest).length > 0 ? rest : undefined });
    for (const [name, body] of [["stdout", stdout], ["stderr", stderr]] as const) {
      if (typeof body !== "string" || body === "") continue;
      const shown = escapeControls(body, true);
      text += `--- ${name}${o.truncated === true ? " (truncated)" : ""} ---\n${shown}${shown.endsWith("\n") ? "" : "\n"}`;
    }
    return text;
  }
  if (typeof output === "string") {
    const shown = escapeControls(output, true);
    return text + `--- output ---\n${shown}${shown.endsWith("\n") ? "" : "\n"}`;
  }
  return text + `--- output ---\n${escapeControls(JSON.stringify(output, null, 2), true)}\n`;
}

/** The run claimed for `who` on this connection: a pending one is claimed now, a claimed one is taken over. */
async function takeRun(client: Client, runId: string, who: string): Promise<{ run: Run; worker?: string }> {
  const run = await client.runs.get({ id: runId });
  if (run.status === "claimed") return { run };
  if (run.status !== "pending") throw new UsageError(`run ${runId} is ${run.status}; only a pending or claimed run can be finished`);
  const claimed = await client.runs.claim({ runId, worker: who });
  if (!claimed) throw new UsageError(`run ${runId} was taken by another worker just now; try again`);
  return { run: claimed, worker: who };
}

interface ProgramResult {
  status: "succeeded" | "failed";
  error?: string;
  output: { exitCode: number | null; signal: string | null; stdout: string; stderr: string; truncated: boolean; durationMs: number };
}

/** Runs the program with the run's JSON on stdin, teeing its output to ours and keeping the first 64 KiB. */
function runProgram(ctx: CliContext, argv: string[], run: Run, payload: unknown): Promise<ProgramResult> {
  const started = Date.now();
  const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let bytes = 0;
  let truncated = false;
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, AGENTSTATE_RUN_ID: run.id, AGENTSTATE_JOB_ID: run.jobId },
    });
    const keep = (name: "stdout" | "stderr", show: (t: string) => void) => (chunk: Buffer) => {
      show(chunk.toString("utf8"));
      const room = OUTPUT_BYTES - bytes;
      if (chunk.length > room) truncated = true;
      if (room > 0) kept[name].push(chunk.subarray(0, room));
      bytes += Math.min(room, chunk.length);
    };
    child.stdout.on("data", keep("stdout", ctx.out.out));
    child.stderr.on("data", keep("stderr", ctx.out.err));
    child.stdin.on("error", () => undefined); // a program that does not read its stdin
    child.stdin.end(JSON.stringify({ run, payload }) + "\n");
    const output = (exitCode: number | null, signal: string | null) => ({
      exitCode, signal, truncated, durationMs: Date.now() - started,
      stdout: Buffer.concat(kept.stdout).toString("utf8"), stderr: Buffer.concat(kept.stderr).toString("utf8"),
    });
    child.once("error", (err) => resolve({ status: "failed", error: `cannot start ${JSON.stringify(argv[0])}: ${err.message}`, output: output(null, null) }));
    child.once("close", (code, signal) => {
      if (code === 0) resolve({ status: "succeeded", output: output(code, signal) });
      else resolve({ status: "failed", error: code === null ? `killed by ${signal}` : `exited with code ${code}`, output: output(code, signal) });
    });
  });
}

export const runsCommands: Command[] = [
  {
    words: ["runs", "list"],
    usage: "agentstate runs list [--job ID] [--status S] [--limit N] [--cursor C] [--all] [--json]",
    summary: "Runs, newest first; filter by job and status.",
    options: { job: { type: "string" }, status: { type: "string" }, ...PAGE_OPTIONS },
    async run(ctx) {
      const status = statusOption(ctx.options.status);
      const req = pageRequest(ctx);
      const client = await ctx.client();
      const page = await fetchPages(ctx, req, (p) => client.runs.list({ jobId: stringOption(ctx, "job"), status, ...p }));
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
        ]) + moreLine(page.nextCursor));
    },
  },
  {
    words: ["runs", "show"],
    usage: "agentstate runs show <id> [--json]",
    summary: "One run's fields, with its output (an exec run's stdout and stderr as text).",
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const client = await ctx.client();
      const r = await client.runs.get({ id });
      emit(ctx.out, r, () => renderRun(r));
    },
  },
  {
    words: ["runs", "claim"],
    usage: "agentstate runs claim [--run ID | --job ID] [--worker NAME] [--json] -- PROGRAM [ARG...]",
    summary: "Work one pending event run: claim it, run PROGRAM (the run's JSON on stdin), finish it by the exit code.",
    details:
      "Without --run or --job, the oldest pending event run of any job. Exits 0 when the program succeeded,\n" +
      "1 when it failed, and 0 with a note on stderr when no run was pending. The claim is held while the program runs; if this\n" +
      "command dies, the daemon puts the run back to pending.\n" +
      "Example (cron): agentstate runs claim --job nightly -- ./nightly.sh",
    options: { run: { type: "string" }, job: { type: "string" }, worker: { type: "string" } },
    maxArgs: Infinity,
    async run(ctx) {
      if (ctx.args.length === 0) throw new UsageError("give the program to run after --, e.g. agentstate runs claim --job nightly -- ./nightly.sh");
      const runId = stringOption(ctx, "run");
      const jobId = stringOption(ctx, "job");
      if (runId !== undefined && jobId !== undefined) throw new UsageError("--run and --job exclude each other");
      const client = await ctx.client();
      const who = worker(ctx);
      const run = await client.runs.claim({ worker: who, ...(runId ? { runId } : {}), ...(jobId ? { jobId } : {}) });
      if (!run) {
        ctx.out.err("agentstate: no pending run to claim\n");
        return 0;
      }
      const job = await client.jobs.get({ id: run.jobId }).catch(() => undefined);
      const result = await runProgram(ctx, ctx.args, run, job?.payload);
      const finished = await client.runs.finish({ runId: run.id, worker: who, status: result.status, output: result.output, ...(result.error ? { error: result.error } : {}) });
      if (ctx.out.json) emit(ctx.out, finished, () => "");
      else ctx.out.err(`agentstate: run ${finished.id} of job ${finished.jobId}: ${finished.status}${finished.error ? ` (${escapeControls(finished.error)})` : ""}\n`);
      return finished.status === "succeeded" ? 0 : 1;
    },
  },
  {
    words: ["runs", "finish"],
    usage: "agentstate runs finish <id> <succeeded|failed> [--error TEXT] [--output JSON] [--worker NAME] [--json]",
    summary: "Record a run's outcome by hand (a pending run is claimed first; a claimed one is taken over).",
    options: { error: { type: "string" }, output: { type: "string" }, worker: { type: "string" } },
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const status = requireArg(ctx, 1, "succeeded|failed");
      if (status !== "succeeded" && status !== "failed") throw new UsageError(`the outcome must be succeeded or failed; got ${JSON.stringify(status)}`);
      const output = jsonOption(ctx, "output");
      const error = stringOption(ctx, "error");
      const client = await ctx.client();
      const taken = await takeRun(client, id, worker(ctx));
      const r = await client.runs.finish({
        runId: id, status, ...(taken.worker ? { worker: taken.worker } : {}), ...(error !== undefined ? { error } : {}), ...(output !== undefined ? { output } : {}),
      });
      emit(ctx.out, r, () => `run ${r.id} of job ${r.jobId}: ${r.status}\n`);
    },
  },
  {
    words: ["runs", "cancel"],
    usage: "agentstate runs cancel <id> [--reason TEXT] [--worker NAME] [--json]",
    summary: "Give up a pending or claimed run: it is finished as failed with \"cancelled\" and the reason, freeing the job's next slot.",
    options: { reason: { type: "string" }, worker: { type: "string" } },
    async run(ctx) {
      const id = requireArg(ctx, 0, "id");
      const reason = stringOption(ctx, "reason");
      const client = await ctx.client();
      const taken = await takeRun(client, id, worker(ctx));
      const r = await client.runs.finish({
        runId: id, status: "failed", error: reason ? `cancelled: ${reason}` : "cancelled", ...(taken.worker ? { worker: taken.worker } : {}),
      });
      emit(ctx.out, r, () => `cancelled run ${r.id} of job ${r.jobId}\n`);
    },
  },
];
