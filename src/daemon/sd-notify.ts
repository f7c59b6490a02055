/**
 * systemd's notify protocol (SPEC §8), spoken by running the `systemd-notify` program: Node cannot
 * open a Unix datagram socket without native code. systemd-notify waits until the manager has
 * processed each message (its barrier), so a message is never attributed to an exited process.
 *
 * Nothing happens when NOTIFY_SOCKET is unset. The variables are read once and removed from the
 * environment, so child processes (scheduled exec jobs) never talk to the manager as if they
 * were the daemon. Sends are queued in order and never throw: a failure is logged once.
 */
import { execFile } from "node:child_process";

export interface NotifyLog {
  warn(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

export interface NotifierOptions {
  /** The program to run (default "systemd-notify", found on PATH). */
  program?: string;
  log?: NotifyLog;
  /** Per-send limit; systemd-notify's barrier waits for the manager. */
  timeoutMs?: number;
}

const NOTIFY_VARS = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] as const;

export class Notifier {
  /** Microseconds systemd allows between WATCHDOG=1 messages; undefined when not watched. */
  readonly watchdogUsec?: number;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private warned = false;
  private watchdogTimer?: NodeJS.Timeout;
  private withheld = false;

  private constructor(
    private readonly socket: string | undefined,
    watchdogUsec: number | undefined,
    private readonly opts: NotifierOptions,
  ) {
    this.watchdogUsec = watchdogUsec;
  }

  /**
   * Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `env` and deletes them from it. The
   * watchdog applies only when WATCHDOG_PID is unset or names this process (as sd_watchdog_enabled).
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env, opts: NotifierOptions = {}): Notifier {
    const socket = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const pid = env.WATCHDOG_PID;
    const forUs = pid === undefined || pid === "" || Number(pid) === process.pid;
    for (const name of NOTIFY_VARS) delete env[name];
    return new Notifier(socket, socket && forUs && Number.isSafeInteger(usec) && usec > 0 ? usec : undefined, opts);
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** Sends `lines` (`KEY=value`) as one message, after every message sent before it. */
  send(...lines: string[]): void {
    const socket = this.socket;
    if (socket === undefined || lines.length === 0) return;
    this.pending++;
    this.queue = this.queue.then(() => this.run(socket, lines)).finally(() => this.pending--);
  }

  ready(status?: string): void {
    this.send("READY=1", `MAINPID=${process.pid}`, ...statusLine(status));
  }

  status(status: string): void {
    this.send(...statusLine(status));
  }

  /** A reload begins (SIGHUP); call ready() when it is done. */
  reloading(status?: string): void {
    this.send("RELOADING=1", `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, ...statusLine(status));
  }

  stopping(status?: string): void {
    this.stopWatchdog();
    this.send("STOPPING=1", ...statusLine(status));
  }

  /** Asks for `usec` more from now before the start (or stop) times out: long migrations. */
  extendTimeout(usec: number, status?: string): void {
    this.send(`EXTEND_TIMEOUT_USEC=${Math.round(usec)}`, ...statusLine(status));
  }

  /**
   * WATCHDOG=1 every WATCHDOG_USEC/2, but only while `healthy()` says so; a daemon that stays
   * unhealthy past WatchdogSec is restarted by systemd. A ping still queued is not doubled up.
   */
  startWatchdog(healthy: () => boolean): void {
    if (this.watchdogUsec === undefined || this.watchdogTimer) return;
    const everyMs = Math.max(1, Math.floor(this.watchdogUsec / 2000));
    this.watchdogTimer = setInterval(() => {
      if (!healthy()) {
        if (!this.withheld) this.send("STATUS=unhealthy: watchdog pings withheld (see daemon.health)");
        this.withheld = true;
        return;
      }
      if (this.withheld) this.send("STATUS=healthy again");
      this.withheld = false;
      if (this.pending === 0) this.send("WATCHDOG=1");
    }, everyMs);
    this.watchdogTimer.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  /** Resolves when every queued message has been handed over (or failed). */
  flush(): Promise<void> {
    return this.queue;
  }

  private run(socket: string, lines: string[]): Promise<void> {
    const program = this.opts.program ?? "systemd-notify";
    // Only what systemd-notify needs; the message itself goes in the arguments.
    const env = { NOTIFY_SOCKET: socket, PATH: process.env.PATH ?? "/usr/bin:/bin" };
    return new Promise((resolve) => {
      execFile(program, lines, { env, timeout: this.opts.timeoutMs ?? 5000 }, (err, _stdout, stderr) => {
        if (err) {
          const meta = { program, error: err.message, stderr: stderr.trim() };
          if (!this.warned) this.opts.log?.warn("systemd notification failed", meta);
          else this.opts.log?.debug("systemd notification failed", meta);
          this.warned = true;
        }
        resolve();
      });
    });
  }
}

const statusLine = (status: string | undefined): string[] => (status === undefined ? [] : [`STATUS=${status.replace(/\n/g, " ")}`]);
