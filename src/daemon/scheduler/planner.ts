/**
 * The one timer of a scheduler. `request()` asks for a pass as soon as possible (a job changed
 * somewhere, the timer ran out); passes never overlap, and requests made during a pass coalesce
 * into one more pass. After each pass the timer is armed for the due time the pass reported, but
 * never longer than `maxWaitMs`, so the plan is refreshed at least that often even if a change
 * notification was lost.
 */
import type { Clock, Timer } from "./clock.js";

export interface PlannerOptions {
  /** Longest sleep between passes (SPEC: at least every 30 s). */
  maxWaitMs: number;
  /** Sleep after a pass that failed (backend down). */
  retryMs: number;
}

/** A pass: does the due work and returns the next due time in ms, or null when nothing is scheduled. */
export type Pass = () => Promise<number | null>;

export class Planner {
  private timer?: Timer;
  private running?: Promise<void>;
  private dirty = false;
  private active = false;
  /** The time the timer is armed for, for health. */
  armedFor: number | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly pass: Pass,
    private readonly opts: PlannerOptions,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.active = true;
    this.request();
  }

  request(): void {
    if (!this.active) return;
    this.dirty = true;
    this.running ??= this.loop().finally(() => (this.running = undefined));
  }

  private async loop(): Promise<void> {
    while (this.dirty && this.active) {
      this.dirty = false;
      this.timer?.cancel();
      this.timer = undefined;
      let next: number | null;
      try {
        next = await this.pass();
      } catch (err) {
        this.onError(err);
        next = this.clock.now() + this.opts.retryMs;
      }
      if (this.active && !this.dirty) this.arm(next);
    }
  }

  private arm(next: number | null): void {
    const now = this.clock.now();
    const wait = next === null ? this.opts.maxWaitMs : Math.min(Math.max(0, next - now), this.opts.maxWaitMs);
    this.armedFor = next;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.request();
    }, wait);
  }

  /** Resolves when no pass is running (tests use it to let the scheduler settle). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Cancels the timer and waits for a running pass to end. Idempotent. */
  async stop(): Promise<void> {
    this.active = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.idle();
  }
}
