/**
 * Claim leases (SPEC §11 R12): a claim made through this daemon carries a lease (`claimLeaseMs`,
 * default 30 s) that this daemon renews every third of it for as long as it holds the claim (the
 * claiming connection is open, or its exec program runs). Every daemon also looks every second
 * (every third of the lease, if shorter) for runs whose lease expired, whoever claimed them, and
 * returns them to pending — so a claim whose daemon died, on this host or another, or is cut off
 * from the backend, is claimable again at most one lease plus one second after its last renewal.
 */
import type { JobStore } from "../../backends/contract.js";
import type { Run } from "../../domain/jobs.js";
import type { Logger } from "../logger.js";
import type { Clock, Timer } from "./clock.js";

export interface LeaseOptions {
  leaseMs: number;
  maxAttempts: number;
}

export class Leases {
  private timer?: Timer;
  private ticking?: Promise<void>;
  private stopped = false;
  private lastRenewal = -Infinity;
  /** Expired claims given back by this daemon (for health and tests). */
  expired = 0;

  constructor(
    private readonly store: JobStore,
    private readonly clock: Clock,
    private readonly opts: LeaseOptions,
    /** The runs this daemon holds claims on now. */
    private readonly held: () => string[],
    private readonly logger: Logger,
    private readonly onExpired: (run: Run) => void = () => undefined,
  ) {}

  /** Renewals are due this often. */
  get renewMs(): number {
    return Math.max(10, Math.floor(this.opts.leaseMs / 3));
  }

  /** Expired leases are looked for this often. */
  get tickMs(): number {
    return Math.min(1000, this.renewMs);
  }

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(() => {
      this.arm(this.tickMs);
      // one tick at a time: a slow backend skips ticks rather than piling them up
      this.ticking ??= this.tick().finally(() => (this.ticking = undefined));
    }, ms);
  }

  /** Resolves when no tick is running (for tests). */
  async idle(): Promise<void> {
    await this.ticking;
  }

  /** Renews what this daemon holds, then gives back what expired anywhere. Never throws. */
  async tick(): Promise<void> {
    const held = this.held();
    try {
      if (held.length > 0 && this.clock.now() - this.lastRenewal >= this.renewMs - this.tickMs / 2) {
        this.lastRenewal = this.clock.now();
        await this.store.renewLeases({ runIds: held, leaseMs: this.opts.leaseMs });
      }
    } catch (err) {
      this.logger.warn("renewing claim leases failed; retrying", { error: String(err), runs: held.length });
    }
    try {
      for (;;) {
        const runs = await this.store.expireLeases({ maxAttempts: this.opts.maxAttempts, limit: 100 });
        for (const run of runs) {
          this.expired++;
          this.logger.info("claim lease expired: the run is given back", { runId: run.id, jobId: run.jobId, status: run.status, attempt: run.attempt });
          this.onExpired(run);
        }
        if (runs.length < 100 || this.stopped) break;
      }
    } catch (err) {
      this.logger.warn("looking for expired claim leases failed; retrying", { error: String(err) });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.ticking;
  }
}
