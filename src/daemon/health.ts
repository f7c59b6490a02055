/**
 * Health from cached probes (SPEC §8): the backend is probed in the background, so daemon.health
 * never waits on a dead backend; the event loop's delay comes from a histogram.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { Backend, BackendProbe } from "../backends/contract.js";
import type { CheckStatus, Health, HealthCheck } from "../domain/daemon.js";

/**
 * Probed every second, each probe bounded: an unreachable backend shows as `fail` within
 * PROBE_EVERY_MS + PROBE_TIMEOUT_MS (2.5 s; SPEC §8: 5 s) and `pass` again within about a second of
 * its first answer. A probe still waiting when the next is due is not doubled up.
 */
const PROBE_EVERY_MS = 1000;
const PROBE_TIMEOUT_MS = 1500;
const LOOP_WARN_MS = 100;
/** Event-loop p99 delay at which health fails and systemd watchdog pings stop. */
export const LOOP_FAIL_MS = 1000;

/** What an acknowledged write survives, per backend (SPEC §6). */
const DURABILITY: Record<string, string> = {
  jsonl: "fdatasync before the reply",
  sqlite: "WAL, synchronous=FULL",
  postgres: "committed",
  redis: "as the server's persistence is configured (appendonly/appendfsync)",
  memory: "none (lost on exit)",
};

export class HealthMonitor {
  private probe: BackendProbe & { at: number } = { ok: true, latencyMs: 0, at: Date.now() };
  private lastError?: { message: string; at: number };
  private timer?: NodeJS.Timeout;
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private readonly extra = new Map<string, () => HealthCheck>();

  constructor(
    private readonly backend: Backend,
    private readonly version: string,
    private readonly startedAt: number,
  ) {}

  start(): void {
    this.loop.enable();
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), PROBE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.loop.disable();
  }

  /** Subsystems (scheduler, events, …) register their own check. */
  register(name: string, check: () => HealthCheck): void {
    this.extra.set(name, check);
  }

  get backendHealthy(): boolean {
    return this.probe.ok;
  }

  get eventLoopDelayMs(): number {
    return this.loop.percentile(99) / 1e6;
  }

  private probing = false;

  private async refresh(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await this.probeOnce();
    } finally {
      this.probing = false;
    }
  }

  private async probeOnce(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<BackendProbe>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, latencyMs: PROBE_TIMEOUT_MS, error: "probe timed out" }), PROBE_TIMEOUT_MS);
    });
    const result = await Promise.race([this.backend.probe(), timeout]);
    clearTimeout(timer);
    this.probe = { ...result, at: Date.now() };
    if (!result.ok) this.lastError = { message: result.error ?? "probe failed", at: this.probe.at };
  }

  report(): Health {
    const loopMs = this.eventLoopDelayMs;
    this.loop.reset();
    const checks: Record<string, HealthCheck> = {
      backend: {
        status: !this.probe.ok ? "fail" : this.probe.warnings?.length ? "warn" : "pass",
        backend: this.backend.name,
        latencyMs: this.probe.latencyMs,
        reachable: this.probe.ok,
        checkedAt: new Date(this.probe.at).toISOString(),
        durability: DURABILITY[this.backend.name] ?? "unknown",
        ...(this.lastError ? { lastError: this.lastError.message, lastErrorAt: new Date(this.lastError.at).toISOString() } : {}),
        ...(this.probe.error ? { message: this.probe.error } : this.probe.warnings?.length ? { message: this.probe.warnings.join("; ") } : {}),
        ...(this.probe.details ? { details: this.probe.details } : {}),
      },
      eventLoop: {
        status: loopMs >= LOOP_FAIL_MS ? "fail" : loopMs >= LOOP_WARN_MS ? "warn" : "pass",
        p99DelayMs: Math.round(loopMs * 10) / 10,
      },
    };
    for (const [name, check] of this.extra) checks[name] = check();
    return {
      status: worst(Object.values(checks).map((c) => c.status)),
      checks,
      version: this.version,
      uptime: (Date.now() - this.startedAt) / 1000,
    };
  }
}

const worst = (all: CheckStatus[]): CheckStatus => (all.includes("fail") ? "fail" : all.includes("warn") ? "warn" : "pass");
