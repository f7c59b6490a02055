/**
 * Batch gathering for group commit (jsonl's journal, sqlite's transaction batches). A flush
 * acknowledges its writers, and most of them send their next write one round trip later. Starting
 * the next flush at once would leave them out: the writers split into two halves that take turns,
 * each flush carrying about half of them, so the fsync is shared half as well as it could be.
 * Before a flush, therefore, wait until as many writes are queued as were in flight around the
 * previous one — at most as long as that flush took (and at least a timer tick), so a writer that
 * does not come back costs one short wait, after which the expected cohort shrinks.
 */
const MAX_WAIT_MS = 4;

export class Cohort {
  private expected = 0;
  private lastFlushMs = 0;
  private wake?: () => void;

  /** The queue grew to `queued` writes. */
  arrived(queued: number): void {
    if (this.wake && queued >= this.expected) this.wake();
  }

  /** Before a flush: resolves once `queued()` reaches the expected cohort, or the wait is up. */
  gather(queued: () => number): Promise<void> | undefined {
    if (this.expected <= 1 || queued() >= this.expected) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.min(MAX_WAIT_MS, Math.max(1, this.lastFlushMs)));
      this.wake = done;
    });
  }

  /** A flush of `flushed` writes took `ms`; `queued` more arrived meanwhile. */
  flushed(flushed: number, queued: number, ms: number): void {
    this.expected = flushed + queued;
    this.lastFlushMs = ms;
  }
}
