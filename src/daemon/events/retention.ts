/**
 * Prunes the change log in the background (SPEC §4: keep 24 h and at least 100,000 changes by
 * default; eventsRetentionHours / eventsRetentionMin). With several daemons on one backend each
 * prunes; pruning is idempotent, so that costs a few redundant deletes, nothing more.
 */
import type { ChangeLog } from "../../backends/contract.js";

export interface RetentionOptions {
  changes: ChangeLog;
  hours: number;
  keepAtLeast: number;
  now: () => Date;
  warn(message: string, meta: Record<string, unknown>): void;
  /** Between prunes (default 10 min); the first runs after `firstAfterMs` (default 30 s). */
  everyMs?: number;
  firstAfterMs?: number;
}

export class Retention {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  lastRun?: { at: string; removed?: number; error?: string };

  constructor(private readonly opts: RetentionOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.opts.firstAfterMs ?? 30_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One prune now; resolves to how many changes went. */
  async pruneNow(): Promise<number> {
    const before = new Date(this.opts.now().getTime() - this.opts.hours * 3600_000);
    const at = this.opts.now().toISOString();
    try {
      const removed = await this.opts.changes.prune(before, this.opts.keepAtLeast);
      this.lastRun = { at, removed };
      return removed;
    } catch (err) {
      this.lastRun = { at, error: String(err) };
      this.opts.warn("change-log pruning failed", { error: String(err) });
      return 0;
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pruneNow().then(() => {
        this.running = undefined;
        this.schedule(this.opts.everyMs ?? 600_000);
      });
    }, ms);
    this.timer.unref();
  }
}
