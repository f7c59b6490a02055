/**
 * runs.claim / runs.finish, and the rule that a claim lives as long as the claiming connection
 * (SPEC §3.3): when it closes before runs.finish, each of its claims is released — back to pending
 * with attempt + 1, or abandoned once the retry limit is reached. The store knows nothing of
 * connections; this registry is the only place that does.
 *
 * A release that fails because the backend is away (BACKEND_UNAVAILABLE, OUTCOME_UNKNOWN: a network
 * partition, a restart) is retried with backoff until it lands, or until the store says there is
 * nothing left to give back (the first attempt did land, the run was finished, deleted or claimed
 * anew). Left unreleased, the run would stay claimed by a dead worker and, with noOverlap, the job
 * would skip every later slot. Retries end only when the daemon stops.
 */
import type { JobStore } from "../../backends/contract.js";
import { isAgentStateError, isBackendUnavailable, isConflict, isNotFound, isOutcomeUnknown } from "../../domain/errors.js";
import type { ClaimParams, FinishParams, Run } from "../../domain/jobs.js";
import type { CallContext } from "../../rpc/dispatcher.js";
import type { Logger } from "../logger.js";

const RETRY_MIN_MS = 100;
/** Retries at least this often while the backend is away, so a release lands soon after it returns. */
const RETRY_MAX_MS = 1000;

export class ClaimRegistry {
  /** connectionId → (runId → worker). */
  private readonly byConnection = new Map<number, Map<string, string>>();
  /** runId → connectionId. */
  private readonly owner = new Map<string, number>();
  private readonly releasing = new Set<Promise<void>>();
  private stopped = false;
  private readonly wakers = new Set<() => void>();
  /** Releases that failed at least once and are being retried (for health). */
  retrying = 0;

  constructor(
    private readonly store: JobStore,
    private readonly maxAttempts: number,
    /** The lease each claim gets (renewed by Leases while the connection is open). */
    private readonly leaseMs: number,
    private readonly logger: Logger,
    private readonly onRelease: (run: Run) => void = () => undefined,
  ) {}

  /** Claims held by open connections. */
  get held(): number {
    return this.owner.size;
  }

  /** Runs claimed through connections that are still open. */
  heldRuns(): string[] {
    return [...this.owner.keys()];
  }

  async claim(p: ClaimParams, ctx: CallContext): Promise<Run | null> {
    const run = await this.store.claimRun({ ...p, connection: String(ctx.connectionId), leaseMs: this.leaseMs });
    if (run) this.track(ctx, run);
    return run;
  }

  async finish(p: FinishParams): Promise<Run> {
    const run = await this.store.finishRun(p);
    this.untrack(run.id);
    return run;
  }

  private track(ctx: CallContext, run: Run): void {
    let runs = this.byConnection.get(ctx.connectionId);
    if (!runs) {
      runs = new Map();
      this.byConnection.set(ctx.connectionId, runs);
      // Registered once per connection; runs immediately when it closed while the claim was in flight.
      ctx.onceClosed(() => this.releaseConnection(ctx.connectionId));
    }
    runs.set(run.id, run.claimedBy as string);
    this.owner.set(run.id, ctx.connectionId);
  }

  private untrack(runId: string): void {
    const conn = this.owner.get(runId);
    if (conn === undefined) return;
    this.owner.delete(runId);
    this.byConnection.get(conn)?.delete(runId);
  }

  private releaseConnection(connectionId: number): void {
    const runs = this.byConnection.get(connectionId);
    this.byConnection.delete(connectionId);
    if (!runs) return;
    for (const [runId, worker] of runs) {
      this.owner.delete(runId);
      const p = this.release(runId, worker).finally(() => this.releasing.delete(p));
      this.releasing.add(p);
    }
  }

  private async release(runId: string, worker: string): Promise<void> {
    let delay = RETRY_MIN_MS;
    let failures = 0;
    try {
      for (;;) {
        try {
          const run = await this.store.releaseClaim({ runId, worker, maxAttempts: this.maxAttempts });
          this.logger.info("claim released: claiming connection closed", { runId, jobId: run.jobId, status: run.status, attempt: run.attempt, ...(failures ? { retries: failures } : {}) });
          this.onRelease(run);
          return;
        } catch (err) {
          // Finished meanwhile (from another connection), deleted with its job, claimed anew, or an
          // earlier attempt whose answer was lost did land: nothing to give back.
          if ((isAgentStateError(err) && err.code === "INVALID_STATE") || isNotFound(err) || isConflict(err)) return;
          if (!isBackendUnavailable(err) && !isOutcomeUnknown(err)) {
            this.logger.error("releasing a claim failed", { runId, error: String(err) });
            return;
          }
          if (failures++ === 0) {
            this.retrying++;
            this.logger.warn("releasing a claim failed; retrying until the backend answers", { runId, error: String(err) });
          }
          if (this.stopped) {
            this.logger.warn("daemon stopping: a claim release was not written; the run stays claimed", { runId });
            return;
          }
          await new Promise<void>((resolve) => {
            const wake = () => {
              clearTimeout(timer);
              this.wakers.delete(wake);
              resolve();
            };
            const timer = setTimeout(wake, delay);
            this.wakers.add(wake);
          });
          delay = Math.min(delay * 2, RETRY_MAX_MS);
        }
      }
    } finally {
      if (failures > 0) this.retrying--;
    }
  }

  /** Resolves when every release started by a closed connection has been written (or given up at stop()). */
  async settled(): Promise<void> {
    while (this.releasing.size > 0) await Promise.allSettled([...this.releasing]);
  }

  /** Ends the retrying of releases the backend keeps refusing (each tries once more); then settled() resolves. */
  stop(): void {
    this.stopped = true;
    for (const wake of [...this.wakers]) wake();
  }
}
