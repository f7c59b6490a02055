/**
 * Event runs nobody has claimed yet, for a health warning: an event job's run waits as pending
 * until a worker claims it, and with noOverlap every later slot is skipped meanwhile, so a job with
 * no worker fails silently unless someone says so. Learned from the change log (run.fired pending,
 * then run.claimed or run.finished), so runs fired by other daemons and claims made through them
 * count too. Exec runs drop out within moments (the daemon claims them itself).
 */
export const WAIT_WARN_MS = 60_000;
/** Bound on what is remembered; past it, new runs are not tracked (the warning is already on). */
const MAX_TRACKED = 10_000;

interface Waiting {
  jobId: string;
  since: number;
}

export class WaitingRuns {
  private readonly runs = new Map<string, Waiting>();

  fired(runId: string, jobId: string, at: number): void {
    if (this.runs.size < MAX_TRACKED) this.runs.set(runId, { jobId, since: at });
  }

  settled(runId: string): void {
    this.runs.delete(runId);
  }

  jobDeleted(jobId: string): void {
    for (const [id, w] of this.runs) if (w.jobId === jobId) this.runs.delete(id);
  }

  /** Runs waiting longer than WAIT_WARN_MS at `now`, and the oldest of them. */
  overdue(now: number): { count: number; oldest?: { runId: string; jobId: string; since: number } } {
    let count = 0;
    let oldest: { runId: string; jobId: string; since: number } | undefined;
    for (const [runId, w] of this.runs) {
      if (now - w.since < WAIT_WARN_MS) continue;
      count++;
      if (!oldest || w.since < oldest.since) oldest = { runId, ...w };
    }
    return oldest ? { count, oldest } : { count };
  }
}
