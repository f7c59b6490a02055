/**
 * Drives the dialect's change sequencer (Postgres: `sequence_changes()`, see
 * docs/decisions/postgres-change-order.md): after each local commit, and on a timer so that rows
 * committed by a daemon that died or was cut off before it could sequence them still get cursors.
 * At most one call in flight per process; requests made meanwhile fold into one more run after it.
 * Only a run that took the sequencer lock after our commit is sure to include our rows: Postgres'
 * function waits for the lock (bounded by lock_timeout); a dialect that answers -1 instead (lock
 * busy) is called again shortly.
 */
import type { BackendLog } from "../contract.js";
import type { SqlDb } from "./db.js";

/** A run assigns at most this many cursors (the function's LIMIT); a full batch means run again. */
const BATCH = 5000;
const BUSY_RETRY_MS = 2;

interface Waiter {
  gen: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Sequencer {
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;
  /** Requests made, and the newest request a finished run is known to cover. */
  private requested = 0;
  private covered = 0;
  private waiters: Waiter[] = [];

  constructor(
    private readonly db: SqlDb,
    /** Called after a run gave cursors to at least one row. */
    private readonly onSequenced: () => void,
    private readonly log?: BackendLog,
  ) {}

  start(everyMs: number): void {
    this.stopped = false;
    this.timer ??= setInterval(() => this.request(), everyMs);
    this.timer.unref();
  }

  /** Sequence soon: now if idle, else once more after the run in flight. */
  request(): void {
    if (this.stopped || !this.db.dialect.sequence) return;
    this.requested++;
    this.kick();
  }

  /**
   * Resolves once a run that started after this call has finished: every change row committed before
   * the call then has its cursor (read-your-writes for since() and head()). Rejects when the run failed.
   */
  settle(): Promise<void> {
    if (this.stopped || !this.db.dialect.sequence) return Promise.resolve();
    const gen = ++this.requested;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ gen, resolve, reject }));
    this.kick();
    return done;
  }

  private kick(): void {
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      if (this.requested > this.covered && !this.stopped) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.requested > this.covered) {
      const gen = this.requested;
      let error: unknown;
      try {
        await this.runOnce();
        if (this.failing) this.log?.info("change sequencer running again");
        this.failing = false;
      } catch (err) {
        // The backend is away: the timer tries again; the rows wait, committed, for any daemon's run.
        if (!this.failing) this.log?.warn("change sequencer failed; retrying on the timer", { error: String(err) });
        this.failing = true;
        error = err;
      }
      this.covered = gen;
      const ready = this.waiters.filter((w) => w.gen <= gen);
      this.waiters = this.waiters.filter((w) => w.gen > gen);
      for (const w of ready) {
        if (error === undefined) w.resolve();
        else w.reject(error);
      }
      if (error !== undefined) return;
    }
  }

  private async runOnce(): Promise<void> {
    const { dialect, read } = this.db;
    if (!dialect.sequence) return;
    for (;;) {
      const n = await dialect.sequence(read);
      if (n === -1) {
        await new Promise((r) => setTimeout(r, BUSY_RETRY_MS));
        continue;
      }
      if (n > 0) this.onSequenced();
      if (n < BATCH) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
