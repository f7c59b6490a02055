/**
 * Exec actions: a pending run of an exec job is claimed by a daemon under its own worker name
 * (`agentstated:<origin>`), run, and finished with the exit code and output. The daemon that fires
 * a slot starts its run at once; runs made pending elsewhere (jobs.trigger, a released claim,
 * another daemon's firing it did not follow through) are picked up from the change feed and by
 * the periodic sweep. The claim decides who runs it, so each run executes once.
 */
import type { JobStore } from "../../backends/contract.js";
import { isNotFound } from "../../domain/errors.js";
import type { Job, Run } from "../../domain/jobs.js";
import type { Logger } from "../logger.js";
import { runExec, type ExecHandle, type ExecOptions } from "./exec.js";
import type { SchedulerStats } from "./health.js";

/** Exec runs are claimed by the daemon itself, under this worker name. */
export const EXEC_WORKER_PREFIX = "agentstated:";
export const execWorker = (origin: string): string => `${EXEC_WORKER_PREFIX}${origin}`;

export class Executor {
  /** runId → the program running it (undefined while its claim is in flight). */
  private readonly running = new Map<string, ExecHandle | undefined>();
  private readonly tasks = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly store: JobStore,
    private readonly worker: string,
    private readonly opts: ExecOptions & { maxAttempts: number; leaseMs: number },
    private readonly stats: SchedulerStats,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.running.size;
  }

  /** Runs this daemon has claimed to execute (their leases are renewed while they run). */
  heldRuns(): string[] {
    return [...this.running.keys()];
  }

  /** Claims and runs `runId` of `job` if it is an exec job and nobody has it yet. */
  start(runId: string, job: Job): void {
    if (this.stopping || job.action.type !== "exec" || this.running.has(runId)) return;
    this.running.set(runId, undefined);
    const task = this.execute(runId, job)
      .catch((err: unknown) => void this.logger.error("exec run failed to complete", { runId, jobId: job.id, error: String(err) }))
      .finally(() => {
        this.running.delete(runId);
        this.tasks.delete(task);
      });
    this.tasks.add(task);
  }

  /** As start(), for a run known only by ids (from the change feed). */
  consider(runId: string, jobId: string): void {
    if (this.stopping || this.running.has(runId)) return;
    const task = this.store
      .getJob(jobId)
      .then((job) => this.start(runId, job))
      .catch((err: unknown) => {
        if (!isNotFound(err)) this.logger.warn("cannot read the job of a fired run", { runId, jobId, error: String(err) });
      })
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }

  /** Pending runs of exec jobs that nobody took (a daemon died between firing and claiming). */
  async sweep(): Promise<void> {
    const page = await this.store.listRuns({ status: "pending", limit: 1000 });
    const jobs = new Map<string, Job | null>();
    for (const run of page.items) {
      if (!jobs.has(run.jobId)) jobs.set(run.jobId, await this.store.getJob(run.jobId).catch(() => null));
      const job = jobs.get(run.jobId);
      if (job) this.start(run.id, job);
    }
  }

  private async execute(runId: string, job: Job): Promise<void> {
    const run = await this.store.claimRun({ runId, worker: this.worker, connection: "exec", leaseMs: this.opts.leaseMs });
    if (!run) return; // another daemon has it, or it is gone
    if (this.stopping || job.action.type !== "exec") {
      await this.release(run);
      return;
    }
    this.stats.execs++;
    const handle = runExec(job.action, run, job.payload, this.opts);
    this.running.set(runId, handle);
    const result = await handle.done;
    if (this.stopping) {
      // Killed by shutdown: give it back so a daemon that is still up (or the next start) runs it again.
      await this.release(run);
      return;
    }
    try {
      await this.store.finishRun({ runId, status: result.status, error: result.error, output: result.output, worker: this.worker });
    } catch (err) {
      if (!isNotFound(err)) throw err; // its job was deleted while it ran
    }
    if (result.status === "failed") this.logger.warn("exec run failed", { runId, jobId: job.id, error: result.error });
  }

  private async release(run: Run): Promise<void> {
    await this.store.releaseClaim({ runId: run.id, worker: this.worker, maxAttempts: this.opts.maxAttempts }).catch(() => undefined);
  }

  /** Kills running programs, gives their runs back, and waits for all of it. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const handle of this.running.values()) handle?.kill();
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}
